// Everything the jury room and the candidacy rooms must receive about a dossier, done
// from what is stored: the dossier's root message, thread and file; its changes while
// provisional; "voting is open" when it becomes final early; its withdrawal; questions
// relayed to the candidate and their replies; the decision and its corrections. Each
// step is sent with a stable idempotency key, then recorded in the dossier's record,
// so a crash between the two repeats the send harmlessly and `sync` (run after every
// change and at start-up) finishes exactly what is missing.
import { answerChanges } from '../../flows/jury/changes.ts';
import { phaseOfDossier, secrecyFacts, statusOf } from '../../flows/jury/snapshot.ts';
import { mayShow } from '../../flows/jury/secrecy.ts';
import type { JuryChange, JuryRecord } from '../../flows/jury/record.ts';
import { jurorsOf, type JuryPolicy, type Roster } from '../../flows/jury/rules.ts';
import type { Campaign, Storage } from '../../storage/index.ts';
import {
  dossierChanges,
  dossierFileName,
  dossierHeader,
  dossierHeaderBlock,
  dossierHtmlDocument,
  dossierSections,
  formatDateTime,
} from '../render/dossier.ts';
import * as render from '../render/jury.ts';
import { votingOpenForJuror } from '../render/jury-tally.ts';
import type { Messenger, OutgoingMessage } from '../types.ts';
import type { BallotRooms } from './ballot-rooms.ts';
import type { JuryDossiers, LoadedDossier } from './dossiers.ts';
import type { RoomReaderList } from './readers.ts';
import { decisionMessage, dossierRef, timeZoneOf } from './replies.ts';

export interface PosterContext {
  readonly storage: Storage;
  readonly messenger: Messenger;
  readonly dossiers: JuryDossiers;
  readonly ballotRooms: BallotRooms;
  readonly juryRoom: string;
  readonly lang: string;
  readonly timeZone: string;
  readonly roster: Roster;
  readonly policy: JuryPolicy;
  readonly now: () => Date;
  readonly readers: RoomReaderList;
  /** A juror's language. */
  languageOf(userId: string): Promise<string>;
  warn(data: Record<string, unknown>, message: string): void;
}

/** Statuses of candidacies that have reached the jury. */
export const REVIEW_STATUSES = ['submitted', 'under_review', 'decided', 'withdrawn'] as const;

export class DossierPoster {
  private readonly c: PosterContext;

  constructor(context: PosterContext) {
    this.c = context;
  }

  /** Posts or completes what the dossier still needs; safe to call any number of times. */
  sync(candidacyId: string): Promise<void> {
    return this.c.dossiers.lock.run(candidacyId, async () => {
      const candidacy = await this.c.storage.candidacies.get(candidacyId);
      if (!candidacy || !(REVIEW_STATUSES as readonly string[]).includes(candidacy.status)) return;
      let record = await this.c.storage.jury.get(candidacyId);
      if (!record) {
        if (candidacy.status === 'withdrawn') return; // withdrawn before reaching the jury
        record = await this.c.storage.jury.open({
          candidacyId,
          campaignId: candidacy.campaignId,
          roomId: this.c.juryRoom,
        });
      }
      let dossier = await this.c.dossiers.assemble(record, candidacy);
      const step = async (change: JuryChange) => {
        const stored = await this.c.dossiers.write(dossier.record, change);
        dossier = { ...dossier, record: stored };
      };
      if (!dossier.record.post.rootEventId) await this.postRoot(dossier, step);
      if (dossier.record.post.postedVersion === null) await this.postThread(dossier, step);
      else if (candidacy.version > dossier.record.post.postedVersion) await this.postChanges(dossier, step);
      await this.afterPosted(step, () => dossier);
    });
  }

  /**
   * What a change just written still owes (a question to relay, a decision to post),
   * from the dossier as the caller holds it: no read again.
   */
  followUp(dossier: LoadedDossier): Promise<void> {
    return this.c.dossiers.lock.run(dossier.record.candidacyId, async () => {
      let current = dossier;
      const step = async (change: JuryChange) => {
        const stored = await this.c.dossiers.write(current.record, change);
        current = { ...current, record: stored };
      };
      await this.afterPosted(step, () => current);
    });
  }

