import { describe, expect, it } from 'vitest';
import {
  type Ballot,
  checkContribution,
  correct,
  decide,
  isDecider,
  isMember,
  juryStatus,
  jurorsOf,
  rolesOf,
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

  it('lets organisers and the president decide, and members act', () => {
    expect(isDecider(rolesOf(roster, '@org:x'))).toBe(true);
    expect(isDecider(rolesOf(roster, '@p:x'))).toBe(true);
    expect(isDecider(rolesOf(roster, '@a:x'))).toBe(false);
    expect(isMember(rolesOf(roster, '@a:x'))).toBe(true);
    expect(isMember(rolesOf(roster, '@stranger:x'))).toBe(false);
  });

  it('lists the president once when also among the jurors', () => {
    expect(jurorsOf({ ...roster, jurors: ['@p:x', '@a:x'] })).toEqual(['@p:x', '@a:x']);
    expect(jurorsOf({ ...roster, president: null })).toEqual(['@a:x', '@b:x', '@c:x']);
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

describe('contributions', () => {
  it('keeps recused jurors and strangers out of notes, questions and mentions, not organisers', () => {
    const juror = rolesOf(roster, '@a:x');
    expect(checkContribution(juror, false)).toEqual({ ok: true });
    expect(checkContribution(juror, true)).toEqual({ ok: false, reason: 'recused' });
    expect(checkContribution(rolesOf(roster, '@z:x'), false)).toEqual({ ok: false, reason: 'notMember' });
    expect(checkContribution(rolesOf(roster, '@org:x'), false)).toEqual({ ok: true });
    expect(checkContribution(rolesOf(roster, '@org:x'), true)).toEqual({ ok: true });
  });
});

describe('decision and correction', () => {
  const organiser = rolesOf(roster, '@org:x');
  const s = status({ '@a:x': level(1), '@b:x': level(2), '@c:x': level(3) });
  const none = { level: null, reason: null, mentions: null, message: null };

  it('takes the proposed level by default', () => {
    const d = decide(organiser, s, {
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
    expect(decide(organiser, s, { ...none, level: 4 })).toEqual({
      ok: false,
      reason: 'reasonRequired',
    });
    const d = decide(organiser, s, { ...none, level: 4, reason: 'Outstanding pooling' });
    expect(d.ok && d.decision.level).toBe(4);
  });

  it('refuses jurors and a missing quorum', () => {
    expect(decide(rolesOf(roster, '@a:x'), s, none)).toEqual({ ok: false, reason: 'notAllowed' });
    expect(decide(rolesOf(roster, '@p:x'), s, none).ok).toBe(true);
    expect(decide(organiser, status({ '@a:x': level(1) }), none)).toEqual({
      ok: false,
      reason: 'noQuorum',
    });
    // Everyone abstained: a quorum of ballots, but no level to propose.
    const abstained = status({
      '@a:x': { kind: 'abstain' },
      '@b:x': { kind: 'abstain' },
      '@c:x': { kind: 'abstain' },
    });
    expect(decide(organiser, abstained, none)).toEqual({ ok: false, reason: 'noQuorum' });
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
