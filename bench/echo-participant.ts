// The baseline participant for the speed benchmarks: a Matrix client that does nothing
// but answer each text message with a fixed reply. Plain HTTP against the client-server
// API with its own /sync long-poll (the same filter as the bot's), accepting every
// invitation. Whatever time it adds to a round trip is the floor any bot pays.
//
// As a process (the benchmarks run it so, like the bot):
//   node bench/echo-participant.ts
// prints {"event":"ready","userId":...} once syncing, and {"event":"stopped","replies":N}
// on SIGTERM. Needs TNL_HOMESERVER_URL and TNL_REGISTRATION_SECRET (or a running stack).
import { createAccounts, matrixCall } from './lib/matrix.ts';
import { loadStackEnv } from './lib/stack.ts';
import type { RegisteredUser } from '../test/e2e/people.ts';

/** About the size of one of the bot's questions, as plain text and HTML. */
export const ECHO_REPLY = {
  body: `Bien reçu. ${'Question suivante : décrivez en quelques phrases votre démarche. '.repeat(4)}`,
  html: `<p>Bien reçu.</p><p>${'Question suivante : <b>décrivez</b> en quelques phrases votre démarche. '.repeat(4)}</p>`,
};

const FILTER = JSON.stringify({
  presence: { not_types: ['*'] },
  room: {
    timeline: { limit: 1000 },
    ephemeral: { not_types: ['*'] },
    state: { lazy_load_members: true },
  },
});

interface SyncEvent {
  event_id: string;
  type: string;
  sender: string;
  content?: { msgtype?: string; body?: unknown };
}

export class EchoParticipant {
  readonly userId: string;
  private readonly token: string;
  private since: string | undefined;
  private stopped = false;
  private readonly abort = new AbortController();
  private txn = 0;
  replies = 0;
  failures = 0;

  constructor(account: RegisteredUser) {
    this.userId = account.userId;
    this.token = account.accessToken;
  }

  /** Takes a first position (history is not answered), then syncs in the background. */
  async start(): Promise<void> {
    await this.sync(0, true);
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.sync(30_000, false);
      } catch {
        if (this.stopped) return;
        this.failures += 1;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private async sync(timeoutMs: number, first: boolean): Promise<void> {
    const query = new URLSearchParams({ timeout: String(timeoutMs), filter: FILTER });
    if (this.since) query.set('since', this.since);
    const batch = await matrixCall(
      this.token,
      'GET',
      `/_matrix/client/v3/sync?${query}`,
      undefined,
      this.abort.signal,
    );
    this.since = String(batch.next_batch);
    const rooms = (batch.rooms ?? {}) as {
      join?: Record<string, { timeline?: { events?: SyncEvent[] } }>;
      invite?: Record<string, unknown>;
    };
    for (const roomId of Object.keys(rooms.invite ?? {})) void this.join(roomId);
    if (first) return;
    for (const [roomId, room] of Object.entries(rooms.join ?? {})) {
      for (const event of room.timeline?.events ?? []) {
        if (event.type !== 'm.room.message' || event.sender === this.userId) continue;
        if (event.content?.msgtype === 'm.notice') continue;
        void this.reply(roomId);
      }
    }
  }

  private async join(roomId: string): Promise<void> {
    await matrixCall(this.token, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {}).catch(
      () => (this.failures += 1),
    );
  }

  private async reply(roomId: string): Promise<void> {
    this.txn += 1;
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/echo.${process.pid}.${this.txn}`;
    try {
      await matrixCall(this.token, 'PUT', path, {
        msgtype: 'm.notice',
        body: ECHO_REPLY.body,
        format: 'org.matrix.custom.html',
        formatted_body: ECHO_REPLY.html,
      });
      this.replies += 1;
    } catch {
      this.failures += 1;
    }
  }
}

if (import.meta.main) {
  loadStackEnv();
  const [account] = await createAccounts('echo', 1);
  if (!account) throw new Error('no account created');
  const echo = new EchoParticipant(account);
  await echo.start();
  console.log(JSON.stringify({ event: 'ready', userId: echo.userId, pid: process.pid }));
  const finish = () => {
    echo.stop();
    console.log(JSON.stringify({ event: 'stopped', replies: echo.replies, failures: echo.failures }));
    process.exit(0);
  };
  process.on('SIGTERM', finish);
  process.on('SIGINT', finish);
}
