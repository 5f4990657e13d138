// Asks a Node process started with --inspect to run a full garbage collection, so that
// heap readings taken afterwards compare live memory only.
/** The inspector address in a process's stderr (the latest, if it was started several times). */
export function inspectorUrl(stderr: string): string | undefined {
  return [...stderr.matchAll(/Debugger listening on (ws:\/\/\S+)/g)].at(-1)?.[1];
}

export async function collectGarbage(url: string): Promise<void> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot reach the inspector at ${url}`)), {
      once: true,
    });
  });
  try {
    for (let id = 1; id <= 2; id++) {
      const done = new Promise<void>((resolve) => {
        const onMessage = (event: MessageEvent) => {
          if ((JSON.parse(String(event.data)) as { id?: number }).id === id) {
            socket.removeEventListener('message', onMessage);
            resolve();
          }
        };
        socket.addEventListener('message', onMessage);
      });
      socket.send(JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }));
      await done;
    }
  } finally {
    socket.close();
  }
}
