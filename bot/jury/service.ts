// The jury room and the jurors' ballot rooms: dossier handoff, commands, votes,
// tallies, questions to candidates, decisions, reminders.
//
// Crash safety: every change is stored first (with the Matrix event id when there is
// one, so a redelivered event changes nothing twice), then messages are sent with
// idempotency keys derived from that event or from the stored record. Cross-room posts
// (dossier roots, questions to a candidacy, relayed replies, decisions in a thread) are
// also logged once sent, so `syncDossiers()` can finish whatever a crash interrupted.
//
// Secrecy: a vote typed in the shared jury room is read by every juror, so votes are
// taken in each juror's private ballot room (bot + juror) unless the campaign's votes
// are open; tallies go to a juror privately until every juror has voted.
import { createHash } from 'node:crypto';
import type { DraftFields, JuryCommand } from '../../flows/jury/commands.ts';
import { parseJuryCommand } from '../../flows/jury/commands.ts';
import { rank } from '../../flows/jury/majority.ts';
import {
  type Ballot,
  checkBallot,
  checkContribution,
  checkRecusal,
  checkTallyReader,
  correct,
  decide,
  type DossierVotes,
  isDecider,
  isMember,
  jurorsOf,
  type JuryStatus,
  juryStatus,
  type Phase,
  type Roles,
  rolesOf,
  type Roster,
  tallyMayBePublic,
} from '../../flows/jury/rules.ts';
import { DEFAULT_SCALE, type LevelScale, levelIndex, levelLabel } from '../../flows/jury/scale.ts';
import type { Questionnaire } from '../../flows/questionnaire.ts';
import { translator } from '../../locales/i18n.ts';
import {
  type Campaign,
  type Candidacy,
  type Decision,
  type JuryDossier,
  type JuryVote,
  RecusedError,
  StorageUnavailableError,
} from '../../storage/index.ts';
import type { BotContext, BotServices } from '../context.ts';
import { escapeHtml } from '../html-guard.ts';
import {
  type AnswerChange,
  dossierChanges,
  dossierFileName,
  dossierHeader,
  dossierHeaderBlock,
  dossierHtmlDocument,
  dossierSections,
} from '../render/dossier.ts';
import * as render from '../render/jury.ts';
import type { OutgoingMessage, RawEvent, RoomHandler, RoutedEvent } from '../types.ts';
import { DossierNumbers, KeyedLock, questionnaireOf, scaleOf, SentLog } from './support.ts';

type JuryServiceApi = NonNullable<BotServices['jury']>;

/** Everything known about one dossier in the jury, read fresh for each action. */
interface DossierState {
  candidacy: Candidacy;
  campaign: Campaign;
  questionnaire: Questionnaire;
  scale: LevelScale;
  number: number;
  name: string;
  dossier: JuryDossier | null;
  votes: JuryVote[];
  decision: Decision | null;
  status: JuryStatus;
  phase: Phase;
}

/** Where a command was typed. */
interface Place {
  roomId: string;
  /** The thread it was typed in, if any (replies go there). */
  threadRoot: string | null;
  /** The ballot room's owner, or null for the shared jury room. */
  ballotOwner: string | null;
  lang: string;
  eventId: string;
  sender: string;
}

/** Automatic reminders to jurors, this long before the jury deadline. */
const JURY_REMINDERS_MS = [3 * 86_400_000, 86_400_000];

/** A jury question as numbered in its dossier (Q1, Q2...). */
interface Question {
  id: string;
  number: number;
  text: string;
}

