// Every message kind of the jury's renderers (bot/render/jury.ts, jury-tally.ts and the
// dossier blocks of dossier.ts), with sample inputs carrying hostile text, for the
// client-tags test.
import type { Rich } from '../../../bot/render/html.ts';
import {
  dossierChanges,
  dossierHeader,
  dossierHeaderBlock,
  dossierSections,
} from '../../../bot/render/dossier.ts';
import * as jury from '../../../bot/render/jury.ts';
import * as tally from '../../../bot/render/jury-tally.ts';
import { rank } from '../../../flows/jury/majority.ts';
import { juryStatus } from '../../../flows/jury/rules.ts';
import { DEFAULT_SCALE, makeScale } from '../../../flows/jury/scale.ts';
import { readLocaleFiles } from '../../../locales/i18n.ts';
import { fixture } from '../flows/fixture.ts';
import { EVIL } from './candidacy-samples.ts';

const ref = { number: 3, name: `Commune ${EVIL}` };
const NAMED = makeScale(['Badge', 'Bronze', 'Argent', 'Or']);
const roster = { jurors: ['@a:x', '@b:x', '@c:x'], organisers: ['@o:x'], president: '@p:x' };
const policy = { quorum: 2 / 3, spreadAlert: 2 };
const status = juryStatus(
  roster,
  {
    ballots: new Map([
      ['@a:x', { kind: 'level', level: 0 } as const],
      ['@b:x', { kind: 'level', level: 3 } as const],
      ['@p:x', { kind: 'abstain' } as const],
    ]),
    recused: new Set(['@c:x']),
  },
  4,
  policy,
);
const source = {
  id: 'c-1',
  collectivite: { name: EVIL, kind: 'commune' as const },
  people: { lead: { userId: '@lead:x', name: EVIL }, coEditors: [] },
  answers: { name: { value: EVIL, by: '@lead:x', at: new Date('2026-10-01T00:00:00Z') } },
  submittedAt: new Date('2026-10-02T00:00:00Z'),
};
const options = (lang: string) => ({ lang, timeZone: 'Europe/Paris', campaignName: EVIL, number: 3 });
const overview = {
  lines: [
    { number: 1, name: EVIL, state: 'toCast' as const, level: null, done: 1, total: 3 },
    { number: 2, name: 'B', state: 'voted' as const, level: 2, done: 2, total: 3 },
    { number: 3, name: 'C', state: 'provisional' as const, level: null, done: 0, total: 3 },
    { number: 4, name: 'D', state: 'cast' as const, level: null, done: 3, total: 3 },
  ],
  toCast: 1,
  cast: 2,
  provisional: 1,
};

/** Every sentence of the jury's locale file, each parameter hostile. */
function everySentence(lang: string): Rich[] {
  const keys = new Set<string>();
  const walk = (node: unknown, path: string) => {
    if (typeof node === 'string') keys.add(path.replace(/_(zero|one|two|few|many|other)$/, ''));
    else if (node && typeof node === 'object')
      for (const [k, v] of Object.entries(node)) walk(v, path ? `${path}.${k}` : k);
  };
  walk(readLocaleFiles()[lang]?.jury, '');
  const params = new Proxy({}, { get: (_target, key) => (key === 'count' ? 2 : EVIL) });
  return [...keys].map((key) => jury.simple(lang, key as jury.JuryKey, params as jury.Params));
}

export function juryMessages(lang: string): Rich[] {
  const header = dossierHeader(source, fixture, lang);
  const view = {
    ref,
    scale: NAMED,
    level: 2,
    proposed: 1,
    reason: EVIL,
    mentions: [EVIL],
    message: EVIL,
    by: '@p:x',
  };
  return [
    jury.rootMessage(dossierHeaderBlock(header, options(lang)), ref, { provisionalUntil: EVIL }, lang),
    jury.rootMessage(dossierHeaderBlock(header, options(lang)), ref, { provisionalUntil: null }, lang),
    jury.threadIntro(ref, lang),
    ...dossierSections(source, fixture, options(lang)),
    jury.updatedMessage(
      1,
      dossierChanges([{ questionId: 'name', before: EVIL, after: 'x' }], fixture, lang),
      lang,
    ),
    jury.withdrawnMessage(ref, lang),
    jury.votingOpenInThread(ref, lang),
    jury.voteRecorded(ref, NAMED, 2, 1, lang),
    jury.voteRecorded(ref, NAMED, null, null, lang),
    tally.tallyMessage({ ref, status, scale: NAMED, decidedLevel: null, complete: true }, lang),
    tally.tallyMessage(
      { ref, status, scale: DEFAULT_SCALE, decidedLevel: 1, ballots: new Map([[EVIL, 0]]) },
      lang,
    ),
    tally.overviewMessage(overview, NAMED, EVIL, lang),
    tally.rankingMessage(
      {
        ranked: rank([
          { item: ref, result: status.result },
          { item: { number: 4, name: 'D' }, result: status.result },
        ]),
        hidden: [{ number: 5, name: EVIL, done: 1, total: 3 }],
      },
      NAMED,
      lang,
    ),
    tally.ballotWelcome({ name: EVIL, overview, scale: NAMED, closing: EVIL }, lang),
    tally.ballotWelcome(
      {
        name: EVIL,
        overview: { lines: [], toCast: 0, cast: 0, provisional: 0 },
        scale: DEFAULT_SCALE,
        closing: EVIL,
      },
      lang,
    ),
    tally.votingOpenForJuror([ref], lang),
    tally.votingOpenForJury(EVIL, [ref], lang),
    jury.decisionMessage(view, lang),
    jury.correctionMessage({ ...view, before: 1, correctionReason: EVIL, published: true }, lang),
    jury.questionForCandidate(1, EVIL, lang),
    jury.replyRelayed(EVIL, { number: 1, text: EVIL }, EVIL, lang),
    jury.notesMessage(ref, [{ author: EVIL, at: new Date(), text: EVIL }], lang, 'Europe/Paris'),
    jury.reminderMessage([{ juror: '@a:x', dossiers: [1, 2] }], new Date(), lang, 'Europe/Paris'),
    jury.helpMessage(NAMED, lang),
    ...everySentence(lang),
  ];
}
