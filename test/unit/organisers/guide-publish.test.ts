// What an organiser meets first and last: the welcome and the help by task, the pending
// confirmation kept in its own record, drafts named by their lead, and `!publier`, which
// takes the campaign that closed last, says which, and refuses without a public room.
import { describe, expect, it } from 'vitest';
import { ORG_ROOM, ORGANISER, PUBLIC_ROOM, addCandidacy, createHarness, type Harness } from './harness.ts';
import { recordDecision } from '../../doubles/jury-records.ts';

const CREATE = (year: number, id: string) =>
  `!campagne créer ${year} "TNL ${year}" questionnaire=orga-fixture ouverture=${year}-09-19 clôture=${year}-10-19 18:00 id=${id}`;

/** A campaign opened, with one decided candidacy, then closed; a newer draft created after it. */
async function closedWithNewerDraft(h: Harness): Promise<void> {
  await h.say(CREATE(2026, 'tnl-2026'));
  await h.say('!campagne ouvrir tnl-2026');
  await h.say('!confirmer');
  const done = await addCandidacy(h, 'tnl-2026', { name: 'Plouguerneau', status: 'submitted' });
  await h.say('!campagne clore tnl-2026');
  await h.say('!confirmer');
  await recordDecision(h.storage, {
    candidacyId: done.id,
    campaignId: 'tnl-2026',
    level: '3',
    mentions: [],
    message: '',
    by: ORGANISER,
  });
  await h.say(CREATE(2027, 'tnl-2027'));
  h.replies();
}

describe('the organisers’ guide', () => {
  it('welcomes a new organisers room once, by task, and not again after a restart', async () => {
    const h = createHarness();
    await h.organisers.service.reconcile();
    const [welcome] = h.replies();
    expect(welcome).toContain('Bienvenue dans la salle des organisateurs');
    for (const command of [
      '!statut',
      '!campagne créer 2027',
      '!relancer',
      '!annonce tous public',
      '!exporter ods',
    ])
      expect(welcome).toContain(command);
    expect(welcome).toContain('!aide tout');
    expect(await h.storage.organisers.noticeRound('welcome', ORG_ROOM)).toBe(1);
    h.organisers.stop();
    const again = h.restart();
    await again.organisers.service.reconcile();
    again.organisers.stop();
    expect(h.messenger.in(ORG_ROOM).filter((s) => s.message.plain.includes('Bienvenue'))).toHaveLength(1);
  });

  it('!aide gives the essentials by task; !aide tout and !help all the full reference', async () => {
    const h = createHarness();
    await h.say('!aide');
    const [short] = h.replies();
    expect(short).toContain('Salle des organisateurs : que voulez-vous faire ?');
    expect(short).toContain('Publier les résultats — !publier');
    expect(short).not.toContain('fuseau=');
    await h.say('!aide tout');
    const [full] = h.replies();
    expect(full).toContain('Toutes les commandes');
    expect(full).toContain('fuseau=Europe/Paris');
    await h.say('!langue en');
    await h.say('!help all');
    expect(h.replies().at(-1)).toContain("All the commands of the organisers' room");
  });

  it('keeps a pending confirmation in its own record, nothing in the generic key/value store', async () => {
    const h = createHarness();
    await h.say(CREATE(2026, 'tnl-2026'));
    await h.say('!campagne ouvrir');
    expect((await h.storage.organisers.getPending(ORGANISER))?.action).toEqual({
      kind: 'open',
      campaignId: 'tnl-2026',
    });
    const values = [];
    for await (const doc of h.storage.database.collection('bot_state').find({})) values.push(doc._id);
    expect(values.filter((key) => key.startsWith('organisers:'))).toEqual([]);
    await h.say('!confirmer');
    expect(await h.storage.organisers.getPending(ORGANISER)).toBeNull();
  });

  it('names a draft by its lead while the collectivité is unknown', async () => {
    const h = createHarness({ now: '2026-09-20T08:00:00Z' });
    await h.say(CREATE(2026, 'tnl-2026'));
    await h.say('!campagne ouvrir');
    await h.say('!confirmer');
    await h.storage.candidacies.create({
      campaignId: 'tnl-2026',
      people: { lead: { userId: '@camille:test', name: 'Camille Martin' }, coEditors: [] },
      roomId: '!camille:test',
      language: 'fr',
    });
    h.replies();
    await h.say('!statut');
    const [board] = h.replies();
    expect(board).toContain('Camille Martin (@camille:test) — Brouillons');
    expect(board).not.toMatch(/#[0-9a-f]{8}/);
  });
});

describe('!publier', () => {
  it('targets the campaign that closed last, not the newest draft, and says which', async () => {
    const h = createHarness({ now: '2026-10-01T08:00:00Z' });
    await closedWithNewerDraft(h);
    await h.say('!publier');
    const [ask] = h.replies();
    expect(ask).toContain(
      'Publier maintenant les résultats de « TNL 2026 » (tnl-2026, close le jeudi 1 octobre',
    );
    expect(ask).toContain('1 décision sera envoyée à sa candidature');
    await h.say('!confirmer');
    expect(h.replies()[0]).toBe(
      "Publication des résultats de « TNL 2026 » (tnl-2026) : 1 salle de candidature et le salon d'annonces.",
    );
    expect(h.messenger.in(PUBLIC_ROOM).map((s) => s.message.plain)).toEqual([
      expect.stringContaining('Palmarès TNL 2026'),
    ]);
    expect((await h.storage.campaigns.get('tnl-2027'))?.publishedAt).toBeNull();
    await h.say('!publier');
    expect(h.replies()).toEqual([expect.stringContaining('Les résultats de « tnl-2026 » sont déjà publiés')]);
  });

  it('refuses clearly without an announcements room, and changes nothing', async () => {
    const h = createHarness({ now: '2026-10-01T08:00:00Z', announcements: null });
    await closedWithNewerDraft(h);
    await h.say('!publier');
    await h.say('!publier 2026-12-03 18:00');
    await h.say('!annonce tous public\nBonjour');
    const replies = h.replies();
    expect(replies.slice(0, 2)).toEqual([
      expect.stringContaining("Rien n'est publié : il n'y a pas de salon d'annonces"),
      expect.stringContaining('rooms.announcements'),
    ]);
    expect(replies[2]).toContain("« public » : il n'y a pas de salon d'annonces");
    await h.say('!confirmer');
    expect(h.replies()).toEqual(['Aucune action en attente de confirmation.']);
    expect((await h.storage.campaigns.get('tnl-2026'))?.publishedAt).toBeNull();
    expect(await h.storage.broadcasts.list({ campaignId: 'tnl-2026' })).toHaveLength(1); // the closing only
  });

  it('says so when there is no closed campaign to publish', async () => {
    const h = createHarness();
    await h.say(CREATE(2026, 'tnl-2026'));
    h.replies();
    await h.say('!publier');
    expect(h.replies()).toEqual([expect.stringContaining('Aucune campagne close')]);
  });
});
