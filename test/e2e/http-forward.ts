// Passes one HTTP request on to the homeserver and its answer back: the common part of the
// test and benchmark proxies in front of Synapse.
import { request as httpRequest, type Agent, type IncomingMessage, type ServerResponse } from 'node:http';

export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  agent: Agent,
  /** Sees the homeserver's answer as it streams back (listen to 'data' and 'end'). */
  observe: (answer: IncomingMessage) => void = () => {},
): void {
  const upstream = httpRequest(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
      agent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      observe(answer);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
}
