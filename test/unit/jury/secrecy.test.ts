// The secret-ballot rule over every combination: each juror of a jury (the president,
// two plain jurors, an organiser who is also a juror) without a ballot, voted, abstained
// or recused; undecided or decided; open or secret votes; every reader (an organiser
// who is not a juror, a stranger too), every piece of information, every place.
import { describe, expect, it } from 'vitest';
import { rolesOf, type Roster } from '../../../flows/jury/rules.ts';
import {
  type JuryInfo,
  type JuryPlace,
  mayShow,
  maySee,
  type Reader,
  type SecrecyFacts,
} from '../../../flows/jury/secrecy.ts';

const PRESIDENT = '@anne:test';
const BRUNO = '@bruno:test';
const CHLOE = '@chloe:test';
const ORGA_JUROR = '@olga-jure:test';
const ORGANISER = '@olga:test';
const STRANGER = '@eve:test';

const roster: Roster = {
  jurors: [BRUNO, CHLOE, ORGA_JUROR],
  organisers: [ORGANISER, ORGA_JUROR],
  president: PRESIDENT,
};
const JURORS = [PRESIDENT, BRUNO, CHLOE, ORGA_JUROR];
const STATES = ['none', 'voted', 'abstained', 'recused'] as const;
type State = (typeof STATES)[number];
const INFOS: JuryInfo[] = ['ownBallot', 'ballots', 'distribution', 'notes', 'discussion'];
const PLACES: JuryPlace[] = ['ballot', 'jury', 'organisers'];

const reader = (userId: string): Reader => ({ userId, roles: rolesOf(roster, userId) });
const everyone = [...JURORS, ORGANISER, STRANGER].map(reader);
const juryRoomReaders = [...JURORS, ORGANISER].map(reader);
const organisersRoomReaders = [ORGANISER, ORGA_JUROR].map(reader);

interface Scenario {
  states: Record<string, State>;
  facts: SecrecyFacts;
}

function* scenarios(): Generator<Scenario> {
  for (const a of STATES)
    for (const b of STATES)
      for (const c of STATES)
        for (const d of STATES)
          for (const decided of [false, true])
            for (const openVotes of [false, true]) {
              const states: Record<string, State> = {
                [PRESIDENT]: a,
                [BRUNO]: b,
                [CHLOE]: c,
                [ORGA_JUROR]: d,
              };
              const recused = JURORS.filter((j) => states[j] === 'recused');
              const cast = JURORS.filter((j) => states[j] === 'voted' || states[j] === 'abstained');
              const eligible = JURORS.filter((j) => states[j] !== 'recused');
              const allCast = eligible.length > 0 && eligible.every((j) => cast.includes(j));
              yield { states, facts: { recused, cast, allCast, decided, openVotes } };
            }
}

const all = [...scenarios()];

describe('the secret ballot, over every combination', () => {
  it(`covers ${all.length} situations`, () => {
    expect(all).toHaveLength(4 ** 4 * 2 * 2);
  });

  it('shows nothing in a room whose readers are not known', () => {
    for (const { facts } of all)
      expect(mayShow(null, 'distribution', 'jury', { ...facts, decided: true })).toBe(false);
  });

  it('shows a stranger nothing, anywhere', () => {
    for (const { facts } of all)
      for (const info of INFOS)
        for (const place of PLACES) expect(maySee(reader(STRANGER), info, place, facts)).toBe(false);
  });

  it('never shows a juror without a ballot another vote or the distribution before the decision — the president included', () => {
    let checked = 0;
    for (const { states, facts } of all) {
      if (facts.decided) continue;
      for (const juror of JURORS) {
        if (states[juror] !== 'none') continue;
        for (const place of PLACES) {
          checked += 1;
          expect(maySee(reader(juror), 'distribution', place, facts), `${juror} in ${place}`).toBe(false);
          expect(maySee(reader(juror), 'ballots', place, facts)).toBe(false);
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('shows a recused juror no vote before the decision, except the shared room once the others have all voted', () => {
    for (const { states, facts } of all) {
      if (facts.decided) continue;
      for (const juror of JURORS.filter((j) => states[j] === 'recused')) {
        expect(maySee(reader(juror), 'distribution', 'ballot', facts)).toBe(false);
        expect(maySee(reader(juror), 'distribution', 'organisers', facts)).toBe(false);
        expect(maySee(reader(juror), 'distribution', 'jury', facts)).toBe(facts.allCast);
        expect(maySee(reader(juror), 'notes', 'ballot', facts)).toBe(false);
        expect(maySee(reader(juror), 'discussion', 'ballot', facts)).toBe(false);
      }
    }
  });

  it('shows the distribution in the jury room exactly once every non-recused juror has a ballot, or with the decision', () => {
    for (const { facts } of all)
      expect(mayShow(juryRoomReaders, 'distribution', 'jury', facts)).toBe(facts.allCast || facts.decided);
  });

  it('shows the distribution in the organisers’ room only when no organiser who is a juror is still to vote or recused', () => {
    for (const { states, facts } of all) {
      const juror = states[ORGA_JUROR];
      const entitled = facts.decided || juror === 'voted' || juror === 'abstained';
      expect(mayShow(organisersRoomReaders, 'distribution', 'organisers', facts)).toBe(entitled);
      // The organiser who is not a juror may always see it there, never in a ballot room.
      expect(maySee(reader(ORGANISER), 'distribution', 'organisers', facts)).toBe(true);
      expect(maySee(reader(ORGANISER), 'distribution', 'ballot', facts)).toBe(facts.decided);
    }
  });

  it('lets a juror with a ballot read the distribution in their own ballot room', () => {
    for (const { states, facts } of all)
      for (const juror of JURORS)
        if (states[juror] === 'voted' || states[juror] === 'abstained')
          expect(maySee(reader(juror), 'distribution', 'ballot', facts)).toBe(true);
  });

  it('shows who voted what only when the campaign says so, under the same rule', () => {
    for (const { facts } of all)
      for (const r of everyone)
        for (const place of PLACES) {
          const ballots = maySee(r, 'ballots', place, facts);
          expect(ballots).toBe(facts.openVotes && maySee(r, 'distribution', place, facts));
        }
  });

  it('shows one’s own ballot only in one’s own ballot room', () => {
    for (const { facts } of all)
      for (const r of everyone) {
        expect(maySee(r, 'ownBallot', 'jury', facts)).toBe(false);
        expect(maySee(r, 'ownBallot', 'organisers', facts)).toBe(false);
        expect(maySee(r, 'ownBallot', 'ballot', facts)).toBe(r.roles.juror);
      }
  });

  it('keeps private notes away from any place a recused juror reads', () => {
    for (const { facts } of all) {
      expect(mayShow(juryRoomReaders, 'notes', 'jury', facts)).toBe(facts.recused.length === 0);
      for (const r of everyone)
        if (r.roles.juror && facts.recused.includes(r.userId)) {
          for (const place of PLACES) expect(maySee(r, 'notes', place, facts)).toBe(false);
        }
    }
  });
});
