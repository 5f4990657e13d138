// The jury room and the jurors' ballot rooms: Matrix event -> parse, authorise, find
// the dossier (one read) -> flows/jury decides -> one conditional write with the
// event id and the replies -> replies sent -> the poster finishes what the change owes
// (a question to relay, a decision to post in the thread). Redelivered events find
// their id in the record and re-send the stored replies (same transaction ids).
import { parseJuryCommand, type JuryCommand } from '../../flows/jury/commands.ts';
import { decideCommand } from '../../flows/jury/decide.ts';
import { type JuryReply, juryReplySchema } from '../../flows/jury/replies.ts';
import type { DossierSnapshot, JurySettings, RoomReaders } from '../../flows/jury/snapshot.ts';
import { ballotOverview, ranking, withoutOwnLevels } from '../../flows/jury/overview.ts';
import { hasApplied } from '../../flows/jury/record.ts';
import { isMember, rolesOf } from '../../flows/jury/rules.ts';
import type { LevelScale } from '../../flows/jury/scale.ts';
import type { Reader } from '../../flows/jury/secrecy.ts';
import { translator } from '../../locales/i18n.ts';
import { ConflictError, StorageUnavailableError } from '../../storage/errors.ts';
import type { Campaign, Storage } from '../../storage/index.ts';
import { escapeHtml } from '../html-guard.ts';
import * as render from '../render/jury.ts';
import { overviewMessage, rankingMessage } from '../render/jury-tally.ts';
import type { Messenger, OutgoingMessage, RawEvent, RoomHandler, RoutedEvent } from '../types.ts';
import type { BallotRooms } from './ballot-rooms.ts';
import { type JuryDossiers, type LoadedDossier, scaleOf } from './dossiers.ts';
import type { DossierPoster } from './poster.ts';
import type { RoomReaderList } from './readers.ts';
import type { JuryReminders } from './reminders.ts';
import { renderReply, type ReplyContext } from './replies.ts';

export interface HandlerContext {
  readonly storage: Storage;
  readonly messenger: Messenger;
  readonly dossiers: JuryDossiers;
  readonly ballotRooms: BallotRooms;
  readonly poster: DossierPoster;
  readonly reminders: JuryReminders;
  readonly juryRoom: string;
  readonly organisersRoom: string;
  readonly lang: string;
  readonly replyContext: ReplyContext;
  readonly readers: RoomReaderList;
  settings(): JurySettings;
  campaigns(): Promise<Campaign[]>;
  languageOf(userId: string): Promise<string>;
  warn(data: Record<string, unknown>, message: string): void;
}

/** Where a command was typed. */
interface Place {
  readonly roomId: string;
  readonly threadRoot: string | null;
  /** The ballot room's owner, or null in the shared jury room. */
  readonly ballotOwner: string | null;
  readonly lang: string;
  readonly eventId: string;
  readonly sender: string;
}

const MAX_ATTEMPTS = 5;

/** The rooms whose readers each command may need (flows/jury/decide.ts): asked only for those. */
const READERS_NEEDED: Partial<Record<JuryCommand['name'], ReadonlyArray<keyof RoomReaders>>> = {
  vote: ['jury'],
  abstain: ['jury'],
  recuse: ['jury'],
  tally: ['here', 'ownBallot', 'organisers'],
  notes: ['here', 'ownBallot', 'organisers'],
  decide: ['here'],
  correct: ['here'],
};

export class JuryHandler implements RoomHandler {
  private readonly c: HandlerContext;

  constructor(context: HandlerContext) {
    this.c = context;
  }

