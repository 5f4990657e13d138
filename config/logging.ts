// One root pino logger for the process. Handlers derive child loggers that carry
// the room, sender, event and candidacy they work on (see `eventLogger`).
import { pino, type Logger, type LoggerOptions } from 'pino';
import type { Config } from './schema.ts';

export type { Logger };

// Secrets may appear under these keys in anything we log (config objects, errors,
// HTTP request options). pino replaces them before the line is written.
export const REDACTED_PATHS = [
  'accessToken',
  'access_token',
  'password',
  'token',
  'uri',
  'url_with_credentials',
  'authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.accessToken',
  '*.access_token',
  '*.password',
  '*.token',
  '*.uri',
  '*.authorization',
  '*.*.accessToken',
  '*.*.uri',
];

/** Replaces credentials inside connection strings and URLs found in free text. */
export function scrubSecrets(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, '$1***:***@')
    .replace(/(access_token=)[^&\s]+/gi, '$1***')
    .replace(/\b(syt_|mct_)[A-Za-z0-9_-]+/g, '$1***');
}

export function createLogger(logging: Config['logging'], destination?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = {
    level: logging.level,
    base: { app: 'tnl-bot' },
    redact: { paths: REDACTED_PATHS, censor: '***' },
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
    hooks: {
      // Error messages from libraries can embed a connection string: scrub free text too.
      logMethod(args, method) {
        method.apply(
          this,
          args.map((arg) => (typeof arg === 'string' ? scrubSecrets(arg) : arg)) as Parameters<typeof method>,
        );
      },
    },
    serializers: {
      err: (err: unknown) => {
        const serialized = pino.stdSerializers.err(err as Error);
        if (serialized && typeof serialized.message === 'string')
          serialized.message = scrubSecrets(serialized.message);
        if (serialized && typeof serialized.stack === 'string')
          serialized.stack = scrubSecrets(serialized.stack);
        return serialized;
      },
    },
  };
  if (destination) return pino(options, destination as pino.DestinationStream);
  if (logging.format === 'pretty') {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return pino(options);
}

export interface EventContext {
  roomId: string;
  sender: string;
  eventId: string;
  candidacyId?: string;
}

export function eventLogger(root: Logger, context: EventContext): Logger {
  return root.child(context);
}