  /** The notices and relays a posted dossier may still owe. */
  private async afterPosted(step: (change: JuryChange) => Promise<void>, d: () => LoadedDossier) {
    const phase = phaseOfDossier(d(), this.c.now());
    if (phase === 'final' && !d().record.post.votingOpenedAt && this.c.now() < d().closesAt) {
      // Confirmed final early by the candidate: the campaign's closing announcement will not cover it.
      await this.announceEarlyFinal(d());
      await step({ kind: 'votingOpened' });
    }
    if (d().candidacyStatus === 'withdrawn' && !d().record.post.withdrawnNoticeAt) {
      await this.toThread(d(), render.withdrawnMessage(dossierRef(d()), this.c.lang), `withdrawn`);
      await step({ kind: 'withdrawnNoticed' });
    }
    for (const question of d().record.questions) {
      if (question.relayedAt === null && d().candidacy.roomId) {
        await this.c.messenger.send(
          d().candidacy.roomId as string,
          render.questionForCandidate(question.number, question.text, d().candidacy.language),
          { idempotencyKey: `jury:question:${question.id}` },
        );
        await step({ kind: 'questionRelayed', questionId: question.id });
      }
      const reply = question.reply;
      if (reply && reply.postedAt === null) {
        await this.toThread(
          d(),
          render.replyRelayed(reply.author, question, reply.text, this.c.lang),
          `reply:${reply.eventId}`,
        );
        await step({ kind: 'replyPosted', questionId: question.id });
        if (d().candidacy.roomId) {
          await this.c.messenger.send(
            d().candidacy.roomId as string,
            render.simple(d().candidacy.language, 'question.replyAck'),
            { idempotencyKey: `jury:reply-ack:${reply.eventId}` },
          );
        }
      }
    }
    const decision = d().record.decision;
    if (decision && decision.postedVersion < decision.version) {
      const status = statusOf(d().record, d().scale, this.c.roster, this.c.policy);
      const facts = { ...secrecyFacts(status, d().record, d().openVotes), decided: true };
      const readers = await this.c.readers.of(this.c.juryRoom);
      const message = decisionMessage(
        d(),
        this.c,
        this.c.lang,
        mayShow(readers, 'distribution', 'jury', facts),
      );
      await this.toThread(d(), message, `decision:${d().record.candidacyId}:${decision.version}`);
      await step({ kind: 'decisionPosted', version: decision.version });
    }
  }

  private async toThread(dossier: LoadedDossier, message: OutgoingMessage, key: string): Promise<string[]> {
    const root = dossier.record.post.rootEventId;
    return this.c.messenger.send(
      this.c.juryRoom,
      { ...message, ...(root ? { threadRoot: root } : {}) },
      { idempotencyKey: `jury:${key}` },
    );
  }

  private options(dossier: LoadedDossier) {
    return {
      lang: this.c.lang,
      timeZone: timeZoneOf(dossier, this.c.timeZone),
      campaignName: dossier.campaign.name,
      number: dossier.record.number,
    };
  }

  private async postRoot(dossier: LoadedDossier, step: (change: JuryChange) => Promise<void>) {
    await this.c.ballotRooms.prepare(jurorsOf(this.c.roster), (juror, err) =>
      this.c.warn({ juror, err }, 'could not prepare a ballot room'),
    );
    const options = this.options(dossier);
    const header = dossierHeader(dossier.candidacy, dossier.questionnaire, options.lang);
    const provisional = phaseOfDossier(dossier, this.c.now()) === 'provisional';
    const until = provisional ? formatDateTime(dossier.closesAt, options.lang, options.timeZone) : null;
    const [root] = await this.c.messenger.send(
      this.c.juryRoom,
      render.rootMessage(
        dossierHeaderBlock(header, options),
        dossierRef(dossier),
        { provisionalUntil: until },
        options.lang,
      ),
      { idempotencyKey: `jury:dossier:${dossier.record.candidacyId}:root` },
    );
    if (!root) throw new Error('the jury root message has no event id');
    await step({ kind: 'rootPosted', rootEventId: root });
    // Posted already final (after closing, or confirmed early): the root message says voting is open.
    if (!provisional) await step({ kind: 'votingOpened' });
  }

  private dossierFile(dossier: LoadedDossier) {
    const options = this.options(dossier);
    const header = dossierHeader(dossier.candidacy, dossier.questionnaire, options.lang);
    return {
      name: `${dossierFileName(header, dossier.record.number)}.html`,
      mimetype: 'text/html',
      data: Buffer.from(dossierHtmlDocument(dossier.candidacy, dossier.questionnaire, options), 'utf8'),
    };
  }

