// The messenger's extras (quick-reply reactions, polls, typing, receipts): sent when the
// homeserver is quick, paused while it is slow, and quick replies dropped once superseded.
import type { MatrixClient } from 'matrix-bot-sdk';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { HomeserverPressure } from '../../../bot/homeserver-pressure.ts';
import { EXTRAS_AFTER_MS, MatrixMessenger, type Extra } from '../../../bot/matrix-messenger.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Records the requests the messenger makes; each send takes `delayMs`. */
class FakeClient {
  delayMs = 0;
  readonly sent: Array<{ type: string; content: Record<string, unknown> }> = [];
  readonly typing: boolean[] = [];
  readonly receipts: string[] = [];
  private next = 0;

  async doRequest(_method: string, path: string, _qs: unknown, content: Record<string, unknown>) {
    await sleep(this.delayMs);
    const type = decodeURIComponent(path.split('/send/')[1]?.split('/')[0] ?? '');
    this.sent.push({ type, content });
    return { event_id: `$e${(this.next += 1)}` };
  }

  async setTyping(_roomId: string, on: boolean) {
    this.typing.push(on);
  }

  async sendReadReceipt(_roomId: string, eventId: string) {
    this.receipts.push(eventId);
  }

  types(): string[] {
    return this.sent.map((s) => s.type);
  }
}

function messenger(client: FakeClient, pressure?: HomeserverPressure) {
  const skipped: Extra[] = [];
  const instance = new MatrixMessenger(
    client as unknown as MatrixClient,
    '@bot:test',
    pino({ level: 'silent' }),
    { ...(pressure ? { pressure } : {}), onExtraSkipped: (extra) => skipped.push(extra) },
  );
  return { instance, skipped };
}

const question = {
  plain: 'Q2 · Which kind?',
  html: '<p>Q2 · Which kind?</p>',
  quickReplies: ['1️⃣', '2️⃣', '3️⃣'],
  poll: {
    question: 'Which kind?',
    answers: [
      { id: 'a', text: 'A' },
      { id: 'b', text: 'B' },
      { id: 'c', text: 'C' },
    ],
    maxSelections: 1,
  },
};

/** Waits for `count` sends, and past the moment the extras would have gone out. */
async function settle(client: FakeClient, count: number) {
  await sleep(EXTRAS_AFTER_MS + 20);
  for (let i = 0; i < 100 && client.sent.length < count; i++) await sleep(5);
  await sleep(20);
}

describe('HomeserverPressure', () => {
  it('turns slow only when sends stay slow, and quick again only well below the threshold', () => {
    const changes: boolean[] = [];
    const pressure = new HomeserverPressure({ slowAboveMs: 1000, recoveredBelowMs: 300 }, (slow) =>
      changes.push(slow),
    );
    pressure.record(3000); // one slow send at start-up is not saturation
    expect(pressure.isSlow).toBe(false);
    for (let i = 0; i < 5; i++) pressure.record(3000);
    expect(pressure.isSlow).toBe(true);
    pressure.record(50);
    pressure.record(50);
    expect(pressure.isSlow).toBe(true); // between the two thresholds: unchanged
    for (let i = 0; i < 10; i++) pressure.record(50);
    expect(pressure.isSlow).toBe(false);
    expect(changes).toEqual([true, false]);
  });

  it('never pauses with a threshold of 0', () => {
    const pressure = new HomeserverPressure({ slowAboveMs: 0, recoveredBelowMs: 0 });
    for (let i = 0; i < 20; i++) pressure.record(60_000);
    expect(pressure.isSlow).toBe(false);
    expect(pressure.averageMs).toBeGreaterThan(50_000);
  });
});

