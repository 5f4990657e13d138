import { describe, expect, it } from 'vitest';
import {
  type Ballot,
  checkBallot,
  checkContribution,
  checkRecusal,
  checkTallyReader,
  correct,
  decide,
  juryStatus,
  jurorsOf,
  rolesOf,
  tallyMayBePublic,
} from '../../../flows/jury/rules.ts';

const roster = {
  jurors: ['@a:x', '@b:x', '@c:x'],
  organisers: ['@org:x'],
  president: '@p:x',
};
const policy = { quorum: 2 / 3, spreadAlert: 2 };

function status(ballots: Record<string, Ballot>, recused: string[] = []) {
  return juryStatus(
    roster,
    { ballots: new Map(Object.entries(ballots)), recused: new Set(recused) },
    5,
    policy,
  );
}
const level = (n: number): Ballot => ({ kind: 'level', level: n });

describe('roles', () => {
  it('counts the president as a juror and knows organisers', () => {
    expect(jurorsOf(roster)).toEqual(['@a:x', '@b:x', '@c:x', '@p:x']);
    expect(rolesOf(roster, '@p:x')).toEqual({ juror: true, organiser: false, president: true });
    expect(rolesOf(roster, '@org:x')).toEqual({ juror: false, organiser: true, president: false });
    expect(rolesOf(roster, '@stranger:x')).toEqual({ juror: false, organiser: false, president: false });
  });
});

describe('jury status and quorum', () => {
  it('needs two thirds of the non-recused jurors, abstentions included', () => {
    const s = status({ '@a:x': level(3), '@b:x': { kind: 'abstain' } });
    expect(s.eligible).toHaveLength(4);
    expect(s.quorum).toEqual({ required: 3, participating: 2, reached: false }); // ceil(8/3) = 3
    expect(s.missing).toEqual(['@c:x', '@p:x']);
    expect(s.allVoted).toBe(false);
  });

  it('excludes a recused juror and their vote', () => {
    const s = status({ '@a:x': level(0), '@b:x': level(3), '@c:x': level(3) }, ['@a:x']);
    expect(s.eligible).toEqual(['@b:x', '@c:x', '@p:x']);
    expect(s.quorum).toEqual({ required: 2, participating: 2, reached: true }); // 2/3 of 3 is exactly 2
    expect(s.result.count).toBe(2);
    expect(s.result.majorityGrade).toBe(3);
  });

  it('ignores ballots from people no longer in the jury', () => {
    const s = status({ '@gone:x': level(4), '@a:x': level(1) });
    expect(s.result.count).toBe(1);
    expect(s.voted).toEqual(['@a:x']);
  });

  it('is not reached when everyone abstains', () => {
    const s = status({
      '@a:x': { kind: 'abstain' },
      '@b:x': { kind: 'abstain' },
      '@c:x': { kind: 'abstain' },
      '@p:x': { kind: 'abstain' },
    });
    expect(s.allVoted).toBe(true);
    expect(s.quorum.reached).toBe(false);
  });

  it('flags a large spread', () => {
    expect(status({ '@a:x': level(0), '@b:x': level(4) }).largeSpread).toBe(true);
    expect(status({ '@a:x': level(3), '@b:x': level(4) }).largeSpread).toBe(false);
  });
});

describe('who may vote', () => {
  const juror = rolesOf(roster, '@a:x');
  it('refuses non-jurors, recused jurors, decided and withdrawn dossiers', () => {
    expect(checkBallot(rolesOf(roster, '@org:x'), false, 'review', 'private', false)).toEqual({
      ok: false,
      reason: 'notJuror',
    });
    expect(checkBallot(juror, true, 'review', 'private', false)).toEqual({ ok: false, reason: 'recused' });
    expect(checkBallot(juror, false, 'decided', 'private', false)).toEqual({ ok: false, reason: 'decided' });
    expect(checkBallot(juror, false, 'withdrawn', 'private', false)).toEqual({
      ok: false,
      reason: 'withdrawn',
    });
    expect(checkBallot(juror, false, 'review', 'private', false)).toEqual({ ok: true });
  });

  it('takes votes in the shared room only when votes are open', () => {
    expect(checkBallot(juror, false, 'review', 'shared', false)).toEqual({
      ok: false,
      reason: 'secretBallot',
    });
    expect(checkBallot(juror, false, 'review', 'shared', true)).toEqual({ ok: true });
  });

  it('lets a juror recuse once, before the decision', () => {
    expect(checkRecusal(juror, false, 'review')).toEqual({ ok: true });
    expect(checkRecusal(juror, true, 'review')).toEqual({ ok: false, reason: 'alreadyRecused' });
    expect(checkRecusal(juror, false, 'decided')).toEqual({ ok: false, reason: 'decided' });
    expect(checkRecusal(rolesOf(roster, '@z:x'), false, 'review')).toEqual({ ok: false, reason: 'notJuror' });
  });

  it('keeps recused jurors and strangers out of questions and mentions', () => {
    expect(checkContribution(juror, true)).toEqual({ ok: false, reason: 'recused' });
    expect(checkContribution(rolesOf(roster, '@z:x'), false)).toEqual({ ok: false, reason: 'notMember' });
    expect(checkContribution(rolesOf(roster, '@org:x'), false)).toEqual({ ok: true });
  });
});

