import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChange, type JuryChange, type JuryRecord } from '../../../flows/jury/record.ts';
import { ConflictError, CONSTRAINTS, DuplicateError } from '../../../storage/index.ts';
import { backends, type Harness } from './backends.ts';

const alice = '@alice:localhost';
const bob = '@bob:localhost';
const organiser = '@orga:localhost';
const at = (iso: string) => new Date(iso);

describe.each(backends)('jury records ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await backend.open();
  });
  afterAll(async () => {
    await h?.close();
  });

  const open = (campaignId: string, candidacyId: string = randomUUID()) =>
    h.storage.jury.open({
      candidacyId,
      campaignId,
      roomId: '!jury:localhost',
      at: at('2026-10-01T08:00:00.000Z'),
    });

  /** One change written as the bot writes it: applied, then one conditional save. */
  const write = async (
    record: JuryRecord,
    change: JuryChange,
    eventId?: string,
    when = '2026-11-02T09:00:00.000Z',
  ) =>
    h.storage.jury.save(
      applyChange(record, change, { at: at(when), eventId: eventId ?? null }),
      record.version,
    );

  it('numbers dossiers per campaign in order of arrival, once each', async () => {
    const campaign = `c-${randomUUID()}`;
    const first = await open(campaign);
    const second = await open(campaign);
    const again = await open(campaign, first.candidacyId);
    const other = await open(`c-${randomUUID()}`);
    expect([first.number, second.number, again.number, other.number]).toEqual([1, 2, 1, 1]);
    expect(again).toEqual(first);
    expect(await h.storage.jury.findByNumber(campaign, 2)).toEqual(second);
    expect(await h.storage.jury.findByNumber(campaign, 3)).toBeNull();
  });

  it('gives distinct numbers to dossiers opened at the same time', async () => {
    const campaign = `c-${randomUUID()}`;
    const records = await Promise.all(Array.from({ length: 6 }, () => open(campaign)));
    expect(records.map((r) => r.number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('stores every kind of change and reads back exactly what it wrote', async () => {
    let record = await open(`c-${randomUUID()}`);
    record = await write(record, { kind: 'rootPosted', rootEventId: '$root-1' });
    record = await write(record, { kind: 'dossierPosted', version: 4, eventId: null });
    record = await write(record, { kind: 'ballot', juror: alice, level: '3' }, '$v1');
    record = await write(record, { kind: 'ballot', juror: alice, level: '4' }, '$v2');
    record = await write(record, { kind: 'recusal', juror: bob, reason: 'Élu de la commune' }, '$r1');
    record = await write(record, { kind: 'note', noteKind: 'note', author: alice, text: 'À revoir' }, '$n1');
    record = await write(record, { kind: 'question', author: alice, text: 'Combien de postes ?' }, '$q1');
    record = await write(record, { kind: 'questionRelayed', questionId: '$q1' });
    record = await write(
      record,
      { kind: 'reply', questionId: '$q1', author: '@lea:localhost', text: 'Six.', eventId: '$c1' },
      '$c1',
    );
    record = await write(
      record,
      {
        kind: 'decision',
        level: '4',
        reason: null,
        mentions: ['Coup de cœur'],
        message: 'Bravo',
        by: organiser,
      },
      '$d1',
    );
    const read = await h.storage.jury.get(record.candidacyId);
    expect(read).toEqual(record);
    expect(read?.version).toBe(11);
    expect(read?.ballots.find((b) => b.juror === alice)).toMatchObject({
      status: 'voted',
      level: '4',
      history: [
        { level: '3', eventId: '$v1' },
        { level: '4', eventId: '$v2' },
      ],
    });
    expect(read?.questions[0]).toMatchObject({ number: 1, reply: { text: 'Six.', postedAt: null } });
    expect(read?.eventIds).toEqual(['$v1', '$v2', '$r1', '$n1', '$q1', '$c1', '$d1']);
    expect(await h.storage.jury.findByThread('$root-1')).toEqual(record);
  });

  it('refuses a write made on a stale version (one conditional write per change)', async () => {
    const record = await open(`c-${randomUUID()}`);
    await write(record, { kind: 'ballot', juror: alice, level: '2' }, '$a');
    await expect(write(record, { kind: 'ballot', juror: bob, level: '5' }, '$b')).rejects.toBeInstanceOf(
      ConflictError,
    );
    const read = await h.storage.jury.get(record.candidacyId);
    expect(read?.ballots.map((b) => b.juror)).toEqual([alice]);
  });

  it('keeps a thread root to one dossier', async () => {
    const campaign = `c-${randomUUID()}`;
    const a = await open(campaign);
    const b = await open(campaign);
    await write(a, { kind: 'rootPosted', rootEventId: '$same-root' });
    const error = await write(b, { kind: 'rootPosted', rootEventId: '$same-root' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuplicateError);
    expect((error as DuplicateError).constraint).toBe(CONSTRAINTS.dossierThread);
  });

  it('lists decisions and publishes each once', async () => {
    const campaign = `c-${randomUUID()}`;
    const undecided = await open(campaign);
    const decided = await write(await open(campaign), {
      kind: 'decision',
      level: 'or',
      reason: null,
      mentions: [],
      message: '',
      by: organiser,
    });
    expect(await h.storage.jury.listDecisions(campaign)).toMatchObject([
      { candidacyId: decided.candidacyId, campaignId: campaign, level: 'or', publishedAt: null },
    ]);
    expect(await h.storage.jury.getDecision(undecided.candidacyId)).toBeNull();
    const when = at('2026-12-01T10:00:00.000Z');
    expect(await h.storage.jury.markPublished(decided.candidacyId, when)).toBe(true);
    expect(await h.storage.jury.markPublished(decided.candidacyId)).toBe(false);
    expect((await h.storage.jury.getDecision(decided.candidacyId))?.publishedAt).toEqual(when);
    expect((await h.storage.jury.listByCampaign(campaign)).map((r) => r.candidacyId)).toEqual([
      undecided.candidacyId,
      decided.candidacyId,
    ]);
  });

  it('records each ballot room once and its welcome', async () => {
    const juror = `@j-${randomUUID()}:localhost`;
    const first = await h.storage.ballotRooms.record(juror, '!ballot-1:localhost');
    const second = await h.storage.ballotRooms.record(juror, '!ballot-2:localhost');
    expect(first.created).toBe(true);
    expect(second).toMatchObject({
      created: false,
      room: { roomId: '!ballot-1:localhost', welcomedAt: null },
    });
    await h.storage.ballotRooms.markWelcomed(juror, at('2026-11-01T00:00:00.000Z'));
    expect((await h.storage.ballotRooms.get(juror))?.welcomedAt).toEqual(at('2026-11-01T00:00:00.000Z'));
  });

  it('records each reminder key once', async () => {
    const key = `manual:${randomUUID()}`;
    expect(await h.storage.juryReminders.record(key, [alice])).toBe(true);
    expect(await h.storage.juryReminders.record(key, [bob])).toBe(false);
    expect(await h.storage.juryReminders.get(key)).toMatchObject({ key, jurors: [alice] });
  });
});
