// A proxy in front of the homeserver that can hold back the bot's sends, to make the
// homeserver look saturated to the bot (and only to the bot: people talk to Synapse directly).
import { createServer, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forward } from './http-forward.ts';

export class SlowHomeserver {
  /** Added before each `PUT …/send/…` reaches the homeserver; 0 passes them straight on. */
  sendDelayMs = 0;
  private server: Server | undefined;
  private readonly agent = new Agent({ keepAlive: true });
  private readonly target: URL;

  constructor(target: string) {
    this.target = new URL(target);
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('the proxy is not started');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const delay = req.method === 'PUT' && /\/send\//.test(req.url ?? '') ? this.sendDelayMs : 0;
      const pass = () => forward(req, res, this.target, this.agent);
      if (delay > 0) setTimeout(pass, delay);
      else pass();
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
    this.agent.destroy();
  }
}
