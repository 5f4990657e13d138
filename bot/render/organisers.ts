// Messages of the organisers' console and of the broadcasts it sends: plain text and
// HTML from the same builder (bot/render/html.ts), so every piece of text typed by
// someone (announcements, names, jury messages) is escaped.
import type { DeliverySummary } from '../../flows/campaign/broadcast.ts';
import type { DashboardData, LateItem } from '../../flows/campaign/dashboard.ts';
import { textBar } from '../../flows/campaign/dashboard.ts';
import type { CandidacyStage } from '../../flows/campaign/deadlines.ts';
import type { Campaign } from '../../flows/campaign/model.ts';
import { levelLabel, phaseOf } from '../../flows/campaign/model.ts';
import type { Palmares } from '../../flows/campaign/results.ts';
import { formatDateTime, formatShort } from '../../flows/campaign/time.ts';
import { translator } from '../../locales/i18n.ts';
import { type Rich, blocks, code, heading, join, list, paragraph, strong, text } from './html.ts';

export type { Rich };
// The welcome and `!aide` live in their own file; exported here with every other message.
export { renderHelp, renderWelcome } from './organisers-help.ts';

/** A message with its finer cut: if it is over the event size limit, it is split between blocks. */
export type RichMessage = Rich & { blocks?: Rich[] };

/** Long lists are cut into blocks of this many items, so a split keeps its HTML. */
const ITEMS_PER_BLOCK = 25;

function chunkedList(items: readonly Rich[] | readonly string[]): Rich[] {
  const out: Rich[] = [];
  for (let i = 0; i < items.length; i += ITEMS_PER_BLOCK) out.push(list(items.slice(i, i + ITEMS_PER_BLOCK)));
  return out;
}

function withBlocks(parts: readonly Rich[]): RichMessage {
  const kept = parts.filter((p) => p.plain !== '' || p.html !== '');
  return { ...blocks(kept), blocks: kept };
}

const t = (lang: string) => translator(lang, 'organisers');

/** "3 jours", "5 hours", "20 minutes": the largest unit that keeps the number meaningful. */
export function formatLeft(ms: number, lang: string): string {
  const tr = t(lang);
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes >= 2 * 24 * 60) return tr('duration.days', { count: Math.round(minutes / (24 * 60)) });
  if (minutes >= 120) return tr('duration.hours', { count: Math.round(minutes / 60) });
  return tr('duration.minutes', { count: minutes });
}

export function date(instant: Date, campaign: Pick<Campaign, 'timeZone'>, lang: string): string {
  return formatDateTime(instant, campaign.timeZone, lang);
}

/** One sentence from the organisers' namespace (parameters are escaped in HTML). */
export function sentence(lang: string, key: string, params: Record<string, unknown> = {}): Rich {
  const tr = t(lang) as unknown as (key: string, params: Record<string, unknown>) => string;
  return paragraph(text(tr(key, params)));
}

/** "7 jours, 2 jours": the reminder offsets in words. */
function offsetText(ms: number, lang: string): string {
  const tr = t(lang);
  const minutes = Math.round(ms / 60_000);
  if (minutes % (24 * 60) === 0) return tr('duration.days', { count: minutes / (24 * 60) });
  if (minutes % 60 === 0) return tr('duration.hours', { count: minutes / 60 });
  return tr('duration.minutes', { count: minutes });
}

/** A count with its noun, for sentences that hold two counts ("3 brouillons figés"). */
export function counted(lang: string, noun: 'frozenDrafts' | 'toJury', count: number): string {
  return t(lang)(`count.${noun}`, { count });
}

export function phaseText(campaign: Campaign, now: Date, lang: string): string {
  const tr = t(lang);
  const phase = phaseOf(campaign, now);
  const when =
    phase === 'scheduled'
      ? campaign.opensAt
      : phase === 'published'
        ? (campaign.publishedAt ?? now)
        : phase === 'closed'
          ? campaign.closesAt
          : campaign.closesAt;
  return tr(`phase.${phase}`, { date: date(when, campaign, lang) });
}

export function levelsText(campaign: Pick<Campaign, 'levels'>, lang: string): string {
  return campaign.levels.map((l) => levelLabel(campaign, l.id, lang)).join(' < ');
}

export function renderCampaign(campaign: Campaign, now: Date, lang: string): Rich {
  const tr = t(lang);
  const reminders = campaign.reminderOffsetsMs.map((ms) => offsetText(ms, lang)).join(', ');
  return blocks([
    heading(tr('campaign.title', { name: campaign.name, id: campaign.id })),
    list([
      tr('campaign.state', { phase: phaseText(campaign, now, lang) }),
      tr('campaign.opens', { date: date(campaign.opensAt, campaign, lang) }),
      tr('campaign.closes', { date: date(campaign.closesAt, campaign, lang) }),
      campaign.juryDeadline
        ? tr('campaign.jury', { date: date(campaign.juryDeadline, campaign, lang) })
        : tr('campaign.noJury'),
      tr('campaign.questionnaire', { id: campaign.questionnaireId }),
      tr('campaign.levels', { levels: levelsText(campaign, lang) }),
      reminders ? tr('campaign.reminders', { list: reminders }) : tr('campaign.noReminders'),
      tr('campaign.timeZone', { zone: campaign.timeZone }),
      ...(campaign.resultsAt && campaign.status !== 'published'
        ? [tr('campaign.results', { date: date(campaign.resultsAt, campaign, lang) })]
        : []),
    ]),
  ]);
}

