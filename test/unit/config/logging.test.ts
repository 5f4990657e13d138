import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, eventLogger, scrubSecrets } from '../../../config/logging.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

describe('logging', () => {
  it('redacts tokens and connection strings in objects and messages', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', format: 'json' }, stream);
    logger.info(
      { homeserver: { accessToken: 'syt_abc' }, database: { uri: 'mongodb://u:p@db/' } },
      'connecting to mongodb://admin:hunter2@db:27017/tnl with syt_tokenvalue',
    );
    const line = lines.join('');
    expect(line).not.toContain('syt_abc');
    expect(line).not.toContain('hunter2');
    expect(line).not.toContain('u:p@');
    expect(line).not.toContain('syt_tokenvalue');
    expect(JSON.parse(line)).toMatchObject({ level: 'info', homeserver: { accessToken: '***' } });
  });

  it('scrubs credentials out of error messages', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', format: 'json' }, stream);
    logger.error({ err: new Error('connect failed for mongodb://bot:s3cret@db/') }, 'database error');
    expect(lines.join('')).not.toContain('s3cret');
    expect(scrubSecrets('https://matrix.org/x?access_token=abc&y=1')).toBe(
      'https://matrix.org/x?access_token=***&y=1',
    );
  });

  it('child loggers carry the event context', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'debug', format: 'json' }, stream);
    eventLogger(logger, { roomId: '!r:x', sender: '@a:x', eventId: '$e', candidacyId: 'c1' }).debug(
      'handled',
    );
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      roomId: '!r:x',
      sender: '@a:x',
      eventId: '$e',
      candidacyId: 'c1',
    });
  });

  it('respects the configured level', () => {
    const { lines, stream } = capture();
    createLogger({ level: 'warn', format: 'json' }, stream).info('hidden');
    expect(lines).toHaveLength(0);
  });
});
