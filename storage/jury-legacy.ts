// Start-up upgrade of the jury's first storage layout (schema version 1): where each
// dossier was posted (jury_dossiers v1), with votes, notes and decisions in collections
// of their own and the dossier numbers, ballot rooms, sent messages and relays in the
// generic key/value store (bot_state "jury:*" keys). Each dossier is folded into one
// version-2 record; ballot rooms and reminders into their own collections; the old
// documents and keys are then removed. Idempotent: a crash half-way is finished at the
// next start (a folded dossier is a version-2 document and is skipped).
import type { DocCollection, RawDoc } from './port.ts';
import type { MigrationReport } from './util.ts';

type Doc = RawDoc & Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const date = (v: unknown): Date | null => (v instanceof Date ? v : null);

async function all(collection: DocCollection, filter: Record<string, unknown> = {}): Promise<Doc[]> {
  const out: Doc[] = [];
  for await (const raw of collection.find(filter as never)) out.push(raw as Doc);
  return out;
}

export async function foldLegacyJury(collection: (name: string) => DocCollection): Promise<MigrationReport> {
  const dossiers = collection('jury_dossiers');
  const legacy = await all(dossiers, { schemaVersion: 1 });
  const values = collection('bot_state');
  const juryKeys = (await all(values)).filter((d) => d._id.startsWith('jury:'));
  const report = { collection: 'jury_dossiers (from the first jury layout)', upgraded: 0 };
  if (legacy.length === 0 && juryKeys.length === 0) return report;

  const value = new Map(juryKeys.map((d) => [d._id, d.value]));
  const sent = (key: string) => value.has(`jury:sent:${key}`);
  const votes = collection('jury_votes');
  const notes = collection('jury_notes');
  const decisions = collection('jury_decisions');

  for (const old of legacy) {
    const candidacyId = old._id;
    const campaignId = str(old.campaignId) ?? '';
    const table = value.get(`jury:numbers:${campaignId}`) as
      { byCandidacy?: Record<string, number> } | undefined;
    const number = table?.byCandidacy?.[candidacyId] ?? (await nextNumber(dossiers, campaignId));
    const ballots = (await all(votes, { candidacyId })).map((v) => ({
      juror: String(v.juror),
      status: v.status,
      level: str(v.level),
      reason: str(v.reason),
      at: date(v.at) ?? new Date(0),
      eventId: (v.history as Array<{ eventId?: string | null }> | undefined)?.at(-1)?.eventId ?? null,
      history: (v.history as unknown[] | undefined) ?? [],
    }));
    const eventIds = (await all(votes, { candidacyId })).flatMap(
      (v) => (v.eventIds as string[] | undefined) ?? [],
    );
    const noteDocs = await all(notes, { candidacyId });
    noteDocs.sort((a, b) => (date(a.at)?.getTime() ?? 0) - (date(b.at)?.getTime() ?? 0));
    const questions = noteDocs
      .filter((n) => n.kind === 'question')
      .map((q, i) => {
        const replyId = str(value.get(`jury:answered:${q._id}`));
        const reply = replyId ? noteDocs.find((n) => n._id === replyId) : undefined;
        const replyEvent = reply ? (str(reply.eventId) ?? reply._id) : null;
        return {
          id: q._id,
          number: i + 1,
          author: String(q.author),
          text: String(q.text),
          at: date(q.at) ?? new Date(0),
          relayedAt: sent(`question:${q._id}`) ? (date(q.at) ?? new Date(0)) : null,
          reply:
            reply && replyEvent
              ? {
                  author: String(reply.author),
                  text: String(reply.text),
                  at: date(reply.at) ?? new Date(0),
                  eventId: replyEvent,
                  postedAt: sent(`reply:${replyEvent}`) ? (date(reply.at) ?? new Date(0)) : null,
                }
              : null,
        };
      });
    const kept = noteDocs
      .filter((n) => n.kind === 'note' || n.kind === 'mention')
      .map((n) => ({
        id: n._id,
        kind: n.kind,
        author: String(n.author),
        text: String(n.text),
        at: date(n.at) ?? new Date(0),
      }));
    const d = await decisions.findOne({ _id: candidacyId });
    const decision = d
      ? {
          level: d.level,
          reason: str(d.reason),
          mentions: d.mentions ?? [],
          message: str(d.message) ?? '',
          decidedBy: d.decidedBy,
          decidedAt: d.decidedAt,
          version: d.version,
          eventId: str(d.eventId),
          publishedAt: date(d.publishedAt),
          postedVersion: sent(`decision:${candidacyId}:${String(d.version)}`) ? d.version : 0,
          corrections: d.corrections ?? [],
        }
      : null;
    const root = str(old.rootEventId);
    const folded: Doc = {
      _id: candidacyId,
      schemaVersion: 2,
      campaignId,
      number,
      version: 1,
      ...(root ? { threadRoot: root } : {}),
      post: {
        roomId: old.roomId,
        rootEventId: root,
        postedVersion: old.postedVersion,
        postedAt: old.postedAt,
        updates: old.updates ?? [],
        // Under the first layout votes opened at once: the thread needs no "voting open" notice.
        votingOpenedAt: old.postedAt,
        withdrawnNoticeAt: sent(`dossier:${candidacyId}:withdrawn`) ? old.postedAt : null,
      },
      ballots,
      notes: kept,
      questions,
      decision,
      eventIds: [...new Set(eventIds)].slice(-200),
      outbox: null,
      createdAt: old.postedAt,
    };
    report.upgraded += await dossiers.replaceOne({ _id: candidacyId, schemaVersion: 1 }, folded);
    await votes.deleteMany({ candidacyId });
    await notes.deleteMany({ candidacyId });
    await decisions.deleteMany({ _id: candidacyId });
  }

  const ballotRooms = collection('jury_ballot_rooms');
  const reminders = collection('jury_reminders');
  const rooms = collection('rooms');
  for (const entry of juryKeys) {
    const ballot = /^jury:ballot:(.+)$/.exec(entry._id);
    const roomId = str(entry.value);
    if (ballot?.[1] && roomId) {
      const welcomed = sent(`ballot-welcome:${roomId}`) ? new Date() : null;
      await ballotRooms.updateOne(
        { _id: ballot[1] },
        { $setOnInsert: { schemaVersion: 1, roomId, createdAt: new Date(), welcomedAt: welcomed } },
        { upsert: true },
      );
      await rooms.updateOne({ _id: roomId }, { $set: { kind: 'ballot' } });
    }
    const remind = /^jury:sent:remind:(.+)$/.exec(entry._id);
    if (remind?.[1]) {
      await reminders.updateOne(
        { _id: remind[1] },
        { $setOnInsert: { schemaVersion: 1, at: new Date(), jurors: [] } },
        { upsert: true },
      );
    }
  }
  // Anything left of the jury in the generic store is now held by typed records.
  for (const entry of juryKeys) await values.deleteMany({ _id: entry._id });
  return report;
}

async function nextNumber(dossiers: DocCollection, campaignId: string): Promise<number> {
  let max = 0;
  for await (const raw of dossiers.find({ campaignId }, { projection: { number: 1 } })) {
    if (typeof raw.number === 'number') max = Math.max(max, raw.number);
  }
  return max + 1;
}