export function renderCampaignList(campaigns: readonly Campaign[], lang: string): Rich {
  const tr = t(lang);
  return blocks([
    heading(tr('campaign.listTitle')),
    list(
      campaigns.map((c) =>
        tr('campaign.listItem', {
          id: c.id,
          name: c.name,
          status: tr(`status.${c.status}`),
          date: formatShort(c.closesAt, c.timeZone, lang),
        }),
      ),
    ),
  ]);
}

const STAGE_ORDER: readonly CandidacyStage[] = [
  'draft',
  'submitted',
  'review',
  'decided',
  'frozen',
  'withdrawn',
];

function lateLine(item: LateItem, lang: string): string {
  const tr = t(lang);
  switch (item.kind) {
    case 'incompleteNearClosing':
      return tr('dashboard.late.incompleteNearClosing', item);
    case 'inactive':
      return tr('dashboard.late.inactive', { name: item.name, since: formatLeft(item.sinceMs, lang) });
    case 'juryOverdue':
      return tr('dashboard.late.juryOverdue', item);
    case 'failedDeliveries':
      return tr('dashboard.late.failedDeliveries', { id: item.broadcastId, count: item.count });
  }
}

/** The status dashboard: counts with a text bar chart, progress, jury and what is late. */
export function renderDashboard(data: DashboardData, lang: string): RichMessage {
  const tr = t(lang);
  const { campaign, now } = data;
  const total = STAGE_ORDER.reduce((n, s) => n + data.counts[s], 0);
  const max = Math.max(1, ...STAGE_ORDER.map((s) => data.counts[s]));
  // A list, not a code block: Element numbers the lines of a <pre>, nheko and Element X
  // keep list items; the bars are inline <code> so their cells line up.
  const chart = list(
    STAGE_ORDER.filter((s) => data.counts[s] > 0 || s === 'draft' || s === 'submitted').map((s) =>
      join([
        strong(tr(`stage.${s}`)),
        text(' '),
        code(textBar(data.counts[s], max)),
        text(` ${data.counts[s]}`),
      ]),
    ),
  );

  const parts: Rich[] = [
    heading(tr('dashboard.title', { name: campaign.name })),
    paragraph(
      tr('dashboard.state', { phase: phaseText(campaign, now, lang) }),
      data.phase === 'accepting'
        ? tr('dashboard.timeLeft', { left: formatLeft(campaign.closesAt.getTime() - now.getTime(), lang) })
        : '',
    ),
    paragraph(strong(tr('dashboard.byStage', { total }))),
    chart,
    paragraph(strong(tr('dashboard.progressTitle'))),
  ];
  if (data.candidacies.length === 0) parts.push(paragraph(tr('dashboard.noCandidacy')));
  else
    parts.push(
      ...chunkedList(
        data.candidacies.map((c) =>
          join([
            code(textBar(c.answered, c.required, 10)),
            text(' '),
            text(
              tr('dashboard.progressItem', {
                name: c.name,
                stage: tr(`stage.${c.stage}`),
                answered: c.answered,
                required: c.required,
                percent: c.percent,
                last: formatShort(c.lastActivityAt, campaign.timeZone, lang),
              }),
            ),
          ]),
        ),
      ),
    );
  parts.push(paragraph(strong(tr('dashboard.juryTitle'))));
  if (data.jury.length === 0) parts.push(paragraph(tr('dashboard.noJury')));
  else
    parts.push(
      ...chunkedList(
        data.jury.map((j) =>
          tr('dashboard.juryItem', {
            name: j.name,
            votes: j.votes,
            eligible: j.eligible,
            quorum: j.decided
              ? tr('dashboard.decided')
              : j.quorumReached
                ? tr('dashboard.quorumReached')
                : tr('dashboard.quorumMissing'),
          }),
        ),
      ),
    );
  parts.push(paragraph(strong(tr('dashboard.lateTitle'))));
  if (data.late.length === 0) parts.push(paragraph(tr('dashboard.nothingLate')));
  else parts.push(...chunkedList(data.late.map((item) => lateLine(item, lang))));
  return withBlocks(parts);
}

export interface ReportFailure {
  room: string;
  error: string;
  attempts: number;
}

