// Secrecy follows the rooms as they are: someone let into the jury room (or a ballot
// room) by mistake reads what is posted there, so no vote or distribution goes there
// while they are in — whoever asks, and even once every juror has voted.
import { describe, expect, it } from 'vitest';
import { createHarness, JURORS, JURY_ROOM, ORGANISER, PRESIDENT } from './fixture.ts';
import { closeCampaign, inBallot, lastText, posted } from './helpers.ts';

const [ALICE, BOB, CAROL] = JURORS as [string, string, string];
const OUTSIDER = '@candidate:test';

async function everyoneVotes(h: Awaited<ReturnType<typeof createHarness>>) {
  const dossier = await posted(h);
  await closeCampaign(h);
  for (const [juror, level] of [
    [ALICE, '3'],
    [BOB, '4'],
    [CAROL, '3'],
    [PRESIDENT, '2'],
  ] as const)
    await inBallot(h, juror, `!vote #1 ${level}`);
  return dossier;
}

describe('a room read by someone outside the jury', () => {
  it('gets no tally, not even once everyone has voted; jurors get it privately', async () => {
    const h = await createHarness();
    h.messenger.presetMembers.get(JURY_ROOM)?.push(OUTSIDER);
    const { root } = await everyoneVotes(h);
    expect(h.messenger.in(JURY_ROOM).some((s) => s.message.plain.includes('Décompte de #1'))).toBe(false);
    await h.say(ALICE, JURY_ROOM, '!decompte', root);
    expect(lastText(h, JURY_ROOM)).toContain('Une personne extérieure au jury lit ce salon');
    expect(lastText(h, await h.ballotRoomOf(ALICE))).toContain('Décompte de #1');
    expect(h.messenger.in(JURY_ROOM).some((s) => s.message.plain.includes('Décompte de #1'))).toBe(false);
  });

  it('posts the decision without the level the jury proposed', async () => {
    const h = await createHarness();
    h.messenger.presetMembers.get(JURY_ROOM)?.push(OUTSIDER);
    const { root } = await everyoneVotes(h);
    await h.say(ORGANISER, JURY_ROOM, '!decider 3\nmotif: bon dossier', root);
    const posts = h.messenger.in(JURY_ROOM, root).map((s) => s.message.plain);
    const decision = posts.find((p) => p.includes('Décision pour #1'));
    expect(decision).toContain('niveau 3');
    expect(decision).not.toContain('Niveau proposé');
  });

  it('keeps a juror’s own ballots and the tally out of a ballot room someone else was let into', async () => {
    const h = await createHarness();
    const { root } = await everyoneVotes(h);
    void root;
    const room = await h.ballotRoomOf(ALICE);
    await h.messenger.invite(room, OUTSIDER);
    await h.say(ALICE, room, '!decompte #1');
    expect(lastText(h, room)).not.toContain('Décompte de #1');
    await h.say(ALICE, room, '!decompte');
    expect(lastText(h, room)).toContain('#1 Plouguerneau : bulletin déposé');
    expect(lastText(h, room)).not.toContain('voté niveau 3');
  });
});
