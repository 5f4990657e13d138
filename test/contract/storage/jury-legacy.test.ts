// The first jury layout (schema version 1: votes, notes and decisions in collections of
// their own, numbers and relays in the generic key/value store) folded into one
// record per dossier at start-up, with nothing of the jury left in the generic store.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type Harness } from './backends.ts';

const t = (iso: string) => new Date(iso);

describe.each(backends)('jury records from the first layout ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await backend.open();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('folds a posted dossier with its votes, questions, reply and decision, and empties the generic store', async () => {
    const id = randomUUID();
    const campaign = `c-${randomUUID()}`;
    await h.putRaw('jury_dossiers', {
      _id: id,
      schemaVersion: 1,
      campaignId: campaign,
      roomId: '!jury:localhost',
      rootEventId: `$root-${id}`,
      postedAt: t('2026-10-01T08:00:00.000Z'),
      postedVersion: 7,
      updates: [],
    });
    await h.putRaw('jury_votes', {
      _id: `${id}|@alice:localhost`,
      schemaVersion: 1,
      candidacyId: id,
      juror: '@alice:localhost',
      status: 'voted',
      level: '3',
      reason: null,
      at: t('2026-10-20T08:00:00.000Z'),
      eventIds: ['$vote-a'],
      history: [{ status: 'voted', level: '3', at: t('2026-10-20T08:00:00.000Z'), eventId: '$vote-a' }],
    });
    await h.putRaw('jury_notes', {
      _id: '$question',
      schemaVersion: 1,
      candidacyId: id,
      kind: 'question',
      author: '@alice:localhost',
      text: 'Combien ?',
      at: t('2026-10-21T08:00:00.000Z'),
      eventId: '$question',
    });
    await h.putRaw('jury_notes', {
      _id: '$reply',
      schemaVersion: 1,
      candidacyId: id,
      kind: 'reply',
      author: '@lea:localhost',
      text: 'Six.',
      at: t('2026-10-22T08:00:00.000Z'),
      eventId: '$reply',
    });
    await h.putRaw('jury_decisions', {
      _id: id,
      schemaVersion: 1,
      campaignId: campaign,
      level: '3',
      reason: null,
      mentions: [],
      message: '',
      decidedBy: '@orga:localhost',
      decidedAt: t('2026-10-25T08:00:00.000Z'),
      version: 1,
      eventId: '$decide',
      publishedAt: null,
      corrections: [],
    });
    const value = (key: string, v: unknown) =>
      h.putRaw('bot_state', {
        _id: key,
        schemaVersion: 1,
        value: v,
        updatedAt: t('2026-10-01T00:00:00.000Z'),
      });
    await value(`jury:numbers:${campaign}`, { next: 5, byCandidacy: { [id]: 4 } });
    await value('jury:sent:question:$question', []);
    await value('jury:sent:reply:$reply', ['$posted-reply']);
    await value(`jury:sent:decision:${id}:1`, ['$posted-decision']);
    await value('jury:answered:$question', '$reply');
    await value('jury:reply-to:$reply', '$question');
    await value('jury:ballot:@alice:localhost', '!ballot-alice:localhost');
    await value('jury:sent:remind:deadline:x:72h', []);
    await h.putRaw('rooms', {
      _id: '!ballot-alice:localhost',
      schemaVersion: 1,
      kind: 'jury',
      candidacyId: null,
      userId: '@alice:localhost',
      createdAt: t('2026-10-01T00:00:00.000Z'),
      updatedAt: t('2026-10-01T00:00:00.000Z'),
    });

    await h.storage.migrate();
    const record = await h.storage.jury.get(id);
    expect(record).toMatchObject({
      number: 4,
      post: { rootEventId: `$root-${id}`, postedVersion: 7 },
      ballots: [{ juror: '@alice:localhost', status: 'voted', level: '3' }],
      questions: [{ number: 1, text: 'Combien ?', reply: { text: 'Six.', eventId: '$reply' } }],
      decision: { level: '3', version: 1, postedVersion: 1 },
    });
    expect(record?.questions[0]?.relayedAt).not.toBeNull();
    expect(record?.questions[0]?.reply?.postedAt).not.toBeNull();
    expect(await h.storage.ballotRooms.get('@alice:localhost')).toMatchObject({
      roomId: '!ballot-alice:localhost',
    });
    expect((await h.storage.botState.getRoom('!ballot-alice:localhost'))?.kind).toBe('ballot');
    expect(await h.storage.juryReminders.get('deadline:x:72h')).not.toBeNull();
    for (const key of [`jury:numbers:${campaign}`, 'jury:ballot:@alice:localhost', 'jury:answered:$question'])
      expect(await h.storage.botState.getValue(key)).toBeNull();
    expect(await h.getRaw('jury_votes', `${id}|@alice:localhost`)).toBeNull();
    // A second start finds nothing left to fold.
    expect((await h.storage.migrate())[0]).toMatchObject({ upgraded: 0 });
  });
});
