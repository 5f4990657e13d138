// Liveness (/healthz), readiness (/readyz: homeserver and database reachable) and
// Prometheus metrics (/metrics) on a loopback port.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  eventsHandled: Counter<'kind'>;
  answersSaved: Counter;
  errors: Counter<'where'>;
  handlingSeconds: Histogram<'kind'>;
  homeserverSendSeconds: Histogram;
  /** 1 while the extras are paused because the homeserver is slow. */
  homeserverSlow: Gauge;
  extrasSkipped: Counter<'extra'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tnl_' });
  return {
    registry,
    eventsHandled: new Counter({
      name: 'tnl_events_handled_total',
      help: 'Matrix events handled, by room kind',
      labelNames: ['kind'],
      registers: [registry],
    }),
    answersSaved: new Counter({
      name: 'tnl_answers_saved_total',
      help: 'Answers saved',
      registers: [registry],
    }),
    errors: new Counter({
      name: 'tnl_errors_total',
      help: 'Errors, by where they happened',
      labelNames: ['where'],
      registers: [registry],
    }),
    handlingSeconds: new Histogram({
      name: 'tnl_event_handling_seconds',
      help: 'Time to handle one event, from dequeue to reply sent',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    homeserverSendSeconds: new Histogram({
      name: 'tnl_homeserver_send_seconds',
      help: 'Time for the homeserver to accept one event the bot sends (retries included)',
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    homeserverSlow: new Gauge({
      name: 'tnl_homeserver_slow',
      help: '1 while quick replies, polls, typing and receipts are paused because sends are slow',
      registers: [registry],
    }),
    extrasSkipped: new Counter({
      name: 'tnl_extras_skipped_total',
      help: 'Extras left out while the homeserver was slow, by kind',
      labelNames: ['extra'],
      registers: [registry],
    }),
  };
}

export interface ReadinessProbe {
  name: string;
  check(): Promise<void>;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(
  host: string,
  port: number,
  metrics: Metrics,
  probes: ReadinessProbe[],
  extraRoutes: Record<string, (body: string) => Promise<{ status: number; body: string }>> = {},
): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    void (async () => {
      if (url.pathname === '/healthz') return reply(200, 'ok\n');
      if (url.pathname === '/readyz') {
        const results = await Promise.all(
          probes.map(async (probe) => {
            try {
              await probe.check();
              return { name: probe.name, ok: true };
            } catch (error) {
              return { name: probe.name, ok: false, error: (error as Error).message };
            }
          }),
        );
        const ready = results.every((r) => r.ok);
        return reply(
          ready ? 200 : 503,
          `${JSON.stringify({ ready, checks: results })}\n`,
          'application/json',
        );
      }
      if (url.pathname === '/metrics')
        return reply(200, await metrics.registry.metrics(), metrics.registry.contentType);
      const route = extraRoutes[url.pathname];
      if (route && request.method === 'POST') {
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        const result = await route(Buffer.concat(chunks).toString('utf8'));
        return reply(result.status, result.body);
      }
      return reply(404, 'not found\n');
    })().catch((error: unknown) => reply(500, `${(error as Error).message}\n`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
