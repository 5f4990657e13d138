// The jury's views of votes: a dossier's tally explained in words, a juror's ballots,
// the ranking, the ballot room's welcome and the "voting is open" notices. Callers
// have asked flows/jury/secrecy.ts whether the reader may see what they pass here.
import type { Comparison, Ranked } from '../../flows/jury/majority.ts';
import type { BallotOverview, Ranking, RankingItem } from '../../flows/jury/overview.ts';
import type { JuryStatus } from '../../flows/jury/rules.ts';
import { type LevelScale, levelLabel } from '../../flows/jury/scale.ts';
import { translator } from '../../locales/i18n.ts';
import { formatNumber } from './dossier.ts';
import {
  type DossierRef,
  type JuryKey,
  Lines,
  type Params,
  percent,
  type Rendered,
  scaleLine,
} from './jury.ts';

export interface TallyView {
  ref: DossierRef;
  status: JuryStatus;
  scale: LevelScale;
  /** Who voted what, when the campaign's votes are open and the reader may see it. */
  ballots?: ReadonlyMap<string, number>;
  decidedLevel: number | null;
  /** "Everyone has voted" headline. */
  complete?: boolean;
}

function bar(count: number, max: number): string {
  const width = max > 0 ? Math.round((count / max) * 10) : 0;
  return count > 0 ? '█'.repeat(Math.max(1, width)) : '';
}

export function tallyMessage(view: TallyView, lang: string): Rendered {
  const { status, scale, ref } = view;
  const r = status.result;
  const l = new Lines(lang);
  if (view.complete) l.say('tally.allVoted', { number: ref.number }, 'i');
  l.say('tally.title', { number: ref.number, name: ref.name }, 'b');
  const max = Math.max(...r.histogram);
  l.list((list) => {
    scale.levels.forEach((_, i) => {
      const count = r.histogram[i] ?? 0;
      let line = `${count} ${bar(count, max)}`.trim();
      if (view.ballots) {
        const names = [...view.ballots.entries()].filter(([, lv]) => lv === i).map(([who]) => who);
        if (names.length) line += ` (${names.join(', ')})`;
      }
      list.say('tally.line', { level: levelLabel(scale, i, lang), count: line }, 'li');
    });
  });
  if (r.majorityGrade === null || r.gauge === null) l.say('tally.noProposal');
  else {
    const level = levelLabel(scale, r.majorityGrade, lang);
    l.say('tally.proposed', { level }, 'b');
    const shares = { level, above: percent(r.above, r.count, lang), below: percent(r.below, r.count, lang) };
    // Unanimous: no tie-break to explain.
    if (r.above === 0 && r.below === 0) l.say('tally.unanimous', { level });
    else l.say(r.gauge.sign === '+' ? 'tally.gaugePlus' : 'tally.gaugeMinus', shares);
    l.say('tally.meanSpread', {
      mean: formatNumber(Math.round((r.mean ?? 0) * 10) / 10, lang),
      count: r.spread ?? 0,
    });
    if (status.largeSpread) l.say('tally.largeSpread', {}, 'b');
  }
  l.say('tally.ballots', {
    count: status.quorum.participating,
    total: status.eligible.length,
    voted: status.voted.length,
    abstained: status.abstained.length,
    recused: status.recused.length,
  });
  l.say(status.quorum.reached ? 'tally.quorumReached' : 'tally.quorumMissing', {
    required: status.quorum.required,
  });
  if (view.decidedLevel !== null)
    l.say('tally.decided', { level: levelLabel(scale, view.decidedLevel, lang) }, 'b');
  return l.done();
}

/** `!tally` without a dossier, for a juror: "your ballots: N to cast, M cast", then each dossier. */
export function overviewMessage(
  overview: BallotOverview,
  scale: LevelScale,
  closing: string,
  lang: string,
): Rendered {
  const l = new Lines(lang);
  if (overview.lines.length === 0) return l.say('tally.noDossiers').done();
  const t = translator(lang, 'jury');
  l.say('tally.overviewTitle', { toCast: overview.toCast, count: overview.cast }, 'b');
  if (overview.provisional > 0)
    l.say('tally.overviewProvisional', { count: overview.provisional, date: closing });
  l.list((list) => {
    for (const line of overview.lines) {
      const state =
        line.state === 'voted'
          ? t('tally.state.voted', { level: line.level === null ? '?' : levelLabel(scale, line.level, lang) })
          : t(`tally.state.${line.state}`);
      list.say('tally.overviewLine', { number: line.number, name: line.name, state }, 'li');
    }
  });
  return l.done();
}

function gaugeText(result: Ranked<RankingItem>['result'], scale: LevelScale, lang: string): string {
  if (result.majorityGrade === null || result.gauge === null) return '—';
  const t = translator(lang, 'jury');
  return t('ranking.gauge', {
    level: levelLabel(scale, result.majorityGrade, lang),
    sign: result.gauge.sign === '+' ? '+' : '−',
    share: percent(result.gauge.count, result.count, lang),
  });
}