/** "Q2 ...", "q 2: ...", "#2 ..." at the start of a candidate's reply. */
const QUESTION_REF = /^\s*(?:q|#)\s*(\d{1,4})\b\s*[:.)-]?\s*/i;

const REVIEW_STATUSES = ['submitted', 'under_review', 'decided', 'withdrawn'] as const;

/** Sent-log keys the catch-up checks in batch: built in one place so they cannot drift. */
const sentKey = {
  withdrawn: (candidacyId: string) => `dossier:${candidacyId}:withdrawn`,
  question: (noteId: string) => `question:${noteId}`,
  reply: (eventId: string) => `reply:${eventId}`,
  decision: (candidacyId: string, version: number) => `decision:${candidacyId}:${version}`,
};

export interface RemindOptions {
  /** Only this dossier. */
  candidacyId?: string;
  /** Only this campaign's dossiers. */
  campaignId?: string;
  /**
   * A stable key for a scheduled reminder (e.g. "deadline:2026:48h"): the reminder is
   * sent at most once per key, even across restarts.
   */
  key?: string;
  /** Post in this thread of the jury room (where the command was typed) rather than its main timeline. */
  threadRoot?: string;
}

export class JuryService implements RoomHandler, JuryServiceApi {
  private readonly ctx: BotContext;
  private readonly lock = new KeyedLock();
  private readonly sentLog: SentLog;
  private readonly numbers: DossierNumbers;
  /** Jurors whose ballot room is known to exist and to have them invited (this process). */
  private readonly ballotReady = new Map<string, string>();

  constructor(ctx: BotContext) {
    this.ctx = ctx;
    this.sentLog = new SentLog(ctx.storage, ctx.messenger);
    this.numbers = new DossierNumbers(ctx.storage, this.lock);
  }

  // ---- configuration --------------------------------------------------------------

  private get roster(): Roster {
    const { jurors, organisers, juryPresident } = this.ctx.config.people;
    return { jurors, organisers, president: juryPresident };
  }

  private get roomLang(): string {
    return this.ctx.config.bot.defaultLanguage;
  }

  private policy() {
    return { quorum: this.ctx.config.jury.quorum, spreadAlert: this.ctx.config.jury.spreadAlert };
  }

  private openVotes(campaign: Campaign): boolean {
    return campaign.votesOpen || this.ctx.config.jury.openVotes;
  }

  private async langOf(userId: string): Promise<string> {
    return (await this.ctx.storage.botState.getLanguage(userId)) ?? this.roomLang;
  }

  private get timeZone(): string {
    return this.ctx.config.timeZone;
  }

  // ---- reading a dossier's state -------------------------------------------------------

  private async load(candidacyId: string): Promise<DossierState | null> {
    const storage = this.ctx.storage;
    const candidacy = await storage.candidacies.get(candidacyId);
    if (!candidacy) return null;
    const campaign = await storage.campaigns.require(candidacy.campaignId);
    const questionnaire = questionnaireOf(campaign);
    const scale = campaign.levels.length > 0 ? scaleOf(campaign) : DEFAULT_SCALE;
    const [dossier, votes, decision, table] = await Promise.all([
      storage.jury.getDossier(candidacyId),
      storage.jury.listVotes(candidacyId),
      storage.jury.getDecision(candidacyId),
      this.numbers.table(campaign.id),
    ]);
    const status = juryStatus(this.roster, toDossierVotes(votes, scale), scale.levels.length, this.policy());
    return {
      candidacy,
      campaign,
      questionnaire,
      scale,
      number: table.get(candidacyId) ?? 0,
      name: dossierHeader(candidacy, questionnaire, this.roomLang).name,
      dossier,
      votes,
      decision,
      status,
      phase: decision ? 'decided' : candidacy.status === 'withdrawn' ? 'withdrawn' : 'review',
    };
  }

  /** Campaigns whose dossiers are with the jury (results not published yet), newest first. */
  private async juryCampaigns(): Promise<Campaign[]> {
    const all = await this.ctx.storage.campaigns.list();
    return all.filter((c) => c.publishedAt === null).reverse();
  }

  /** The scale of the campaign under review (the newest unpublished one, else the newest). */
  private async currentScale(): Promise<LevelScale> {
    const all = await this.ctx.storage.campaigns.list();
    const campaign = [...all].reverse().find((c) => c.publishedAt === null) ?? all[all.length - 1];
    return campaign && campaign.levels.length > 0 ? scaleOf(campaign) : DEFAULT_SCALE;
  }

  private async findByNumber(number: number): Promise<string | null> {
    const campaigns = await this.ctx.storage.campaigns.list();
    const ordered = [
      ...campaigns.filter((c) => c.publishedAt === null).reverse(),
      ...campaigns.filter((c) => c.publishedAt !== null).reverse(),
    ];
    for (const campaign of ordered) {
      for (const [id, n] of await this.numbers.table(campaign.id)) if (n === number) return id;
    }
    return null;
  }

  /** Dossiers of the jury's campaigns (or of one), in number order. */
  private async allDossiers(campaignId?: string): Promise<Array<{ candidacyId: string; number: number }>> {
    const out: Array<{ candidacyId: string; number: number }> = [];
    for (const campaign of await this.juryCampaigns()) {
      if (campaignId !== undefined && campaign.id !== campaignId) continue;
      for (const [candidacyId, number] of await this.numbers.table(campaign.id))
        out.push({ candidacyId, number });
    }
    return out.sort((a, b) => a.number - b.number);
  }

  // ---- ballot rooms ---------------------------------------------------------------------

  /** The juror's private ballot room, created (and the juror invited) on first need. */
  async ballotRoom(juror: string): Promise<string> {
    const ready = this.ballotReady.get(juror);
    if (ready) return ready;
    return this.lock.run(`ballot:${juror}`, async () => {
      const storage = this.ctx.storage;
      const key = `jury:ballot:${juror}`;
      const known = await storage.botState.getValue(key);
      let roomId = typeof known === 'string' ? known : null;
      const lang = await this.langOf(juror);
      if (!roomId) {
        const t = translator(lang, 'jury');
        // Registered before the juror is invited, so their first event is routed here.
        roomId = await this.ctx.messenger.createRoom({
          name: t('ballot.roomName', { name: juror }),
          invite: [],
        });
        await storage.botState.setValue(key, roomId);
        await storage.botState.registerRoom(roomId, { kind: 'jury', userId: juror });
      }
      const members = await this.ctx.messenger.members(roomId);
      if (!members.includes(juror)) await this.ctx.messenger.invite(roomId, juror);
      const scale = await this.currentScale();
      await this.sentLog.send(`ballot-welcome:${roomId}`, roomId, render.ballotWelcome(scale, lang));
      this.ballotReady.set(juror, roomId);
      return roomId;
    });
  }

  private async ensureBallotRooms(): Promise<void> {
    for (const juror of jurorsOf(this.roster)) {
      try {
        await this.ballotRoom(juror);
      } catch (error) {
        this.ctx.logger.warn({ juror, err: error }, 'could not prepare a ballot room');
      }
    }
  }

  // ---- dossier handoff ------------------------------------------------------------------

  /** Start-up catch-up: every dossier as `syncDossiers()`, and any reminder due meanwhile. */
  async reconcile(): Promise<void> {
    await this.syncDossiers();
    await this.remindBeforeDeadline();
  }

  /**
   * Checks the jury deadlines now and then and after every clock jump (deadlines are
   * stored, so nothing is lost while the bot is down). Returns a function that stops it.
   */
  startScheduler(intervalMs = 10 * 60_000): () => void {
    let stopped = false;
    const check = () => {
      if (stopped) return;
      this.remindBeforeDeadline().catch((error: unknown) =>
        this.ctx.logger.error({ err: error }, 'jury: deadline reminders failed'),
      );
    };
    const timer = setInterval(check, intervalMs);
    timer.unref();
    this.ctx.clock.onJump(check);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }

  async syncDossiers(candidacyId?: string): Promise<void> {
    if (candidacyId !== undefined) {
      // Called from the candidate's room: a jury-side failure must not fail their submission.
      // What is missing is posted at the next sync or at start-up (everything is keyed).
      try {
        await this.syncOne(candidacyId);
      } catch (error) {
        this.ctx.logger.error({ candidacyId, err: error }, 'jury: dossier sync failed');
      }
      return;
    }
    // Start-up or catch-up: a few set-wide reads per campaign tell which dossiers need
    // work, and only those are loaded in full (thousands of up-to-date ones cost a few
    // bytes each), then whatever a crash may have left unsent.
    const campaigns = await this.juryCampaigns();
    for (const campaign of campaigns) {
      for (const id of await this.dossiersToSync(campaign.id)) {
        try {
          await this.syncOne(id);
        } catch (error) {
          this.ctx.logger.error({ candidacyId: id, err: error }, 'jury: dossier sync failed');
        }
      }
    }
    await this.resendPending(campaigns);
  }

  /**
   * The campaign's candidacies that `syncOne` has something to do for, in creation order
   * (numbers follow it): not posted yet (unless withdrawn first), edited since their
   * thread was last updated, or withdrawn without the thread having been told.
   */
  private async dossiersToSync(campaignId: string): Promise<string[]> {
    const storage = this.ctx.storage;
    const posted = new Map<string, number>();
    for (const d of await storage.jury.listDossiers(campaignId)) posted.set(d.candidacyId, d.postedVersion);
    const due: Array<{ id: string; withdrawnKey?: string }> = [];
    for await (const c of storage.candidacies.listVersions(campaignId, { statuses: REVIEW_STATUSES })) {
      const postedVersion = posted.get(c.id);
      if (postedVersion === undefined) {
        if (c.status !== 'withdrawn') due.push({ id: c.id });
      } else if (c.version > postedVersion) due.push({ id: c.id });
      else if (c.status === 'withdrawn') due.push({ id: c.id, withdrawnKey: sentKey.withdrawn(c.id) });
    }
    const told = await this.sentLog.sentKeys(due.flatMap((d) => (d.withdrawnKey ? [d.withdrawnKey] : [])));
    return due.filter((d) => !d.withdrawnKey || !told.has(d.withdrawnKey)).map((d) => d.id);
  }

  private syncOne(candidacyId: string): Promise<void> {
    return this.lock.run(candidacyId, async () => {
      const state = await this.load(candidacyId);
      if (!state || state.candidacy.status === 'draft') return;
      if (!state.dossier) {
        if (state.candidacy.status === 'withdrawn') return; // withdrawn before reaching the jury
        await this.postDossier(state);
        return;
      }
      if (state.candidacy.version > state.dossier.postedVersion) await this.postChanges(state, state.dossier);
      if (state.candidacy.status === 'withdrawn') {
        const ref = { number: state.number, name: state.name };
        await this.sentLog.send(sentKey.withdrawn(candidacyId), this.ctx.rooms.jury, {
          ...render.withdrawnMessage(ref, this.roomLang),
          threadRoot: state.dossier.rootEventId,
        });
      }
    });
  }

  private dossierOptions(state: DossierState) {
    return {
      lang: this.roomLang,
      timeZone: state.campaign.timeZone || this.timeZone,
      campaignName: state.campaign.name,
      number: state.number,
    };
  }

  private dossierFile(state: DossierState) {
    const options = this.dossierOptions(state);
    const header = dossierHeader(state.candidacy, state.questionnaire, options.lang);
    return {
      name: `${dossierFileName(header, state.number)}.html`,
      mimetype: 'text/html',
      data: Buffer.from(dossierHtmlDocument(state.candidacy, state.questionnaire, options), 'utf8'),
    };
  }

  private async postDossier(state: DossierState): Promise<void> {
    const { candidacy } = state;
    const room = this.ctx.rooms.jury;
    const number = await this.numbers.assign(state.campaign.id, candidacy.id);
    state.number = number;
    await this.ensureBallotRooms();
    const options = this.dossierOptions(state);
    const header = dossierHeader(candidacy, state.questionnaire, options.lang);
    const ref = { number, name: header.name };
    const [root] = await this.sentLog.send(
      `dossier:${candidacy.id}:root`,
      room,
      render.rootMessage(dossierHeaderBlock(header, options), ref, options.lang),
    );
    if (!root) throw new Error('the jury root message has no event id');
    const send = (message: OutgoingMessage, key: string) =>
      this.ctx.messenger.send(
        room,
        { ...message, threadRoot: root },
        { idempotencyKey: `jury:dossier:${candidacy.id}:${key}` },
      );
    await send(render.threadIntro(ref, options.lang), 'intro');
    const sections = dossierSections(candidacy, state.questionnaire, options);
    for (const [i, section] of sections.entries()) await send(section, `section:${i}`);
    await this.ctx.messenger.sendFile(
      room,
      { ...this.dossierFile(state), threadRoot: root },
      { idempotencyKey: `jury:dossier:${candidacy.id}:file` },
    );
    // Recorded last: until then a restart posts the missing parts again (same keys).
    await this.ctx.storage.jury.recordDossier({
      candidacyId: candidacy.id,
      campaignId: state.campaign.id,
      roomId: room,
      rootEventId: root,
      postedVersion: candidacy.version,
    });
  }

  private async postChanges(state: DossierState, dossier: JuryDossier): Promise<void> {
    const { candidacy } = state;
    const audit = await this.ctx.storage.candidacies.listAudit(candidacy.id);
    const firstBefore = new Map<string, unknown>();
    for (const entry of audit) {
      if (entry.kind !== 'answer' || entry.version <= dossier.postedVersion) continue;
      if (!firstBefore.has(entry.questionId)) firstBefore.set(entry.questionId, entry.previous?.value);
    }
    const changes: AnswerChange[] = [];
    for (const [questionId, before] of firstBefore) {
      const after = candidacy.answers[questionId]?.value;
      if (JSON.stringify(before) !== JSON.stringify(after)) changes.push({ questionId, before, after });
    }
    let eventId: string | null = null;
    if (changes.length > 0) {
      const key = `dossier:${candidacy.id}:update:${candidacy.version}`;
      const block = dossierChanges(changes, state.questionnaire, this.roomLang);
      [eventId = null] = await this.sentLog.send(key, this.ctx.rooms.jury, {
        ...render.updatedMessage(changes.length, block, this.roomLang),
        threadRoot: dossier.rootEventId,
      });
      await this.ctx.messenger.sendFile(
        this.ctx.rooms.jury,
        { ...this.dossierFile(state), threadRoot: dossier.rootEventId },
        { idempotencyKey: `jury:${key}:file` },
      );
    }
    await this.ctx.storage.jury.recordDossierUpdate(candidacy.id, { version: candidacy.version, eventId });
  }

  /** Questions, replies and decisions whose cross-room post a crash interrupted. */
  private async resendPending(campaigns: readonly Campaign[]): Promise<void> {
    for (const campaign of campaigns) {
      for (const candidacyId of await this.pendingRelays(campaign.id)) {
        try {
          await this.lock.run(candidacyId, async () => {
            const state = await this.load(candidacyId);
            if (!state?.dossier) return;
            const notes = await this.ctx.storage.jury.listNotes(candidacyId);
            const questions = notes.filter((n) => n.kind === 'question');
            for (const [i, q] of questions.entries()) await this.relayQuestion(state, q.id, i + 1, q.text);
            for (const reply of notes.filter((n) => n.kind === 'reply')) {
              if (!reply.eventId || (await this.sentLog.sent(sentKey.reply(reply.eventId)))) continue;
              const question = await this.questionOf(state, reply.id);
              if (question) await this.postReply(state, reply.author, reply.text, reply.eventId, question);
            }
            if (state.decision) await this.postDecision(state, state.decision);
          });
        } catch (error) {
          this.ctx.logger.error({ candidacyId, err: error }, 'jury: catch-up failed');
        }
      }
    }
  }

  /**
   * The campaign's posted dossiers with a question, a reply or a decision (its current
   * version) whose sent-log entry is missing: read for all dossiers at once, by key.
   */
  private async pendingRelays(campaignId: string): Promise<string[]> {
    const storage = this.ctx.storage;
    const dossiers = (await storage.jury.listDossiers(campaignId)).map((d) => d.candidacyId);
    const posted = new Set(dossiers);
    const expected = new Map<string, string>(); // sent-log key -> candidacy
    for (const note of await storage.jury.listNotesOf(dossiers, { kinds: ['question', 'reply'] })) {
      if (note.kind === 'question') expected.set(sentKey.question(note.id), note.candidacyId);
      else if (note.eventId) expected.set(sentKey.reply(note.eventId), note.candidacyId);
    }
    for (const decision of await storage.jury.listDecisions(campaignId)) {
      if (posted.has(decision.candidacyId))
        expected.set(sentKey.decision(decision.candidacyId, decision.version), decision.candidacyId);
    }
    const sent = await this.sentLog.sentKeys([...expected.keys()]);
    const pending = new Set<string>();
    for (const [key, candidacyId] of expected) if (!sent.has(key)) pending.add(candidacyId);
    return dossiers.filter((id) => pending.has(id));
  }

  // ---- the candidate's side ---------------------------------------------------------------

  /** Sends a juror's question to the candidacy room (once); false if that is not possible yet. */
  private async relayQuestion(
    state: DossierState,
    noteId: string,
    number: number,
    text: string,
  ): Promise<boolean> {
    const key = sentKey.question(noteId);
    if (await this.sentLog.sent(key)) return true;
    const candidacy = this.ctx.services.candidacy;
    if (!candidacy) return false;
    await candidacy.notify(
      state.candidacy.id,
      (lang) => render.questionForCandidate(number, text, lang),
      `jury:${key}`,
    );
    await this.sentLog.mark(key, []);
    return true;
  }

  /**
   * A message the candidate wrote in their room outside the questionnaire. It answers
   * the jury's question it names ("Q2 ...") or the oldest one still waiting; with no
   * question waiting it is not for the jury and is left alone.
   */
  async relayCandidateReply(
    candidacyId: string,
    sender: string,
    text: string,
    eventId: string,
  ): Promise<void> {
    const body = text.trim();
    if (!body) return;
    await this.lock.run(candidacyId, async () => {
      const state = await this.load(candidacyId);
      if (!state?.dossier) return;
      const storage = this.ctx.storage;
      const replies = await storage.jury.listNotes(candidacyId, { kind: 'reply' });
      const stored = replies.find((n) => n.eventId === eventId) ?? null;
      let question = stored ? await this.questionOf(state, stored.id) : null;
      let reply = stored;
      if (!question || !reply) {
        const target = await this.waitingQuestion(state, body, stored?.id ?? null);
        if (!target) return;
        reply =
          stored ??
          (await storage.jury.addNote({ candidacyId, kind: 'reply', author: sender, text: body, eventId }))
            .note;
        // Both directions, so a redelivered reply and the catch-up find their question.
        await storage.botState.setValue(`jury:reply-to:${reply.id}`, target.id);
        await storage.botState.setValue(`jury:answered:${target.id}`, reply.id);
        question = target;
      }
      await this.postReply(state, reply.author, reply.text, eventId, question);
      await this.ctx.services.candidacy?.notify(
        candidacyId,
        (lang) => render.simple(lang, 'question.replyAck'),
        `jury:reply-ack:${eventId}`,
      );
    });
  }

  /** Whether a jury question waits for this candidacy's reply (the candidacy side asks before routing a message). */
  async hasWaitingQuestion(candidacyId: string): Promise<boolean> {
    const state = await this.load(candidacyId);
    if (!state?.dossier) return false;
    return (await this.waitingQuestion(state, '', null)) !== null;
  }

  private async questionOf(state: DossierState, replyId: string): Promise<Question | null> {
    const id = await this.ctx.storage.botState.getValue(`jury:reply-to:${replyId}`);
    if (typeof id !== 'string') return null;
    const questions = await this.ctx.storage.jury.listNotes(state.candidacy.id, { kind: 'question' });
    const index = questions.findIndex((q) => q.id === id);
    const q = questions[index];
    return q ? { id: q.id, number: index + 1, text: q.text } : null;
  }

  /** The question a reply answers: the one it names if still waiting, else the oldest waiting. */
  private async waitingQuestion(
    state: DossierState,
    body: string,
    replyId: string | null,
  ): Promise<Question | null> {
    const questions = await this.ctx.storage.jury.listNotes(state.candidacy.id, { kind: 'question' });
    const waiting: Question[] = [];
    for (const [i, q] of questions.entries()) {
      const answered = await this.ctx.storage.botState.getValue(`jury:answered:${q.id}`);
      if (answered === null || answered === replyId) waiting.push({ id: q.id, number: i + 1, text: q.text });
    }
    const named = QUESTION_REF.exec(body);
    return waiting.find((q) => named && q.number === Number(named[1])) ?? waiting[0] ?? null;
  }

  /** Posts a candidate's reply in the dossier's thread (once), under the question it answers. */
  private async postReply(
    state: DossierState,
    sender: string,
    body: string,
    eventId: string,
    question: Question,
  ) {
    const named = QUESTION_REF.exec(body);
    const text =
      named && Number(named[1]) === question.number ? body.slice(named[0].length).trim() || body : body;
    await this.sentLog.send(sentKey.reply(eventId), this.ctx.rooms.jury, {
      ...render.replyRelayed(sender, question, text, this.roomLang),
      ...(state.dossier ? { threadRoot: state.dossier.rootEventId } : {}),
    });
  }

  // ---- reminders ------------------------------------------------------------------------------

  /**
   * Reminds jurors who have not voted on undecided dossiers, in the jury room (pinging
   * them). Returns the jurors reminded. For the organisers' scheduler: pass a stable key.
   */
  async remindJurors(options: RemindOptions = {}): Promise<string[]> {
    const key = `remind:${options.key ?? this.ctx.clock.now().toISOString()}`;
    if (options.key && (await this.sentLog.sent(key))) return [];
    const targets = options.candidacyId
      ? [{ candidacyId: options.candidacyId }]
      : await this.allDossiers(options.campaignId);
    const pending = new Map<string, number[]>();
    let deadline: Date | null = null;
    for (const { candidacyId } of targets) {
      const state = await this.load(candidacyId);
      if (!state?.dossier || state.phase !== 'review') continue;
      deadline ??= state.campaign.juryDeadline;
      for (const juror of state.status.missing)
        pending.set(juror, [...(pending.get(juror) ?? []), state.number]);
    }
    const byJuror = [...pending.entries()].map(([juror, dossiers]) => ({
      juror,
      dossiers: dossiers.sort((a, b) => a - b),
    }));
    if (byJuror.length === 0) {
      // A scheduled reminder with nobody to remind is done too: the scheduler's next ticks
      // must not read every dossier again to find that out.
      if (options.key) await this.sentLog.mark(key, []);
      return [];
    }
    const message = {
      ...render.reminderMessage(byJuror, deadline, this.roomLang, this.timeZone),
      mentions: byJuror.map((j) => j.juror),
      ...(options.threadRoot ? { threadRoot: options.threadRoot } : {}),
    };
    await this.sentLog.send(key, this.ctx.rooms.jury, message);
    return byJuror.map((j) => j.juror);
  }

  /**
   * The automatic reminders before each campaign's jury deadline (3 days, then 1 day
   * before), each at most once, the nearest one only after downtime. Idempotent: the
   * organisers' scheduler calls it on each tick and after a clock jump.
   */
  async remindBeforeDeadline(): Promise<string[]> {
    const now = this.ctx.clock.now().getTime();
    const reminded = new Set<string>();
    for (const campaign of await this.juryCampaigns()) {
      const deadline = campaign.juryDeadline?.getTime();
      if (deadline === undefined || now >= deadline) continue;
      const due = JURY_REMINDERS_MS.filter((offset) => now >= deadline - offset);
      if (due.length === 0) continue;
      const offset = Math.min(...due);
      const key = `deadline:${campaign.id}:${Math.round(offset / 3_600_000)}h`;
      for (const juror of await this.remindJurors({ key, campaignId: campaign.id })) reminded.add(juror);
    }
    return [...reminded];
  }

  // ---- events ------------------------------------------------------------------------------------

  async handle(routed: RoutedEvent): Promise<void> {
    const { event, roomId } = routed;
    if (event.type !== 'm.room.message') return;
    const content = event.content;
    if (content.msgtype !== 'm.text' || typeof content.body !== 'string') return;
    const relates = content['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined;
    if (relates?.rel_type === 'm.replace') return; // edits of commands are not commands again
    const threadRoot =
      relates?.rel_type === 'm.thread' && typeof relates.event_id === 'string' ? relates.event_id : null;

    let ballotOwner: string | null = null;
    if (roomId !== this.ctx.rooms.jury) {
      const entry = await this.ctx.storage.botState.getRoom(roomId);
      if (entry?.kind !== 'jury' || !entry.userId) return;
      ballotOwner = entry.userId;
    }
    const sender = event.sender;
    const place: Place = {
      roomId,
      threadRoot,
      ballotOwner,
      lang: ballotOwner ? await this.langOf(ballotOwner) : this.roomLang,
      eventId: event.event_id,
      sender,
    };
    const scale = await this.currentScale();
    const parsed = parseJuryCommand(content.body, scale);
    if (parsed === null) return; // discussion
    const roles = rolesOf(this.roster, sender);
    if (ballotOwner && sender !== ballotOwner)
      return this.reply(place, render.simple(place.lang, 'refusal.notOwner'));
    if (!isMember(roles)) return this.reply(place, render.simple(place.lang, 'refusal.notMember'));
    if (!parsed.ok) {
      const levels = render.levelsText(scale, place.lang);
      const key = `refusal.${parsed.error}` as const;
      return this.reply(
        place,
        render.simple(place.lang, key, {
          command: parsed.command,
          input: 'input' in parsed ? parsed.input : '',
          levels,
        }),
      );
    }
    try {
      await this.execute(parsed.command, place, roles, scale, event);
    } catch (error) {
      const common = translator(place.lang, 'common');
      const text = error instanceof StorageUnavailableError ? common('notSaved') : common('internalError');
      await this.reply(place, { plain: text, html: `<p>${escapeHtml(text)}</p>` }, 'error');
      if (!(error instanceof StorageUnavailableError)) throw error;
    }
  }

  private async reply(
    place: Place,
    message: { plain: string; html: string },
    suffix = 'reply',
  ): Promise<void> {
    await this.ctx.messenger.send(
      place.roomId,
      { ...message, ...(place.threadRoot ? { threadRoot: place.threadRoot } : {}) },
      { idempotencyKey: `jury:${place.eventId}:${suffix}` },
    );
  }

  /** Posts in the dossier's thread, and also answers where the command was typed if elsewhere. */
  private async publish(
    state: DossierState,
    place: Place,
    message: { plain: string; html: string },
    key: string,
  ) {
    const root = state.dossier?.rootEventId;
    await this.ctx.messenger.send(
      this.ctx.rooms.jury,
      { ...message, ...(root ? { threadRoot: root } : {}) },
      { idempotencyKey: `jury:${key}` },
    );
    if (place.roomId !== this.ctx.rooms.jury || place.threadRoot !== root)
      await this.reply(place, message, 'echo');
  }

  /** The dossier a command is about: its #number, else the thread it was typed in. */
  private async target(
    place: Place,
    number: number | null,
  ): Promise<DossierState | 'none' | 'unknown' | 'notReady'> {
    let candidacyId: string | null;
    if (number !== null) {
      candidacyId = await this.findByNumber(number);
      if (!candidacyId) return 'unknown';
    } else if (place.threadRoot && !place.ballotOwner) {
      const dossier = await this.ctx.storage.jury.findDossierByThread(place.threadRoot);
      if (!dossier) return 'none';
      candidacyId = dossier.candidacyId;
    } else return 'none';
    const state = await this.load(candidacyId);
    if (!state) return 'unknown';
    if (!state.dossier) return 'notReady';
    return state;
  }

  private async execute(
    command: JuryCommand,
    place: Place,
    roles: Roles,
    scale: LevelScale,
    event: RawEvent,
  ) {
    const lang = place.lang;
    if (command.name === 'help') return this.reply(place, render.helpMessage(scale, lang));
    const number = 'dossier' in command ? command.dossier : null;
    if (command.name === 'tally' && number === null && !place.threadRoot) return this.overview(place, roles);
    if (command.name === 'remind' && number === null && !place.threadRoot) {
      const reminded = await this.remindJurors({ key: `manual:${event.event_id}` });
      if (reminded.length === 0 || place.ballotOwner)
        await this.reply(place, render.simple(lang, 'remind.nothing'));
      return;
    }
    const found = await this.target(place, number);
    if (found === 'none') return this.reply(place, render.simple(lang, 'refusal.noDossier'));
    if (found === 'unknown')
      return this.reply(place, render.simple(lang, 'refusal.unknownDossier', { number: number ?? 0 }));
    if (found === 'notReady') return this.reply(place, render.simple(lang, 'refusal.notReady'));
    await this.lock.run(found.candidacy.id, async () => {
      // Read again under the lock: another room may have changed it meanwhile.
      const state = (await this.load(found.candidacy.id)) ?? found;
      switch (command.name) {
        case 'vote':
          return this.vote(state, place, roles, command.level);
        case 'abstain':
          return this.vote(state, place, roles, null);
        case 'recuse':
          return this.recuse(state, place, roles, command.text);
        case 'note':
          return this.note(state, place, command.text);
        case 'notes':
          return this.notes(state, place, roles);
        case 'mention':
          return this.mention(state, place, roles, command.text);
        case 'question':
          return this.question(state, place, roles, command.text);
        case 'tally':
          return this.tally(state, place, roles);
        case 'decide':
          return this.decide(state, place, roles, command.draft);
        case 'correct':
          return this.correct(state, place, roles, command.draft);
        case 'remind': {
          const reminded = await this.remindJurors({
            candidacyId: state.candidacy.id,
            key: `manual:${event.event_id}`,
            ...(place.threadRoot && !place.ballotOwner ? { threadRoot: place.threadRoot } : {}),
          });
          if (reminded.length === 0) await this.reply(place, render.simple(lang, 'remind.nothing'));
          return;
        }
      }
    });
  }

  private ref(state: DossierState) {
    return { number: state.number, name: state.name };
  }

  private decidedLabel(state: DossierState, lang: string): string {
    const index = state.decision ? levelIndex(state.scale, state.decision.level) : null;
    return index === null ? (state.decision?.level ?? '?') : levelLabel(state.scale, index, lang);
  }

  private async vote(state: DossierState, place: Place, roles: Roles, level: number | null) {
    const { sender, lang } = place;
    const recused = state.status.recused.includes(sender);
    const where = place.ballotOwner ? 'private' : 'shared';
    const check = checkBallot(roles, recused, state.phase, where, this.openVotes(state.campaign));
    if (!check.ok) {
      const params: Record<string, string | number> = {
        number: state.number,
        level: this.decidedLabel(state, lang),
      };
      if (check.reason === 'secretBallot') {
        const room = await this.ballotRoom(sender);
        params.room = `https://matrix.to/#/${room}`;
      }
      return this.reply(place, render.simple(lang, `refusal.${check.reason}`, params));
    }
    const before = state.votes.find((v) => v.juror === sender);
    const beforeLevel =
      before?.status === 'voted' && before.level ? levelIndex(state.scale, before.level) : null;
    try {
      await this.ctx.storage.jury.castVote({
        candidacyId: state.candidacy.id,
        juror: sender,
        level: level === null ? null : (state.scale.levels[level]?.id ?? null),
        eventId: place.eventId,
      });
    } catch (error) {
      if (error instanceof RecusedError) {
        return this.reply(place, render.simple(lang, 'refusal.recused', { number: state.number }));
      }
      throw error;
    }
    await this.reply(place, render.voteRecorded(this.ref(state), state.scale, level, beforeLevel, lang));
    await this.afterBallot(state.candidacy.id);
  }

  /** Once every juror has a ballot, the tally is posted for all (again if a vote changes). */
  private async afterBallot(candidacyId: string) {
    const state = await this.load(candidacyId);
    if (!state?.dossier || !state.status.allVoted) return;
    const signature = createHash('sha256')
      .update(JSON.stringify(state.votes.map((v) => [v.juror, v.status, v.level])))
      .digest('hex')
      .slice(0, 16);
    await this.ctx.messenger.send(
      this.ctx.rooms.jury,
      { ...this.tallyFor(state, this.roomLang, true), threadRoot: state.dossier.rootEventId },
      { idempotencyKey: `jury:tally:${candidacyId}:${signature}` },
    );
  }

  private tallyFor(state: DossierState, lang: string, complete = false) {
    const ballots = this.openVotes(state.campaign)
      ? new Map(
          state.status.voted.map((juror) => {
            const vote = state.votes.find((v) => v.juror === juror);
            return [juror, vote?.level ? (levelIndex(state.scale, vote.level) ?? -1) : -1] as const;
          }),
        )
      : undefined;
    return render.tallyMessage(
      {
        ref: this.ref(state),
        status: state.status,
        scale: state.scale,
        decidedLevel: state.decision ? levelIndex(state.scale, state.decision.level) : null,
        complete,
        ...(ballots ? { ballots } : {}),
      },
      lang,
    );
  }

  private async recuse(state: DossierState, place: Place, roles: Roles, reason: string) {
    const { sender, lang } = place;
    const check = checkRecusal(roles, state.status.recused.includes(sender), state.phase);
    if (!check.ok) {
      const params = { number: state.number, level: this.decidedLabel(state, lang) };
      return this.reply(place, render.simple(lang, `refusal.${check.reason}`, params));
    }
    await this.ctx.storage.jury.recuse({
      candidacyId: state.candidacy.id,
      juror: sender,
      reason: reason || null,
      eventId: place.eventId,
    });
    if (place.ballotOwner) {
      await this.reply(place, render.simple(lang, 'recusal.recorded', this.ref(state)));
    }
    await this.ctx.messenger.send(
      this.ctx.rooms.jury,
      {
        ...render.simple(this.roomLang, 'recusal.announced', { juror: sender, number: state.number }),
        ...(state.dossier ? { threadRoot: state.dossier.rootEventId } : {}),
      },
      { idempotencyKey: `jury:${place.eventId}:recusal` },
    );
    await this.afterBallot(state.candidacy.id);
  }

  private async note(state: DossierState, place: Place, text: string) {
    await this.ctx.storage.jury.addNote({
      candidacyId: state.candidacy.id,
      kind: 'note',
      author: place.sender,
      text,
      eventId: place.eventId,
    });
    await this.reply(place, render.simple(place.lang, 'note.recorded', { number: state.number }));
  }

  private async notes(state: DossierState, place: Place, roles: Roles) {
    const check = checkContribution(roles, state.status.recused.includes(place.sender));
    if (!check.ok)
      return this.reply(place, render.simple(place.lang, 'refusal.recused', { number: state.number }));
    const notes = await this.ctx.storage.jury.listNotes(state.candidacy.id, { kind: 'note' });
    await this.reply(place, render.notesMessage(this.ref(state), notes, place.lang, this.timeZone));
  }

  private async mention(state: DossierState, place: Place, roles: Roles, text: string) {
    const check = checkContribution(roles, state.status.recused.includes(place.sender));
    if (!check.ok)
      return this.reply(place, render.simple(place.lang, 'refusal.recused', { number: state.number }));
    await this.ctx.storage.jury.addNote({
      candidacyId: state.candidacy.id,
      kind: 'mention',
      author: place.sender,
      text,
      eventId: place.eventId,
    });
    const message = render.simple(this.roomLang, 'mention.proposed', {
      author: place.sender,
      mention: text,
      number: state.number,
    });
    await this.publish(state, place, message, `${place.eventId}:mention`);
  }

  private async question(state: DossierState, place: Place, roles: Roles, text: string) {
    const check = checkContribution(roles, state.status.recused.includes(place.sender));
    if (!check.ok)
      return this.reply(place, render.simple(place.lang, 'refusal.recused', { number: state.number }));
    const { note } = await this.ctx.storage.jury.addNote({
      candidacyId: state.candidacy.id,
      kind: 'question',
      author: place.sender,
      text,
      eventId: place.eventId,
    });
    const questions = await this.ctx.storage.jury.listNotes(state.candidacy.id, { kind: 'question' });
    const number = questions.findIndex((q) => q.id === note.id) + 1;
    const relayed = await this.relayQuestion(state, note.id, number, text);
    const message = render.simple(this.roomLang, relayed ? 'question.sent' : 'question.pending', {
      question: number,
      number: state.number,
      text,
    });
    await this.publish(state, place, message, `${place.eventId}:question`);
  }

  private async tally(state: DossierState, place: Place, roles: Roles) {
    const { sender, lang } = place;
    const reader = checkTallyReader(roles, sender, state.status);
    if (!reader.ok) {
      const params = {
        number: state.number,
        done: state.status.quorum.participating,
        total: state.status.eligible.length,
      };
      const key = reader.reason === 'notMember' ? 'refusal.notMember' : (`refusal.${reader.reason}` as const);
      return this.reply(place, render.simple(lang, key, params));
    }
    if (place.ballotOwner) return this.reply(place, this.tallyFor(state, lang));
    if (tallyMayBePublic(state.status, isDecider(roles))) {
      return this.publish(state, place, this.tallyFor(state, this.roomLang), `${place.eventId}:tally`);
    }
    // A juror who voted asks in the shared room before everyone voted: privately.
    const room = await this.ballotRoom(sender);
    const ownLang = await this.langOf(sender);
    await this.ctx.messenger.send(room, this.tallyFor(state, ownLang), {
      idempotencyKey: `jury:${place.eventId}:private-tally`,
    });
    await this.reply(
      place,
      render.simple(lang, 'tally.sentPrivately', {
        number: state.number,
        done: state.status.quorum.participating,
        total: state.status.eligible.length,
      }),
    );
  }

  /** `!tally` outside a dossier: the ranking for organisers, one's own votes for a juror. */
  private async overview(place: Place, roles: Roles) {
    const states: DossierState[] = [];
    for (const { candidacyId } of await this.allDossiers()) {
      const state = await this.load(candidacyId);
      if (state?.dossier) states.push(state);
    }
    const scale = states[0]?.scale ?? DEFAULT_SCALE;
    if (isDecider(roles)) {
      const ranked = rank(
        states
          .filter((s) => s.phase !== 'withdrawn')
          .map((s) => ({ item: this.ref(s), result: s.status.result })),
      );
      return this.reply(place, render.rankingMessage(ranked, scale, place.lang));
    }
    const items: render.ProgressItem[] = states
      .filter((s) => s.phase !== 'withdrawn')
      .map((s) => {
        const vote = s.votes.find((v) => v.juror === place.sender);
        const state: render.ProgressItem['state'] = s.decision
          ? 'decided'
          : s.status.recused.includes(place.sender)
            ? 'recused'
            : vote?.status === 'voted'
              ? 'voted'
              : vote?.status === 'abstained'
                ? 'abstained'
                : 'missing';
        return {
          ref: this.ref(s),
          state,
          level: vote?.level ? levelIndex(s.scale, vote.level) : null,
          done: s.status.quorum.participating,
          total: s.status.eligible.length,
        };
      });
    return this.reply(place, render.progressMessage(items, scale, place.lang));
  }

  private draftOf(fields: DraftFields) {
    return { level: fields.level, reason: fields.reason, mentions: fields.mentions, message: fields.message };
  }

  private async decide(state: DossierState, place: Place, roles: Roles, fields: DraftFields) {
    const { lang } = place;
    const result = decide(roles, state.phase, state.status, this.draftOf(fields));
    if (!result.ok) {
      // A redelivered `!decide` finds its own decision: post it again (same key), no refusal.
      if (result.reason === 'alreadyDecided' && state.decision?.eventId === place.eventId) {
        return this.postDecision(state, state.decision, place);
      }
      const proposed = state.status.result.majorityGrade;
      const params = {
        number: state.number,
        level:
          result.reason === 'alreadyDecided'
            ? this.decidedLabel(state, lang)
            : levelLabel(state.scale, fields.level ?? proposed ?? 0, lang),
        proposed: proposed === null ? '?' : levelLabel(state.scale, proposed, lang),
        done: state.status.quorum.participating,
        required: state.status.quorum.required,
      };
      return this.reply(place, render.simple(lang, `decision.refusal.${result.reason}`, params));
    }
    const { decision } = await this.ctx.storage.jury.decide({
      candidacyId: state.candidacy.id,
      campaignId: state.campaign.id,
      level: state.scale.levels[result.decision.level]?.id ?? String(result.decision.level + 1),
      reason: result.decision.reason,
      mentions: [...result.decision.mentions],
      message: result.decision.message ?? '',
      by: place.sender,
      eventId: place.eventId,
    });
    await this.postDecision({ ...state, decision, phase: 'decided' }, decision, place);
  }

  /** The decision (or its latest correction) in the dossier's thread, once per version. */
  private async postDecision(state: DossierState, decision: Decision, place?: Place) {
    const level = levelIndex(state.scale, decision.level) ?? 0;
    const view = {
      ref: this.ref(state),
      scale: state.scale,
      level,
      proposed: state.status.result.majorityGrade,
      reason: decision.reason,
      mentions: decision.mentions,
      message: decision.message || null,
      by: decision.decidedBy,
    };
    const last = decision.corrections[decision.corrections.length - 1];
    const message =
      decision.version > 1 && last
        ? render.correctionMessage(
            {
              ...view,
              before: levelIndex(state.scale, last.previous.level) ?? 0,
              correctionReason: last.reason,
              published: decision.publishedAt !== null,
            },
            this.roomLang,
          )
        : render.decisionMessage(view, this.roomLang);
    await this.sentLog.send(sentKey.decision(state.candidacy.id, decision.version), this.ctx.rooms.jury, {
      ...message,
      ...(state.dossier ? { threadRoot: state.dossier.rootEventId } : {}),
    });
    if (place && (place.roomId !== this.ctx.rooms.jury || place.threadRoot !== state.dossier?.rootEventId)) {
      await this.reply(place, message, 'echo');
    }
  }

  private async correct(state: DossierState, place: Place, roles: Roles, fields: DraftFields) {
    const { lang } = place;
    const current = state.decision
      ? {
          level: levelIndex(state.scale, state.decision.level) ?? 0,
          reason: state.decision.reason,
          mentions: state.decision.mentions,
          message: state.decision.message || null,
        }
      : null;
    const result = correct(roles, current, this.draftOf(fields));
    if (!result.ok) {
      const last = state.decision?.corrections[state.decision.corrections.length - 1];
      // A redelivered `!correct` finds its own correction applied: post it again, no refusal.
      if (
        result.reason === 'nothingChanged' &&
        state.decision &&
        last?.by === place.sender &&
        last.reason === fields.reason?.trim()
      ) {
        return this.postDecision(state, state.decision, place);
      }
      const key =
        result.reason === 'reasonRequired'
          ? 'decision.refusal.correctionReason'
          : (`decision.refusal.${result.reason}` as const);
      return this.reply(place, render.simple(lang, key, { number: state.number }));
    }
    if (!state.decision) return;
    const updated = await this.ctx.storage.jury.correctDecision(state.decision, {
      level: state.scale.levels[result.decision.level]?.id ?? state.decision.level,
      mentions: [...result.decision.mentions],
      message: result.decision.message ?? '',
      reason: result.reason,
      by: place.sender,
    });
    await this.postDecision({ ...state, decision: updated }, updated, place);
  }
}

function toDossierVotes(votes: readonly JuryVote[], scale: LevelScale): DossierVotes {
  const ballots = new Map<string, Ballot>();
  const recused = new Set<string>();
  for (const v of votes) {
    if (v.status === 'recused') recused.add(v.juror);
    else if (v.status === 'abstained') ballots.set(v.juror, { kind: 'abstain' });
    else if (v.level !== null) {
      const level = levelIndex(scale, v.level);
      if (level !== null) ballots.set(v.juror, { kind: 'level', level });
    }
  }
  return { ballots, recused };
}

export function createJuryService(ctx: BotContext): JuryService {
  return new JuryService(ctx);
}