describe('MatrixMessenger extras', () => {
  it('sends the question, then its poll and one reaction per key, when the homeserver is quick', async () => {
    const client = new FakeClient();
    const { instance, skipped } = messenger(
      client,
      new HomeserverPressure({ slowAboveMs: 1000, recoveredBelowMs: 300 }),
    );
    const polls: string[] = [];
    const ids = await instance.send('!room', question, {
      idempotencyKey: 'reply:$1',
      onPollSent: (id) => polls.push(id),
    });
    // The message alone is awaited: the extras come a moment later, in the background.
    expect(ids).toEqual(['$e1']);
    expect(client.types()).toEqual(['m.room.message']);
    await settle(client, 5);
    expect(polls).toEqual(['$e2']);
    expect(client.types()).toEqual([
      'm.room.message',
      'org.matrix.msc3381.poll.start',
      'm.reaction',
      'm.reaction',
      'm.reaction',
    ]);
    const keys = client.sent.slice(2).map((s) => (s.content['m.relates_to'] as { key: string }).key);
    expect(keys).toEqual(['1️⃣', '2️⃣', '3️⃣']);
    await instance.typing('!room', true);
    await instance.readReceipt('!room', '$answer');
    expect(client.typing).toEqual([true]);
    expect(client.receipts).toEqual(['$answer']);
    expect(skipped).toEqual([]);
  });

  it('stops adding quick replies once a newer message in the room supersedes the question', async () => {
    const client = new FakeClient();
    client.delayMs = 20;
    const { instance } = messenger(client);
    const reactionsTo = (eventId: string | undefined) =>
      client.sent.filter(
        (s) =>
          s.type === 'm.reaction' && (s.content['m.relates_to'] as { event_id: string }).event_id === eventId,
      );
    const [first] = await instance.send('!room', question);
    // The person answered at once: the next question goes out before the extras are all added.
    await sleep(EXTRAS_AFTER_MS + 30);
    await instance.send('!room', { plain: 'Q3 · Next?', html: '<p>Q3 · Next?</p>' });
    // Another room's quick replies are not affected.
    const [other] = await instance.send('!other', { ...question, poll: undefined });
    await settle(client, client.sent.length + 3);
    expect(reactionsTo(first).length).toBeLessThan(3);
    expect(reactionsTo(other).length).toBe(3);
    // Answered before its extras went out: neither poll nor reactions at all.
    const before = client.sent.length;
    const [quick] = await instance.send('!room', question);
    await instance.send('!room', { plain: 'Q4 · Next?', html: '<p>Q4 · Next?</p>' });
    await settle(client, before + 2);
    expect(reactionsTo(quick)).toEqual([]);
    expect(client.types().slice(before)).toEqual(['m.room.message', 'm.room.message']);
  });

  it('leaves out polls, reactions, typing and receipts while sends are slow, never the message', async () => {
    const client = new FakeClient();
    const pressure = new HomeserverPressure({ slowAboveMs: 1000, recoveredBelowMs: 300 });
    for (let i = 0; i < 10; i++) pressure.record(5000);
    const { instance, skipped } = messenger(client, pressure);
    const ids = await instance.send('!room', question);
    await settle(client, 1);
    expect(ids).toEqual(['$e1']);
    expect(client.types()).toEqual(['m.room.message']);
    await instance.typing('!room', true);
    await instance.typing('!room', false); // "stopped typing" always goes: it must not linger
    await instance.readReceipt('!room', '$answer');
    expect(client.typing).toEqual([false]);
    expect(client.receipts).toEqual([]);
    expect(skipped).toEqual(['poll', 'reaction', 'typing', 'receipt']);
  });

  it('judges the pressure from the time its own sends take', async () => {
    const client = new FakeClient();
    const pressure = new HomeserverPressure({ slowAboveMs: 40, recoveredBelowMs: 10 });
    const { instance } = messenger(client, pressure);
    client.delayMs = 80;
    for (let i = 0; i < 6; i++) await instance.send('!room', { plain: 'x', html: 'x' });
    expect(pressure.isSlow).toBe(true);
    client.delayMs = 0;
    for (let i = 0; i < 20; i++) await instance.send('!room', { plain: 'x', html: 'x' });
    expect(pressure.isSlow).toBe(false);
  });
});

describe('MatrixMessenger.endPoll', () => {
  it('ends a poll with the unstable MSC3381 end event, a moment later, even while the homeserver is slow', async () => {
    const client = new FakeClient();
    const pressure = new HomeserverPressure({ slowAboveMs: 1, recoveredBelowMs: 0 });
    pressure.record(5_000);
    expect(pressure.isSlow).toBe(true);
    const { instance, skipped } = messenger(client, pressure);
    const ending = instance.endPoll('!room', '$poll', 'Sondage clos : la Q2 a reçu sa réponse.');
    expect(client.sent).toEqual([]);
    await ending;
    expect(client.sent).toEqual([
      {
        type: 'org.matrix.msc3381.poll.end',
        content: {
          'm.relates_to': { rel_type: 'm.reference', event_id: '$poll' },
          'org.matrix.msc3381.poll.end': {},
          'org.matrix.msc1767.text': 'Sondage clos : la Q2 a reçu sa réponse.',
          body: 'Sondage clos : la Q2 a reçu sa réponse.',
        },
      },
    ]);
    expect(skipped).toEqual([]);
  });
});