export function renderReport(
  broadcast: { id: string; kind: string },
  summary: DeliverySummary,
  failures: readonly ReportFailure[],
  lang: string,
): RichMessage {
  const tr = t(lang);
  const kind = tr(`broadcast.kind.${broadcast.kind as 'announcement'}`, { defaultValue: broadcast.kind });
  return blocks([
    heading(tr('broadcast.reportTitle', { id: broadcast.id, kind })),
    paragraph(tr('broadcast.reportCounts', { ...summary })),
    list(failures.map((f) => tr('broadcast.failure', { room: f.room, error: f.error, count: f.attempts }))),
    summary.retrying + summary.failed > 0
      ? paragraph(tr('broadcast.retryHint', { id: broadcast.id }))
      : text(''),
  ]);
}

export interface BroadcastLine {
  id: string;
  kind: string;
  createdAt: Date;
  createdBy: string;
  sent: number;
  total: number;
  failed: number;
}

export function renderBroadcastList(lines: readonly BroadcastLine[], timeZone: string, lang: string): Rich {
  const tr = t(lang);
  if (lines.length === 0) return paragraph(tr('broadcast.none'));
  return blocks([
    heading(tr('broadcast.listTitle')),
    list(
      lines.map((l) =>
        tr('broadcast.listItem', {
          id: l.id,
          kind: tr(`broadcast.kind.${l.kind as 'announcement'}`, { defaultValue: l.kind }),
          date: formatShort(l.createdAt, timeZone, lang),
          by: l.createdBy,
          sent: l.sent,
          total: l.total,
          failed: l.failed,
        }),
      ),
    ),
  ]);
}

// ---- messages for candidacy rooms and the public room -------------------------------

export function renderReminder(
  input: { campaign: Campaign; now: Date; missing: readonly string[] },
  lang: string,
): Rich {
  const tr = t(lang);
  const { campaign } = input;
  const shown = input.missing.slice(0, 10);
  const left = formatLeft(campaign.closesAt.getTime() - input.now.getTime(), lang);
  return blocks([
    heading(tr('room.reminderTitle')),
    paragraph(
      tr('room.reminderCloses', {
        campaign: campaign.name,
        date: date(campaign.closesAt, campaign, lang),
        left,
      }),
    ),
    input.missing.length > 0
      ? blocks([
          paragraph(tr('room.reminderMissing', { count: input.missing.length })),
          list(shown),
          input.missing.length > shown.length
            ? paragraph(tr('room.reminderMore', { count: input.missing.length - shown.length }))
            : text(''),
        ])
      : paragraph(tr('room.reminderComplete')),
    paragraph(tr('room.reminderHow')),
  ]);
}

export function renderClosingNotice(campaign: Campaign, frozen: boolean, lang: string): Rich {
  const tr = t(lang);
  return frozen
    ? paragraph(tr('room.frozen', { campaign: campaign.name, date: date(campaign.closesAt, campaign, lang) }))
    : paragraph(tr('room.inReview', { campaign: campaign.name }));
}

/** An announcement in one language (a candidacy room). */
export function renderAnnouncement(body: string, lang: string): Rich {
  return blocks([paragraph(strong(t(lang)('room.announcement'))), paragraph(text(body))]);
}

/** An announcement in every version given (the public room, read by everyone). */
export function renderPublicAnnouncement(versions: ReadonlyArray<{ lang: string; body: string }>): Rich {
  const parts: Rich[] = [];
  for (const v of versions) {
    parts.push(paragraph(strong(t(v.lang)('public.announcement'))), paragraph(text(v.body)));
  }
  return blocks(parts);
}

export function renderResult(
  input: { campaign: Campaign; name: string; level: string; mentions: readonly string[]; message: string },
  lang: string,
): Rich {
  const tr = t(lang);
  const { campaign } = input;
  return blocks([
    heading(tr('room.resultTitle', { campaign: campaign.name })),
    paragraph(
      strong(tr('room.resultLevel', { name: input.name, level: levelLabel(campaign, input.level, lang) })),
      input.mentions.length > 0
        ? tr('room.resultMentions', { mentions: input.mentions.join(', '), count: input.mentions.length })
        : '',
    ),
    input.message.trim()
      ? blocks([paragraph(tr('room.resultMessage')), paragraph(text(input.message))])
      : text(''),
    paragraph(tr('room.resultThanks')),
  ]);
}

export function renderPalmares(campaign: Campaign, result: Palmares, lang: string): RichMessage {
  const tr = t(lang);
  const count = result.groups.reduce((n, g) => n + g.entries.length, 0);
  const parts: Rich[] = [
    heading(tr('public.palmaresTitle', { campaign: campaign.name }), 3),
    paragraph(tr('public.palmaresIntro', { count })),
  ];
  for (const group of result.groups) {
    parts.push(heading(tr('public.level', { level: levelLabel(campaign, group.levelId, lang) })));
    parts.push(
      ...chunkedList(group.entries.map((e) => (e.kind ? `${e.collectivity} (${e.kind})` : e.collectivity))),
    );
  }
  if (result.mentions.length > 0) {
    parts.push(heading(tr('public.mentionsTitle')));
    parts.push(...chunkedList(result.mentions.map((m) => `${m.mention} : ${m.collectivities.join(', ')}`)));
  }
  return withBlocks(parts);
}