  async handle(routed: RoutedEvent): Promise<void> {
    const { event, roomId } = routed;
    if (event.type !== 'm.room.message') return;
    const content = event.content;
    if (content.msgtype !== 'm.text' || typeof content.body !== 'string') return;
    const relates = content['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined;
    if (relates?.rel_type === 'm.replace') return; // edits of commands are not commands again
    if (!content.body.trim().startsWith('!')) return; // discussion
    const threadRoot =
      relates?.rel_type === 'm.thread' && typeof relates.event_id === 'string' ? relates.event_id : null;
    let ballotOwner: string | null = null;
    if (roomId !== this.c.juryRoom) {
      ballotOwner = await this.c.ballotRooms.ownerOf(roomId);
      if (!ballotOwner) return;
    }
    const place: Place = {
      roomId,
      threadRoot,
      ballotOwner,
      lang: ballotOwner ? await this.c.languageOf(ballotOwner) : this.c.lang,
      eventId: event.event_id,
      sender: event.sender,
    };
    const campaigns = await this.c.campaigns();
    const scale = scaleOf(campaigns[0] ?? { levels: [] });
    const parsed = parseJuryCommand(content.body, scale);
    if (parsed === null) return;
    const roles = rolesOf(this.c.settings().roster, event.sender);
    if (ballotOwner && event.sender !== ballotOwner) return this.say(place, 'refusal.notOwner');
    if (!isMember(roles)) return this.say(place, 'refusal.notMember');
    if (!parsed.ok) {
      return this.say(place, `refusal.${parsed.error}`, {
        command: parsed.command,
        input: 'input' in parsed ? parsed.input : '',
        levels: render.levelsText(scale, place.lang),
      });
    }
    try {
      await this.execute(parsed.command, place, { userId: event.sender, roles }, campaigns, scale, event);
    } catch (error) {
      const common = translator(place.lang, 'common');
      const text = error instanceof StorageUnavailableError ? common('notSaved') : common('internalError');
      await this.send(place, { plain: text, html: `<p>${escapeHtml(text)}</p>` }, 'error');
      if (!(error instanceof StorageUnavailableError)) throw error;
    }
  }

  private async execute(
    command: JuryCommand,
    place: Place,
    actor: Reader,
    campaigns: readonly Campaign[],
    scale: LevelScale,
    event: RawEvent,
  ): Promise<void> {
    if (command.name === 'help') return this.send(place, render.helpMessage(scale, place.lang));
    const inThread = place.threadRoot !== null && !place.ballotOwner;
    if (command.name === 'tally' && command.dossier === null && !inThread)
      return this.overview(place, actor, campaigns);
    if (command.name === 'remind' && command.dossier === null && !inThread) {
      const reminded = await this.c.reminders.remindJurors({ key: `manual:${event.event_id}` });
      return this.afterReminder(place, reminded);
    }
    const record = await this.findDossier(place, command.dossier, campaigns);
    if (record === 'none') return this.say(place, 'refusal.noDossier');
    if (record === 'unknown')
      return this.say(place, 'refusal.unknownDossier', { number: command.dossier ?? 0 });
    if (command.name === 'remind') {
      const reminded = await this.c.reminders.remindJurors({
        candidacyId: record.candidacyId,
        key: `manual:${event.event_id}`,
        ...(inThread && place.threadRoot ? { threadRoot: place.threadRoot } : {}),
      });
      return this.afterReminder(place, reminded);
    }
    let dossier = await this.c.dossiers.snapshot(record);
    for (let attempt = 1; dossier; attempt += 1) {
      if (!dossier.record.post.rootEventId) return this.say(place, 'refusal.notReady');
      if (hasApplied(dossier.record, place.eventId)) {
        // Delivered again (restart): the change is stored; make sure its replies went out.
        const outbox = dossier.record.outbox;
        if (outbox?.eventId === place.eventId)
          await this.sendReplies(parseOutbox(outbox.replies), dossier, place);
        const candidacyId = dossier.record.candidacyId;
        return this.finish(() => this.c.poster.sync(candidacyId));
      }
      const outcome = decideCommand({
        command,
        actor,
        place: place.ballotOwner ? 'ballot' : 'jury',
        dossier: dossier as DossierSnapshot,
        jury: this.c.settings(),
        readers: await this.readers(command, place, actor),
      });
      if (!outcome.change) return this.sendReplies(outcome.replies, dossier, place);
      try {
        const stored = await this.c.dossiers.write(dossier.record, outcome.change, {
          eventId: place.eventId,
          outbox: outcome.replies,
          retry: false,
        });
        dossier = { ...dossier, record: stored };
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= MAX_ATTEMPTS) throw error;
        const fresh = await this.c.storage.jury.get(record.candidacyId);
        dossier = fresh ? { ...dossier, record: fresh } : null;
        continue;
      }
      const written = dossier;
      await this.sendReplies(outcome.replies, written, place);
      // A question to relay, a decision to post in the thread: from the stored record.
      if (
        outcome.change.kind === 'question' ||
        outcome.change.kind === 'decision' ||
        outcome.change.kind === 'correction'
      )
        await this.finish(() => this.c.poster.followUp(written));
      return;
    }
    return this.say(place, 'refusal.unknownDossier', { number: command.dossier ?? 0 });
  }

