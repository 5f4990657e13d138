import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, CONSTRAINTS, DuplicateError, RecusedError } from '../../../storage/index.ts';
import { backends, type Harness } from './backends.ts';

const alice = '@alice:localhost';
const bob = '@bob:localhost';
const carol = '@carol:localhost';
const organiser = '@orga:localhost';

describe.each(backends)('jury ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await backend.open();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('keeps one vote per juror and dossier, with its history', async () => {
    const candidacyId = randomUUID();
    const t1 = new Date('2026-11-02T09:00:00.000Z');
    const first = await h.storage.jury.castVote({
      candidacyId,
      juror: alice,
      level: '3',
      at: t1,
      eventId: '$v1',
    });
    expect(first).toMatchObject({ outcome: 'applied', vote: { status: 'voted', level: '3', at: t1 } });
    const changed = await h.storage.jury.castVote({ candidacyId, juror: alice, level: '4', eventId: '$v2' });
    expect(changed.vote.level).toBe('4');
    await h.storage.jury.castVote({ candidacyId, juror: bob, level: null });
    const votes = await h.storage.jury.listVotes(candidacyId);
    expect(votes.map((v) => [v.juror, v.status, v.level])).toEqual([
      [alice, 'voted', '4'],
      [bob, 'abstained', null],
    ]);
    expect(votes[0]?.history.map((e) => e.level)).toEqual(['3', '4']);

    // The same vote event delivered again changes nothing, even after a later vote.
    const replay = await h.storage.jury.castVote({ candidacyId, juror: alice, level: '3', eventId: '$v1' });
    expect(replay.outcome).toBe('duplicate');
    expect((await h.storage.jury.getVote(candidacyId, alice))?.level).toBe('4');
  });

  it('makes two simultaneous first votes of one juror a single vote', async () => {
    const candidacyId = randomUUID();
    const results = await Promise.all(
      ['1', '2', '3', '4', '5'].map((level, i) =>
        h.storage.jury.castVote({ candidacyId, juror: carol, level, eventId: `$race${i}` }),
      ),
    );
    expect(results.every((r) => r.outcome === 'applied')).toBe(true);
    const votes = await h.storage.jury.listVotes(candidacyId);
    expect(votes).toHaveLength(1);
    expect(votes[0]?.history).toHaveLength(5);
  });

  it('excludes a recused juror from voting', async () => {
    const candidacyId = randomUUID();
    await h.storage.jury.castVote({ candidacyId, juror: bob, level: '2' });
    const recusal = await h.storage.jury.recuse({
      candidacyId,
      juror: bob,
      reason: 'I work there',
      eventId: '$r',
    });
    expect(recusal.vote).toMatchObject({ status: 'recused', level: null, reason: 'I work there' });
    const vote = h.storage.jury.castVote({ candidacyId, juror: bob, level: '5' });
    await expect(vote).rejects.toBeInstanceOf(RecusedError);
    expect(await h.storage.jury.recuse({ candidacyId, juror: bob, eventId: '$r' })).toMatchObject({
      outcome: 'duplicate',
    });
    // Recusing before any vote works too.
    await h.storage.jury.recuse({ candidacyId, juror: carol });
    await expect(h.storage.jury.castVote({ candidacyId, juror: carol, level: '1' })).rejects.toBeInstanceOf(
      RecusedError,
    );
    expect((await h.storage.jury.listVotes(candidacyId)).map((v) => v.status)).toEqual([
      'recused',
      'recused',
    ]);
  });

  it('keeps notes, once per event, and finds a relayed question', async () => {
    const candidacyId = randomUUID();
    const note = await h.storage.jury.addNote({
      candidacyId,
      kind: 'note',
      author: alice,
      text: 'Strong open data',
      eventId: '$n1',
      at: new Date('2026-11-02T10:00:00.000Z'),
    });
    expect(note.created).toBe(true);
    const again = await h.storage.jury.addNote({
      candidacyId,
      kind: 'note',
      author: alice,
      text: 'Strong open data',
      eventId: '$n1',
    });
    expect(again).toMatchObject({ created: false, note: { id: note.note.id } });
    const question = await h.storage.jury.addNote({
      candidacyId,
      kind: 'question',
      author: bob,
      text: 'How many workstations run Linux?',
      at: new Date('2026-11-02T11:00:00.000Z'),
    });
    await h.storage.jury.setRelayEvent(question.note.id, '$relayed-in-candidacy-room');
    expect((await h.storage.jury.findNoteByRelayEvent('$relayed-in-candidacy-room'))?.id).toBe(
      question.note.id,
    );
    expect((await h.storage.jury.listNotes(candidacyId)).map((n) => n.kind)).toEqual(['note', 'question']);
    expect(await h.storage.jury.listNotes(candidacyId, { kind: 'question' })).toHaveLength(1);
  });

  it('records where each dossier was posted, once, and follows its updates', async () => {
    const candidacyId = randomUUID();
    const rootEventId = `$root-${randomUUID()}`;
    const input = {
      candidacyId,
      campaignId: 'c2026',
      roomId: '!jury:localhost',
      rootEventId,
      postedVersion: 12,
    };
    expect((await h.storage.jury.recordDossier(input)).created).toBe(true);
    expect((await h.storage.jury.recordDossier(input)).created).toBe(false);
    expect((await h.storage.jury.findDossierByThread(rootEventId))?.candidacyId).toBe(candidacyId);
    await expect(h.storage.jury.recordDossier({ ...input, candidacyId: randomUUID() })).rejects.toMatchObject(
      { constraint: CONSTRAINTS.dossierThread },
    );

    const updated = await h.storage.jury.recordDossierUpdate(candidacyId, { version: 15, eventId: '$diff' });
    expect(updated.postedVersion).toBe(15);
    const stale = await h.storage.jury.recordDossierUpdate(candidacyId, { version: 14 });
    expect(stale.postedVersion).toBe(15);
    expect(stale.updates.map((u) => u.version)).toEqual([15]);
  });

  it('lists a campaign’s dossiers without their update history', async () => {
    const campaignId = `c-${randomUUID()}`;
    const [a, b] = [randomUUID(), randomUUID()].sort();
    for (const [candidacyId, campaign] of [
      [b, campaignId],
      [a, campaignId],
      [randomUUID(), `c-${randomUUID()}`],
    ] as const) {
      await h.storage.jury.recordDossier({
        candidacyId,
        campaignId: campaign,
        roomId: '!jury:localhost',
        rootEventId: `$root-${candidacyId}`,
        postedVersion: 3,
      });
    }
    await h.storage.jury.recordDossierUpdate(b as string, { version: 5, eventId: '$diff' });
    expect(await h.storage.jury.listDossiers(campaignId)).toEqual([
      { candidacyId: a, campaignId, rootEventId: `$root-${a}`, postedVersion: 3 },
      { candidacyId: b, campaignId, rootEventId: `$root-${b}`, postedVersion: 5 },
    ]);
    expect(await h.storage.jury.listDossiers(`c-${randomUUID()}`)).toEqual([]);
  });

  it('lists the notes of many dossiers at once, oldest first, optionally by kind', async () => {
    const ids = Array.from({ length: 1200 }, () => randomUUID());
    const noteAt = async (index: number, kind: 'question' | 'reply' | 'note', minute: number) =>
      (
        await h.storage.jury.addNote({
          candidacyId: ids[index] as string,
          kind,
          author: alice,
          text: `${kind} ${index}`,
          at: new Date(Date.UTC(2026, 10, 2, 9, minute)),
          eventId: `$${kind}-${ids[index]}`,
        })
      ).note.id;
    // Far apart in the list (several queries), and the later ids wrote first.
    const late = await noteAt(0, 'question', 30);
    const early = await noteAt(1100, 'question', 10);
    const reply = await noteAt(700, 'reply', 20);
    const privateNote = await noteAt(700, 'note', 25);
    await noteAt(1199, 'question', 5); // not asked for
    const asked = ids.slice(0, 1199);
    expect((await h.storage.jury.listNotesOf(asked)).map((n) => n.id)).toEqual([
      early,
      reply,
      privateNote,
      late,
    ]);
    const relayed = await h.storage.jury.listNotesOf(asked, { kinds: ['question', 'reply'] });
    expect(relayed.map((n) => [n.id, n.kind, n.candidacyId])).toEqual([
      [early, 'question', ids[1100]],
      [reply, 'reply', ids[700]],
      [late, 'question', ids[0]],
    ]);
    expect(await h.storage.jury.listNotesOf([])).toEqual([]);
  });

  it('records a decision once and audits its corrections', async () => {
    const candidacyId = randomUUID();
    const decidedAt = new Date('2026-11-20T17:00:00.000Z');
    const { decision } = await h.storage.jury.decide({
      candidacyId,
      campaignId: 'c2026',
      level: 'silver',
      mentions: ['coup de cœur'],
      message: 'Bravo',
      by: organiser,
      at: decidedAt,
      eventId: '$decide',
    });
    expect(decision).toMatchObject({ level: 'silver', version: 1, reason: null, corrections: [] });
    expect((await h.storage.jury.decide({ ...decision, by: organiser, eventId: '$decide' })).created).toBe(
      false,
    );
    await expect(
      h.storage.jury.decide({ candidacyId, campaignId: 'c2026', level: 'gold', message: '', by: organiser }),
    ).rejects.toBeInstanceOf(DuplicateError);

    const correctedAt = new Date('2026-11-21T09:00:00.000Z');
    const corrected = await h.storage.jury.correctDecision(decision, {
      level: 'gold',
      reason: 'Open data portal counted twice as missing',
      by: carol,
      at: correctedAt,
    });
    expect(corrected).toMatchObject({
      level: 'gold',
      version: 2,
      decidedBy: carol,
      mentions: ['coup de cœur'],
    });
    expect(corrected.corrections).toEqual([
      {
        previous: {
          level: 'silver',
          reason: null,
          mentions: ['coup de cœur'],
          message: 'Bravo',
          decidedBy: organiser,
          decidedAt,
        },
        reason: 'Open data portal counted twice as missing',
        by: carol,
        at: correctedAt,
      },
    ]);
    await expect(
      h.storage.jury.correctDecision(decision, { level: 'bronze', reason: 'stale', by: alice }),
    ).rejects.toBeInstanceOf(ConflictError);

    expect(await h.storage.jury.markPublished(candidacyId)).toBe(true);
    expect(await h.storage.jury.markPublished(candidacyId)).toBe(false);
    expect((await h.storage.jury.listDecisions('c2026')).map((d) => d.candidacyId)).toContain(candidacyId);
  });
});