describe('tally visibility', () => {
  const s = status({ '@a:x': level(2), '@b:x': { kind: 'abstain' } }, ['@c:x']);
  it('hides votes from a juror until they cast a ballot, and from recused jurors', () => {
    expect(checkTallyReader(rolesOf(roster, '@a:x'), '@a:x', s)).toEqual({ ok: true });
    expect(checkTallyReader(rolesOf(roster, '@b:x'), '@b:x', s)).toEqual({ ok: true });
    expect(checkTallyReader(rolesOf(roster, '@c:x'), '@c:x', s)).toEqual({ ok: false, reason: 'recused' });
    expect(checkTallyReader(rolesOf(roster, '@z:x'), '@z:x', s)).toEqual({ ok: false, reason: 'notMember' });
  });
  it('always shows it to organisers and the president', () => {
    expect(checkTallyReader(rolesOf(roster, '@org:x'), '@org:x', s)).toEqual({ ok: true });
    expect(checkTallyReader(rolesOf(roster, '@p:x'), '@p:x', s)).toEqual({ ok: true });
  });
  it('hides it from a juror when nobody has voted yet', () => {
    const none = status({});
    expect(checkTallyReader(rolesOf(roster, '@a:x'), '@a:x', none)).toEqual({
      ok: false,
      reason: 'notVotedYet',
    });
  });
  it('posts it for all once every non-recused juror has a ballot, or on an organiser request', () => {
    expect(tallyMayBePublic(s, false)).toBe(false);
    expect(tallyMayBePublic(s, true)).toBe(true);
    const done = status({ '@a:x': level(1), '@b:x': level(2), '@p:x': level(2) }, ['@c:x']);
    expect(tallyMayBePublic(done, false)).toBe(true);
  });
});

describe('decision and correction', () => {
  const organiser = rolesOf(roster, '@org:x');
  const s = status({ '@a:x': level(1), '@b:x': level(2), '@c:x': level(3) });
  const none = { level: null, reason: null, mentions: null, message: null };

  it('takes the proposed level by default', () => {
    const d = decide(organiser, 'review', s, {
      ...none,
      mentions: ['Coup de cœur', 'coup de cœur '],
      message: ' Bravo ',
    });
    expect(d).toEqual({
      ok: true,
      proposed: 2,
      decision: { level: 2, reason: null, mentions: ['Coup de cœur'], message: 'Bravo' },
    });
  });

  it('needs a reason for another level', () => {
    expect(decide(organiser, 'review', s, { ...none, level: 4 })).toEqual({
      ok: false,
      reason: 'reasonRequired',
    });
    const d = decide(organiser, 'review', s, { ...none, level: 4, reason: 'Outstanding pooling' });
    expect(d.ok && d.decision.level).toBe(4);
  });

  it('refuses jurors, missing quorum, decided and withdrawn dossiers', () => {
    expect(decide(rolesOf(roster, '@a:x'), 'review', s, none)).toEqual({ ok: false, reason: 'notAllowed' });
    expect(decide(rolesOf(roster, '@p:x'), 'review', s, none).ok).toBe(true);
    expect(decide(organiser, 'review', status({ '@a:x': level(1) }), none)).toEqual({
      ok: false,
      reason: 'noQuorum',
    });
    expect(decide(organiser, 'decided', s, none)).toEqual({ ok: false, reason: 'alreadyDecided' });
    expect(decide(organiser, 'withdrawn', s, none)).toEqual({ ok: false, reason: 'withdrawn' });
  });

  it('corrects with a reason, keeping what is not given', () => {
    const current = { level: 2, reason: null, mentions: ['Sobriété'], message: 'Bravo' };
    expect(correct(organiser, current, { ...none, level: 3 })).toEqual({
      ok: false,
      reason: 'reasonRequired',
    });
    expect(correct(organiser, null, { ...none, reason: 'x' })).toEqual({ ok: false, reason: 'notDecided' });
    expect(correct(organiser, current, { ...none, level: 2, reason: 'x' })).toEqual({
      ok: false,
      reason: 'nothingChanged',
    });
    expect(correct(rolesOf(roster, '@a:x'), current, { ...none, reason: 'x' })).toEqual({
      ok: false,
      reason: 'notAllowed',
    });
    expect(correct(organiser, current, { ...none, level: 3, reason: 'Typo in the level' })).toEqual({
      ok: true,
      reason: 'Typo in the level',
      decision: { level: 3, reason: null, mentions: ['Sobriété'], message: 'Bravo' },
    });
  });
});
