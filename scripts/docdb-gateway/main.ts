// Command line: node scripts/docdb-gateway/main.ts --port 27027 --pg-url postgresql://... [--verbose]
// A MongoDB wire-protocol front for PostgreSQL + DocumentDB, for development and tests only.
import { parseArgs } from 'node:util';
import { consoleLogger } from './log.ts';
import { startGateway } from './server.ts';

const USAGE =
  'usage: main.ts --pg-url postgresql://user@host:port/db [--port 27027] [--host 127.0.0.1] [--pool-size 40] [--verbose]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '27027' },
      host: { type: 'string', default: '127.0.0.1' },
      'pg-url': { type: 'string' },
      'pool-size': { type: 'string', default: '40' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const pgUrl = values['pg-url'] ?? process.env.TNL_PG_URL;
  const port = Number(values.port);
  const poolSize = Number(values['pool-size']);
  if (pgUrl === undefined || !Number.isInteger(port) || !Number.isInteger(poolSize) || poolSize < 2) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const log = consoleLogger(values.verbose);
  const gateway = await startGateway({ port, host: values.host, pgUrl, poolSize, log });
  log.info(`listening on ${gateway.host}:${gateway.port}, PostgreSQL ${redact(pgUrl)}, pool ${poolSize}`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping`);
    const force = setTimeout(() => process.exit(0), 5_000);
    force.unref();
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error(`while stopping: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

main().catch((error: unknown) => {
  console.error(`docdb-gateway failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
