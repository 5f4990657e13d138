// Every message the bot sends in chat uses only the tags every client renders
// (CLIENT_TAGS: Element X drops the rest; tables and richer layout go in files).
// To check another renderer, add one entry to RENDERERS: its name and a function that
// renders each of its message kinds with sample inputs in a language.
import { describe, expect, it } from 'vitest';
import { renderReplies } from '../../../bot/render/candidacy.ts';
import { CLIENT_TAGS, type Rich } from '../../../bot/render/html.ts';
import * as organisers from '../../../bot/render/organisers.ts';
import { computeDashboard } from '../../../flows/campaign/dashboard.ts';
import type { Campaign } from '../../../flows/campaign/model.ts';
import { palmares } from '../../../flows/campaign/results.ts';
import { readLocaleFiles, supportedLanguages } from '../../../locales/i18n.ts';
import { fixture } from '../flows/fixture.ts';
import { EVIL, SAMPLES } from './candidacy-samples.ts';
import { juryMessages } from './jury-samples.ts';

interface Renderer {
  name: string;
  /** Every message kind of the renderer, rendered with sample inputs. */
  messages: (lang: string) => Rich[];
}

const DAY = 86_400_000;
const NOW = new Date('2026-10-16T08:00:00Z');

const CAMPAIGN: Campaign = {
  id: 'tnl-2026',
  year: 2026,
  name: `Territoire Numérique Libre 2026 ${EVIL}`,
  questionnaireId: 'badge-2026',
  levels: [
    { id: 'bronze', labels: { fr: 'Bronze', en: 'Bronze' } },
    { id: 'or', labels: { fr: 'Or', en: 'Gold' } },
  ],
  timeZone: 'Europe/Paris',
  opensAt: new Date('2026-09-19T07:00:00Z'),
  closesAt: new Date('2026-10-19T16:00:00Z'),
  juryDeadline: new Date('2026-11-30T16:00:00Z'),
  reminderOffsetsMs: [7 * DAY, 2 * DAY, 3_600_000],
  status: 'open',
  deadlineSetAt: new Date('2026-09-01T07:00:00Z'),
  resultsAt: new Date('2026-12-03T17:00:00Z'),
  createdAt: new Date('2026-09-01T07:00:00Z'),
  createdBy: '@olga:localhost',
  openedAt: new Date('2026-09-19T07:00:00Z'),
  closedAt: null,
  publishedAt: null,
};

const decided = (id: string, collectivity: string, level: string, mentions: string[] = []) => ({
  candidacyId: id,
  collectivity,
  kind: 'Commune',
  officialCode: null,
  population: null,
  level,
  mentions,
  decidedAt: NOW,
});

/** Every sentence of the organisers' namespace, with every placeholder filled with hostile text. */
function everySentence(lang: string): Rich[] {
  const tree = readLocaleFiles()[lang]?.organisers as Record<string, unknown>;
  const keys = new Set<string>();
  const walk = (node: unknown, path: string) => {
    if (typeof node === 'string') keys.add(path.replace(/_(zero|one|two|few|many|other)$/, ''));
    else if (node && typeof node === 'object')
      for (const [k, v] of Object.entries(node)) walk(v, path ? `${path}.${k}` : k);
  };
  walk(tree, '');
  const params = new Proxy({ count: 2 }, { get: (_target, key) => (key === 'count' ? 2 : EVIL) });
  return [...keys].map((key) => organisers.sentence(lang, key, params as Record<string, unknown>));
}