  private async postThread(dossier: LoadedDossier, step: (change: JuryChange) => Promise<void>) {
    const { candidacy, record } = dossier;
    const root = record.post.rootEventId as string;
    const options = this.options(dossier);
    const send = (message: OutgoingMessage, key: string) =>
      this.c.messenger.send(
        this.c.juryRoom,
        { ...message, threadRoot: root },
        { idempotencyKey: `jury:dossier:${candidacy.id}:${key}` },
      );
    await send(render.threadIntro(dossierRef(dossier), options.lang), 'intro');
    const sections = dossierSections(candidacy, dossier.questionnaire, options);
    for (const [i, section] of sections.entries()) await send(section, `section:${i}`);
    await this.c.messenger.sendFile(
      this.c.juryRoom,
      { ...this.dossierFile(dossier), threadRoot: root },
      { idempotencyKey: `jury:dossier:${candidacy.id}:file` },
    );
    await step({ kind: 'dossierPosted', version: candidacy.version, eventId: null });
  }

  private async postChanges(dossier: LoadedDossier, step: (change: JuryChange) => Promise<void>) {
    const { candidacy, record } = dossier;
    const shown = record.post.postedVersion ?? 0;
    const audit = await this.c.storage.candidacies.listAudit(candidacy.id);
    const changes = answerChanges(audit, shown, candidacy.answers);
    let eventId: string | null = null;
    if (changes.length > 0) {
      const key = `dossier:${candidacy.id}:update:${candidacy.version}`;
      const block = dossierChanges(changes, dossier.questionnaire, this.c.lang);
      [eventId = null] = await this.toThread(
        dossier,
        render.updatedMessage(changes.length, block, this.c.lang),
        key,
      );
      await this.c.messenger.sendFile(
        this.c.juryRoom,
        {
          ...this.dossierFile(dossier),
          ...(record.post.rootEventId ? { threadRoot: record.post.rootEventId } : {}),
        },
        { idempotencyKey: `jury:${key}:file` },
      );
    }
    await step({ kind: 'dossierPosted', version: candidacy.version, eventId });
  }

  /** A dossier confirmed final before closing: its thread, and each juror who may vote on it. */
  private async announceEarlyFinal(dossier: LoadedDossier) {
    const ref = dossierRef(dossier);
    await this.toThread(
      dossier,
      render.votingOpenInThread(ref, this.c.lang),
      `voting-open:${ref.number}:${dossier.record.candidacyId}`,
    );
    for (const juror of jurorsOf(this.c.roster)) {
      if (dossier.record.ballots.some((b) => b.juror === juror)) continue;
      const room = await this.c.ballotRooms.roomOf(juror);
      await this.c.messenger.send(room, votingOpenForJuror([ref], await this.c.languageOf(juror)), {
        idempotencyKey: `jury:voting-open:${dossier.record.candidacyId}:${juror}`,
      });
    }
  }

  /**
   * The campaign's candidacies that `sync` has something to do for, in creation order:
   * not with the jury yet (unless withdrawn first), changed since posted, or owing a
   * notice, relay or decision post. Two streamed reads per campaign.
   */
  async dueIn(campaign: Campaign): Promise<string[]> {
    const records = new Map<string, JuryRecord>();
    for (const r of await this.c.storage.jury.listByCampaign(campaign.id)) records.set(r.candidacyId, r);
    const due: string[] = [];
    for await (const c of this.c.storage.candidacies.listVersions(campaign.id, {
      statuses: REVIEW_STATUSES,
    })) {
      const r = records.get(c.id);
      if (!r) {
        if (c.status !== 'withdrawn') due.push(c.id);
        continue;
      }
      const owes =
        !r.post.rootEventId ||
        r.post.postedVersion === null ||
        c.version > r.post.postedVersion ||
        (c.status === 'withdrawn' && !r.post.withdrawnNoticeAt) ||
        (c.status === 'under_review' && !r.post.votingOpenedAt && this.c.now() < campaign.closesAt) ||
        r.questions.some((q) => q.relayedAt === null || (q.reply !== null && q.reply.postedAt === null)) ||
        (r.decision !== null && r.decision.postedVersion < r.decision.version);
      if (owes) due.push(c.id);
    }
    return due;
  }
}
