// Reminders to jurors and the "voting is open" announcement at closing: each goes out
// at most once per stable key (recorded in jury_reminders), and the scheduler that
// checks the stored deadlines never runs two checks at once.
import { ballotOverview, ballotsAwaited, dueReminder } from '../../flows/jury/overview.ts';
import type { JurySettings } from '../../flows/jury/snapshot.ts';
import { jurorsOf } from '../../flows/jury/rules.ts';
import type { Campaign, Storage } from '../../storage/index.ts';
import type { Clock } from '../clock.ts';
import { formatDateTime } from '../render/dossier.ts';
import * as render from '../render/jury.ts';
import { votingOpenForJury, votingOpenForJuror } from '../render/jury-tally.ts';
import type { Messenger } from '../types.ts';
import type { BallotRooms } from './ballot-rooms.ts';
import type { JuryDossiers, LoadedDossier } from './dossiers.ts';
import { dossierRef } from './replies.ts';

export interface RemindOptions {
  /** Only this dossier. */
  candidacyId?: string;
  /** Only this campaign's dossiers. */
  campaignId?: string;
  /** A stable key: the reminder is sent at most once per key, even across restarts. */
  key: string;
  /** Post in this thread of the jury room (where the command was typed). */
  threadRoot?: string;
}

export interface ReminderContext {
  readonly storage: Storage;
  readonly messenger: Messenger;
  readonly dossiers: JuryDossiers;
  readonly ballotRooms: BallotRooms;
  readonly juryRoom: string;
  readonly lang: string;
  readonly timeZone: string;
  readonly clock: Clock;
  settings(): JurySettings;
  /** Campaigns whose dossiers are with the jury (results not published), newest first. */
  campaigns(): Promise<Campaign[]>;
  languageOf(userId: string): Promise<string>;
}

export class JuryReminders {
  private readonly c: ReminderContext;

  constructor(context: ReminderContext) {
    this.c = context;
  }

  private async dossiersOf(options: { campaignId?: string; candidacyId?: string }): Promise<LoadedDossier[]> {
    if (options.candidacyId) {
      const one = await this.c.dossiers.byCandidacy(options.candidacyId);
      return one ? [one] : [];
    }
    const out: LoadedDossier[] = [];
    for (const campaign of await this.c.campaigns()) {
      if (options.campaignId === undefined || campaign.id === options.campaignId)
        out.push(...(await this.c.dossiers.ofCampaign(campaign.id)));
    }
    return out;
  }

  /**
   * Reminds jurors who have no ballot on final, undecided dossiers, in the jury room
   * (pinging them). Returns the jurors reminded (none if the key was used before).
   */
  async remindJurors(options: RemindOptions): Promise<string[]> {
    if (await this.c.storage.juryReminders.get(options.key)) return [];
    const dossiers = await this.dossiersOf(options);
    const byJuror = ballotsAwaited(dossiers, this.c.settings());
    if (byJuror.length > 0) {
      const deadline = dossiers.find((d) => d.campaign.juryDeadline)?.campaign.juryDeadline ?? null;
      const message = {
        ...render.reminderMessage(byJuror, deadline, this.c.lang, this.c.timeZone),
        mentions: byJuror.map((j) => j.juror),
        ...(options.threadRoot ? { threadRoot: options.threadRoot } : {}),
      };
      await this.c.messenger.send(this.c.juryRoom, message, { idempotencyKey: `jury:remind:${options.key}` });
    }
    // Recorded even when nobody needed it: the scheduler's next ticks must not read every dossier again.
    await this.c.storage.juryReminders.record(
      options.key,
      byJuror.map((j) => j.juror),
    );
    return byJuror.map((j) => j.juror);
  }

  /** The reminders due before each campaign's jury deadline (3 days, then 1 day before), each once. */
  async remindBeforeDeadline(): Promise<string[]> {
    const now = this.c.clock.now();
    const reminded = new Set<string>();
    for (const campaign of await this.c.campaigns()) {
      const due = dueReminder(campaign.juryDeadline, now);
      if (!due) continue;
      const key = `deadline:${campaign.id}:${due}`;
      for (const juror of await this.remindJurors({ key, campaignId: campaign.id })) reminded.add(juror);
    }
    return [...reminded];
  }

  /**
   * Once a campaign is closed: one message in the jury room, and in each juror's ballot
   * room the dossiers now waiting for their vote. Once per campaign; each dossier is
   * then marked as announced.
   */
  async announceVotingOpen(campaign: Campaign): Promise<void> {
    if (this.c.clock.now() < campaign.closesAt) return;
    const key = `voting-open:${campaign.id}`;
    // Announced already: the scheduler's later ticks read nothing more (a dossier posted
    // after that says itself, in its root message, that voting is open).
    if (await this.c.storage.juryReminders.get(key)) return;
    const dossiers = (await this.c.dossiers.ofCampaign(campaign.id)).filter(
      (d) => d.record.post.rootEventId && !d.record.post.votingOpenedAt && d.candidacyStatus !== 'withdrawn',
    );
    const reached: string[] = [];
    if (dossiers.length > 0) {
      const settings = this.c.settings();
      await this.c.messenger.send(
        this.c.juryRoom,
        votingOpenForJury(campaign.name, dossiers.map(dossierRef), this.c.lang),
        { idempotencyKey: `jury:${key}` },
      );
      for (const juror of jurorsOf(settings.roster)) {
        const waiting = ballotOverview(juror, dossiers, settings).lines.filter((l) => l.state === 'toCast');
        if (waiting.length === 0) continue;
        const room = await this.c.ballotRooms.roomOf(juror);
        await this.c.messenger.send(room, votingOpenForJuror(waiting, await this.c.languageOf(juror)), {
          idempotencyKey: `jury:${key}:${juror}`,
        });
        reached.push(juror);
      }
      // Sends first, then the marks: a crash in between sends again under the same keys (no copy).
      for (const dossier of dossiers) await this.c.dossiers.write(dossier.record, { kind: 'votingOpened' });
    }
    await this.c.storage.juryReminders.record(key, reached);
  }

  /** The closing date as jurors read it. */
  closing(campaign: Campaign, lang: string): string {
    return formatDateTime(campaign.closesAt, lang, campaign.timeZone || this.c.timeZone);
  }
}

/**
 * Runs `check` now and then and after every clock jump, never two at once (a check
 * still running when the next is due is followed by one more, not by a second in
 * parallel). Returns a function that stops it.
 */
export function startSerialScheduler(
  check: () => Promise<void>,
  clock: Clock,
  onError: (error: unknown) => void,
  intervalMs: number,
): () => void {
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  const run = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = check()
      .catch(onError)
      .finally(() => {
        running = null;
        if (again && !stopped) {
          again = false;
          run();
        }
      });
  };
  const timer = setInterval(run, intervalMs);
  timer.unref();
  clock.onJump(run);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
