// A recording HTTP proxy in front of the homeserver, for profiling only: it notes when
// each request of the bot (or the echo) started and ended, and keeps the event ids that
// each /sync response delivered. It adds a loopback hop, so its timings explain where
// time goes; they are not the latency figures.
import { createServer, Agent, type Server } from 'node:http';
import { forward } from '../../test/e2e/http-forward.ts';

export interface HttpRecord {
  method: string;
  /** Kind of request: sync, send:<event type>, typing, receipt, other:<path head>. */
  kind: string;
  roomId: string | undefined;
  start: number;
  end: number;
  status: number;
  /** For /sync: event ids in the response body. */
  eventIds: string[];
}

function kindOf(method: string, path: string): { kind: string; roomId: string | undefined } {
  const clean = decodeURIComponent(path.split('?')[0] ?? '');
  const room = /\/rooms\/([^/]+)\//.exec(clean)?.[1];
  if (clean.endsWith('/sync')) return { kind: 'sync', roomId: undefined };
  const send = /\/rooms\/[^/]+\/send\/([^/]+)\//.exec(clean);
  if (send) return { kind: `send ${send[1]}`, roomId: room };
  if (clean.includes('/typing/')) return { kind: 'typing', roomId: room };
  if (clean.includes('/receipt/')) return { kind: 'read receipt', roomId: room };
  const head = clean.replace(/^\/_matrix\/client\/(v3|r0)\//, '').split('/')[0] ?? clean;
  return { kind: `${method} ${head}`, roomId: room };
}

export class RecordingProxy {
  readonly records: HttpRecord[] = [];
  private server: Server | undefined;
  private readonly agent = new Agent({ keepAlive: true });
  private readonly target: URL;
  port = 0;

  constructor(target: string) {
    this.target = new URL(target);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const start = performance.now();
      const { kind, roomId } = kindOf(req.method ?? 'GET', req.url ?? '/');
      forward(req, res, this.target, this.agent, (answer) => {
        const chunks: Buffer[] = [];
        if (kind === 'sync') answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const text = kind === 'sync' ? Buffer.concat(chunks).toString('utf8') : '';
          const eventIds = text
            ? [...text.matchAll(/"event_id":"(\$[^"]+)"/g)].map((m) => m[1] as string)
            : [];
          this.records.push({
            method: req.method ?? 'GET',
            kind,
            roomId,
            start,
            end: performance.now(),
            status: answer.statusCode ?? 0,
            eventIds,
          });
        });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
    this.agent.destroy();
  }
}
