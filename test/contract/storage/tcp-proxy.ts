// A loopback TCP proxy a test can cut: `down()` drops every connection and refuses
// new ones (what a client sees while the database restarts), `up()` accepts again.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface Outage {
  down(): Promise<void>;
  up(): Promise<void>;
}

export interface TcpProxy extends Outage {
  port: number;
  close(): Promise<void>;
}

export async function openTcpProxy(target: URL): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const targetPort = Number(target.port);
  const targetHost = target.hostname;
  let server: Server | null = null;
  let port = 0;

  const listen = async (): Promise<void> => {
    const s = createServer((client) => {
      const upstream = createConnection({ host: targetHost, port: targetPort });
      sockets.add(client);
      sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    const address = s.address();
    if (address && typeof address === 'object') port = address.port;
    server = s;
  };

  const stop = async (): Promise<void> => {
    const s = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();
  return {
    port,
    down: stop,
    async up() {
      if (!server) await listen();
    },
    close: stop,
  };
}