  /**
   * What a stored command still owes (a question to relay, a decision to post). The
   * command is done and answered: a failure here is logged, not reported as a failed
   * command, and the next sync or start-up finishes it.
   */
  private async finish(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.c.warn({ err: error }, 'jury: follow-up of a stored command failed');
    }
  }

  /** The jury room (or thread) shows the reminder itself; a ballot room is told it went out. */
  private async afterReminder(place: Place, reminded: readonly string[]): Promise<void> {
    if (reminded.length === 0) return this.say(place, 'remind.nothing');
    if (place.ballotOwner) return this.say(place, 'remind.sent', { count: reminded.length });
  }

  /** The dossier a command is about: its #number (in the jury's campaigns, newest first), else the thread it was typed in. */
  private async findDossier(place: Place, number: number | null, campaigns: readonly Campaign[]) {
    if (number !== null) {
      for (const campaign of campaigns) {
        const record = await this.c.storage.jury.findByNumber(campaign.id, number);
        if (record) return record;
      }
      return 'unknown' as const;
    }
    if (place.threadRoot && !place.ballotOwner) {
      return (await this.c.storage.jury.findByThread(place.threadRoot)) ?? ('none' as const);
    }
    return 'none' as const;
  }

  /** `!tally` outside a dossier: a juror's own ballots; for an organiser who is not a juror, the ranking this place may show. */
  private async overview(place: Place, actor: Reader, campaigns: readonly Campaign[]) {
    const campaign = campaigns[0];
    const dossiers = campaign ? await this.c.dossiers.ofCampaign(campaign.id) : [];
    const settings = this.c.settings();
    const scale = scaleOf(campaign ?? { levels: [] });
    const closing = campaign ? this.c.reminders.closing(campaign, place.lang) : '';
    const here = await this.c.readers.of(place.roomId);
    if (actor.roles.juror) {
      const overview = ballotOverview(actor.userId, dossiers, settings);
      // One's own levels only in one's own ballot room, read by nobody else.
      const alone = place.ballotOwner !== null && here.every((r) => r.userId === actor.userId);
      return this.send(
        place,
        overviewMessage(alone ? overview : withoutOwnLevels(overview), scale, closing, place.lang),
      );
    }
    const result = ranking(dossiers, here, place.ballotOwner ? 'ballot' : 'jury', settings);
    return this.send(place, rankingMessage(result, scale, place.lang));
  }

  /**
   * Who reads each room this command's replies may go to, as the rooms are now: only the
   * rooms the command can show jury information in (each is a request to the homeserver).
   */
  private async readers(command: JuryCommand, place: Place, actor: Reader): Promise<RoomReaders> {
    const needs = READERS_NEEDED[command.name] ?? [];
    const rooms: Record<keyof RoomReaders, string | null> = {
      here: place.roomId,
      jury: this.c.juryRoom,
      ownBallot:
        needs.includes('ownBallot') && actor.roles.juror
          ? await this.c.ballotRooms.roomOf(actor.userId)
          : null,
      organisers: this.c.organisersRoom,
    };
    const asked = new Map<string, Promise<Reader[]>>();
    const of = (key: keyof RoomReaders): Promise<Reader[] | null> => {
      const roomId = rooms[key];
      if (!needs.includes(key)) return Promise.resolve(null);
      if (key === 'ownBallot' && roomId === null) return Promise.resolve([]); // no ballot room: nobody
      if (roomId === null) return Promise.resolve(null);
      const known = asked.get(roomId) ?? this.c.readers.of(roomId);
      asked.set(roomId, known);
      return known;
    };
    const [here, jury, ownBallot, organisers] = await Promise.all([
      of('here'),
      of('jury'),
      of('ownBallot'),
      of('organisers'),
    ]);
    return { here, jury, ownBallot, organisers };
  }

  private async sendReplies(
    replies: readonly JuryReply[],
    dossier: LoadedDossier,
    place: Place,
  ): Promise<void> {
    const root = dossier.record.post.rootEventId;
    for (const reply of replies) {
      let roomId: string;
      let lang = this.c.lang;
      let threadRoot: string | null = null;
      switch (reply.to) {
        case 'here':
          // An echo of a thread post typed in that very thread would say it twice.
          if (reply.key === 'echo' && place.roomId === this.c.juryRoom && place.threadRoot === root) continue;
          roomId = place.roomId;
          lang = place.lang;
          threadRoot = place.threadRoot;
          break;
        case 'thread':
          roomId = this.c.juryRoom;
          threadRoot = root;
          break;
        case 'ownBallot':
          roomId = await this.c.ballotRooms.roomOf(place.sender);
          lang = await this.c.languageOf(place.sender);
          break;
        case 'organisers':
          roomId = this.c.organisersRoom;
          break;
      }
      const params =
        reply.message.kind === 'say' && reply.message.key === 'refusal.secretBallot'
          ? {
              ...reply.message,
              params: {
                ...reply.message.params,
                room: `https://matrix.to/#/${await this.c.ballotRooms.roomOf(place.sender)}`,
              },
            }
          : reply.message;
      const message = renderReply(params, dossier, this.c.replyContext, lang);
      await this.c.messenger.send(
        roomId,
        { ...message, ...(threadRoot ? { threadRoot } : {}) },
        { idempotencyKey: `jury:${place.eventId}:${reply.key}` },
      );
    }
  }

  private say(place: Place, key: string, params: render.Params = {}): Promise<void> {
    return this.send(place, render.simple(place.lang, key as render.JuryKey, params));
  }

  private async send(place: Place, message: OutgoingMessage, suffix = 'reply'): Promise<void> {
    await this.c.messenger.send(
      place.roomId,
      { ...message, ...(place.threadRoot ? { threadRoot: place.threadRoot } : {}) },
      { idempotencyKey: `jury:${place.eventId}:${suffix}` },
    );
  }
}

/** Stored replies, checked: a record written by an older release may hold another shape. */
function parseOutbox(replies: readonly unknown[]): JuryReply[] {
  const out: JuryReply[] = [];
  for (const raw of replies) {
    const parsed = juryReplySchema.safeParse(raw);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}
