// `npm start` with a valid configuration connects and reports ready; with an invalid
// one it explains every problem and exits 2 before connecting to anything.
import { afterAll, describe, expect, it } from 'vitest';
import { BotProcess, runBotOnce, stackEnv } from './bot-process.ts';

describe('bot start-up', () => {
  let bot: BotProcess | undefined;
  afterAll(async () => {
    await bot?.stop();
  });

  it('connects to the homeserver and the database and reports ready', async () => {
    bot = await BotProcess.start();
    const ready = bot.logs.find((line) => line.msg === 'ready');
    expect(ready).toMatchObject({ level: 'info', userId: bot.userId });
    const readiness = await bot.health('/readyz');
    expect(readiness.status).toBe(200);
    expect(JSON.parse(readiness.body)).toMatchObject({ ready: true });
    // The access token and the database URI never reach the logs.
    const everything = JSON.stringify(bot.logs);
    expect(everything).not.toContain(bot.accessToken);
  });

  it('exits with status 2 and lists every problem for an invalid configuration', async () => {
    const { homeserverUrl } = stackEnv();
    const result = await runBotOnce(
      [
        'homeserver:',
        `  url: ${homeserverUrl}`,
        '  encryption: true',
        'rooms:',
        '  jury: not-a-room',
        'timeZone: Europe/Nowhere',
        'colour: blue',
      ].join('\n'),
      { TNL_HOMESERVER_ACCESS_TOKEN: '' },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('homeserver.accessToken');
    expect(result.stderr).toContain('homeserver.encryption, line 3: end-to-end encryption is not supported');
    expect(result.stderr).toContain('rooms.jury, line 5');
    expect(result.stderr).toContain('timeZone, line 6');
    expect(result.stderr).toContain('unknown key "colour"');
    expect(result.stdout).toBe('');
  });
});