// Each exported render function of the organisers' renderer, with its samples: the
// mapped type makes tsc name any new render function left out of this test.
type OrganiserRenderName = Extract<keyof typeof organisers, `render${string}`>;
const organiserSamples: { [K in OrganiserRenderName]: (lang: string) => Rich[] } = {
  renderWelcome: (lang) => [organisers.renderWelcome(lang)],
  renderHelp: (lang) => [organisers.renderHelp(lang), organisers.renderHelp(lang, true)],
  renderCampaign: (lang) => [
    organisers.renderCampaign(CAMPAIGN, NOW, lang),
    organisers.renderCampaign({ ...CAMPAIGN, juryDeadline: null, reminderOffsetsMs: [] }, NOW, lang),
  ],
  renderCampaignList: (lang) => [organisers.renderCampaignList([CAMPAIGN], lang)],
  renderDashboard: (lang) => {
    const view = (id: string, name: string, stage: 'draft' | 'submitted', answered: number) => ({
      id,
      name,
      stage,
      answered,
      required: 9,
      lastActivityAt: new Date(NOW.getTime() - 20 * DAY),
    });
    const full = computeDashboard({
      campaign: CAMPAIGN,
      now: NOW,
      candidacies: [view('c1', EVIL, 'draft', 2), view('c2', 'Brest', 'submitted', 9)],
      jury: [{ candidacyId: 'c2', votes: 2, eligible: 3, quorumReached: true, decided: false }],
      failedDeliveries: [{ broadcastId: 'announce:1', count: 2 }],
    });
    const empty = computeDashboard({
      campaign: CAMPAIGN,
      now: NOW,
      candidacies: [],
      jury: [],
      failedDeliveries: [],
    });
    return [organisers.renderDashboard(full, lang), organisers.renderDashboard(empty, lang)];
  },
  renderReport: (lang) => [
    organisers.renderReport(
      { id: 'announce:1', kind: 'announcement' },
      { total: 3, sent: 1, retrying: 1, failed: 1, waiting: 0, round: 2, settled: true },
      [{ room: EVIL, error: 'M_FORBIDDEN', attempts: 2 }],
      lang,
    ),
  ],
  renderBroadcastList: (lang) => [
    organisers.renderBroadcastList([], 'Europe/Paris', lang),
    organisers.renderBroadcastList(
      [{ id: 'a:1', kind: 'reminder', createdAt: NOW, createdBy: EVIL, sent: 2, total: 3, failed: 1 }],
      'Europe/Paris',
      lang,
    ),
  ],
  renderReminder: (lang) => [
    organisers.renderReminder({ campaign: CAMPAIGN, now: NOW, missing: [] }, lang),
    organisers.renderReminder(
      { campaign: CAMPAIGN, now: NOW, missing: Array.from({ length: 12 }, (_, i) => `${i}. ${EVIL}`) },
      lang,
    ),
  ],
  renderClosingNotice: (lang) => [
    organisers.renderClosingNotice(CAMPAIGN, true, lang),
    organisers.renderClosingNotice(CAMPAIGN, false, lang),
  ],
  renderAnnouncement: (lang) => [organisers.renderAnnouncement(`${EVIL}\nligne 2`, lang)],
  renderPublicAnnouncement: () => [
    organisers.renderPublicAnnouncement([
      { lang: 'fr', body: EVIL },
      { lang: 'en', body: 'Hello' },
    ]),
  ],
  renderResult: (lang) => [
    organisers.renderResult(
      { campaign: CAMPAIGN, name: EVIL, level: 'or', mentions: [EVIL], message: EVIL },
      lang,
    ),
    organisers.renderResult(
      { campaign: CAMPAIGN, name: 'Brest', level: 'bronze', mentions: [], message: '' },
      lang,
    ),
  ],
  renderPalmares: (lang) => [
    organisers.renderPalmares(
      CAMPAIGN,
      palmares(CAMPAIGN, [decided('c1', EVIL, 'or', ['Coup de cœur']), decided('c2', 'Brest', 'bronze')]),
      lang,
    ),
  ],
};

const RENDERERS: Renderer[] = [
  {
    name: 'candidacy',
    messages: (lang) => Object.values(SAMPLES).flatMap((intents) => renderReplies(intents, lang, fixture)),
  },
  {
    name: 'organisers (console, broadcasts, exports in chat)',
    messages: (lang) => [
      ...Object.values(organiserSamples).flatMap((render) => render(lang)),
      ...everySentence(lang),
    ],
  },
  { name: 'jury (jury room, threads, ballot rooms, dossiers)', messages: juryMessages },
];

const ALLOWED = new Set<string>(CLIENT_TAGS);

describe.each(RENDERERS)('the $name renderer', ({ messages }) => {
  it.each(supportedLanguages())('in %s: only the tags every client renders, hostile text escaped', (lang) => {
    const rendered = messages(lang);
    expect(rendered.length).toBeGreaterThan(1);
    for (const message of rendered) {
      expect(message.plain.trim(), message.html).not.toBe('');
      for (const [, tag] of message.html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)/g))
        expect(ALLOWED, `<${tag}> in ${message.html.slice(0, 200)}`).toContain(tag?.toLowerCase());
      expect(message.html).not.toContain('<script');
      expect(message.html).not.toContain('<b>bold');
    }
  });
});