export function rankingMessage(ranking: Ranking, scale: LevelScale, lang: string): Rendered {
  const { ranked, hidden } = ranking;
  const l = new Lines(lang);
  if (ranked.length === 0 && hidden.length === 0) return l.say('tally.noDossiers').done();
  if (ranked.length > 0) {
    l.say('ranking.title', { count: ranked.length }, 'b');
    l.list((list) => {
      for (const entry of ranked) {
        const base = { rank: entry.rank, number: entry.item.number, name: entry.item.name };
        if (entry.result.majorityGrade === null) list.say('ranking.noVotes', base, 'li');
        else
          list.say(
            'ranking.line',
            { ...base, grade: gaugeText(entry.result, scale, lang), count: entry.result.count },
            'li',
          );
      }
    });
    const explanations: Array<{ key: JuryKey; params: Params }> = [];
    ranked.forEach((entry, i) => {
      const previous = ranked[i - 1];
      const against: Comparison | null = entry.againstPrevious;
      if (!previous || !against || against.decidedBy === 'noVotes') return;
      const pair = { a: previous.item.number, b: entry.item.number };
      if (against.decidedBy === 'gauge') {
        explanations.push({
          key: 'ranking.byGauge',
          params: {
            ...pair,
            ga: gaugeText(previous.result, scale, lang),
            gb: gaugeText(entry.result, scale, lang),
          },
        });
      } else if (against.decidedBy === 'majorityValue')
        explanations.push({ key: 'ranking.byValue', params: pair });
      else if (against.decidedBy === 'tie') explanations.push({ key: 'ranking.tie', params: pair });
    });
    l.say('ranking.howTitle', {}, 'b').say('ranking.how');
    if (explanations.length) l.list((list) => explanations.forEach((e) => list.say(e.key, e.params, 'li')));
  }
  if (hidden.length > 0) {
    const t = translator(lang, 'jury');
    l.say('ranking.hiddenTitle', {}, 'b');
    l.list((list) => {
      for (const h of hidden) {
        const progress = t('tally.progress', { count: h.done, total: h.total });
        list.say('ranking.hiddenLine', { number: h.number, name: h.name, progress }, 'li');
      }
    });
  }
  return l.done();
}

/**
 * The ballot room's welcome: whose room it is, the scale, what waits for the juror's
 * vote (and what can be read before closing), and examples with real dossier numbers.
 */
export function ballotWelcome(
  input: { name: string; overview: BallotOverview; scale: LevelScale; closing: string },
  lang: string,
): Rendered {
  const { overview, scale } = input;
  const l = new Lines(lang).say('ballot.welcome', { name: input.name });
  scaleLine(l, scale, lang);
  const waiting = overview.lines.filter((line) => line.state === 'toCast');
  const provisional = overview.lines.filter((line) => line.state === 'provisional');
  if (waiting.length > 0) {
    l.say('ballot.waitingTitle', {}, 'b');
    l.list((list) =>
      waiting.forEach((w) => list.say('ballot.line', { number: w.number, name: w.name }, 'li')),
    );
  }
  if (provisional.length > 0) {
    l.say('ballot.provisionalTitle', { date: input.closing }, 'b');
    l.list((list) =>
      provisional.forEach((p) => list.say('ballot.line', { number: p.number, name: p.name }, 'li')),
    );
  }
  if (waiting.length === 0 && provisional.length === 0) l.say('ballot.nothingYet');
  const example = waiting[0] ?? provisional[0] ?? overview.lines[0];
  const middle = levelLabel(scale, Math.floor((scale.levels.length - 1) / 2), lang);
  if (example)
    l.say(
      'ballot.howTo',
      {
        number: example.number,
        level: /^\D*\d+$/.test(middle) ? String(Math.floor((scale.levels.length - 1) / 2) + 1) : middle,
      },
      'i',
    );
  else l.say('ballot.howToGeneric', {}, 'i');
  return l.done();
}

/** To a juror's ballot room when dossiers become final: what now waits for their vote. */
export function votingOpenForJuror(dossiers: ReadonlyArray<DossierRef>, lang: string): Rendered {
  const l = new Lines(lang).say('ballot.votingOpen', { count: dossiers.length }, 'b');
  l.list((list) =>
    dossiers.forEach((d) => list.say('ballot.line', { number: d.number, name: d.name }, 'li')),
  );
  return l.done();
}

/** In the jury room's timeline when a campaign closes. */
export function votingOpenForJury(
  campaign: string,
  dossiers: ReadonlyArray<DossierRef>,
  lang: string,
): Rendered {
  const list = dossiers.map((d) => `#${d.number}`).join(', ');
  return new Lines(lang).say('jury.votingOpen', { campaign, list }, 'b').done();
}
