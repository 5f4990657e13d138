import { describe, expect, it } from 'vitest';
import {
  FULL_ANSWERS,
  JURORS,
  ORGANISER,
  ORG_ROOM,
  OTHER_ORGANISER,
  addCandidacy,
  createHarness,
} from './harness.ts';
import { recordVote } from '../../doubles/jury-records.ts';

const CREATE =
  '!campagne créer 2026 "Label TNL 2026" questionnaire=orga-fixture ouverture=2026-09-19 09:00 clôture=2026-10-19 18:00 jury=2026-11-30 niveaux=badge,bronze,argent,or relances=7j,2j';

describe('organisers console: campaigns', () => {
  it('only configured organisers may use the commands', async () => {
    const h = createHarness();
    await h.say(CREATE, '@stranger:test');
    expect(h.replies()).toEqual([expect.stringContaining('Seules les personnes organisatrices')]);
    expect(await h.storage.campaigns.list()).toEqual([]);
    // Plain conversation between organisers is left alone.
    await h.say('on se voit demain ?');
    expect(h.replies()).toEqual([]);
  });

  it('creates a draft campaign from the command, with dates read in Paris time and who created it', async () => {
    const h = createHarness();
    await h.say(CREATE);
    const [reply] = h.replies();
    expect(reply).toContain('Campagne créée');
    expect(reply).toContain('tnl-2026');
    const [stored] = await h.storage.campaigns.list();
    expect(stored).toMatchObject({
      id: 'tnl-2026',
      year: 2026,
      name: 'Label TNL 2026',
      questionnaire: 'orga-fixture',
      status: 'draft',
      timeZone: 'Europe/Paris',
      reminderDaysBefore: [7, 2],
    });
    expect(stored?.opensAt.toISOString()).toBe('2026-09-19T07:00:00.000Z');
    expect(stored?.closesAt.toISOString()).toBe('2026-10-19T16:00:00.000Z');
    expect(stored?.juryDeadline?.toISOString()).toBe('2026-11-30T22:59:00.000Z');
    expect(stored?.levels.map((l) => l.id)).toEqual(['badge', 'bronze', 'argent', 'or']);
    expect(stored?.history[0]?.by).toBe(ORGANISER);
    await h.say(`${CREATE} id=tnl-2026`);
    expect(h.replies()).toEqual([expect.stringContaining('existe déjà')]);
    // Without an id, a second campaign of the same year gets the next free one.
    await h.say(CREATE);
    expect(h.replies()[0]).toContain('tnl-2026-2');
  });

  it('names every invalid field', async () => {
    const h = createHarness();
    await h.say(
      '!campaign create 2026 questionnaire=nope opens=2026-02-30 closes=tomorrow timezone=Mars/Olympus',
    );
    const [reply] = h.replies();
    expect(reply).toContain('Mars/Olympus');
    expect(reply).toContain('2026-02-30');
    expect(reply).toContain('tomorrow');
    expect(await h.storage.campaigns.list()).toEqual([]);
  });

  it('opens only after confirmation; cancel forgets; only one campaign open at a time', async () => {
    const h = createHarness();
    await h.say(CREATE);
    await h.say('!campagne ouvrir');
    expect(h.replies().at(-1)).toContain('!confirmer');
    await h.say('!annuler');
    expect(h.replies()).toEqual([expect.stringContaining('annulée')]);
    await h.say('!confirmer');
    expect(h.replies()).toEqual([expect.stringContaining('Aucune action en attente')]);
    expect((await h.storage.campaigns.get('tnl-2026'))?.status).toBe('draft');

    await h.say('!campagne ouvrir');
    // Another organiser's confirmation does not confirm someone else's action.
    await h.say('!confirmer', OTHER_ORGANISER);
    expect((await h.storage.campaigns.get('tnl-2026'))?.status).toBe('draft');
    await h.say('!confirmer');
    expect(h.replies().at(-1)).toContain('Campagne tnl-2026 ouverte');
    expect((await h.storage.campaigns.get('tnl-2026'))?.status).toBe('open');

    await h.say(CREATE.replace('2026 "Label TNL 2026"', '2027 "TNL 2027"').replaceAll('2026-', '2027-'));
    await h.say('!campaign open tnl-2027');
    expect(h.replies().at(-1)).toContain('déjà ouverte');
  });

  it('a pending confirmation expires', async () => {
    const h = createHarness();
    await h.say(CREATE);
    await h.say('!campagne ouvrir');
    h.clock.set('+1200000');
    await h.say('!confirmer');
    expect(h.replies().at(-1)).toContain('expiré');
    expect((await h.storage.campaigns.get('tnl-2026'))?.status).toBe('draft');
  });

  it('extends the closing date (later only), answers in English for an English-speaking organiser', async () => {
    const h = createHarness();
    await h.storage.botState.setLanguage(ORGANISER, 'en');
    await h.say(CREATE);
    await h.say('!campaign extend 2026-10-26 18:00');
    expect(h.replies().at(-1)).toContain('Closing of tnl-2026 moved to');
    expect((await h.storage.campaigns.get('tnl-2026'))?.closesAt.toISOString()).toBe(
      '2026-10-26T17:00:00.000Z',
    );
    await h.say('!campaign extend 2026-10-01');
    expect(h.replies().at(-1)).toContain('must be later');
  });

  it('lists and shows campaigns; the help lists the commands', async () => {
    const h = createHarness();
    await h.say('!campagne');
    expect(h.replies()).toEqual([expect.stringContaining('Aucune campagne')]);
    await h.say(CREATE);
    h.replies();
    await h.say('!campagne liste');
    expect(h.replies()[0]).toMatch(/tnl-2026 — Label TNL 2026 \(brouillon/);
    await h.say('!campagne voir tnl-2026');
    expect(h.replies()[0]).toContain('Niveaux : badge < bronze < argent < or');
    await h.say('!aide');
    const help = h.replies()[0] ?? '';
    for (const cmd of [
      '!campagne créer',
      '!statut',
      '!relancer',
      '!annonce',
      '!exporter',
      '!publier',
      '!confirmer',
    ])
      expect(help).toContain(cmd);
    await h.say('!language en');
    expect(h.replies()).toEqual(['Language saved: English.']);
    await h.say('!campagne');
    expect(h.replies()[0]).toContain('Levels: badge < bronze < argent < or');
    await h.say('!langue xx');
    expect(h.replies()[0]).toContain('Unknown language: xx');
    await h.say('!langue fr');
    h.replies();
    await h.say('!voter 3');
    expect(h.replies()).toEqual([expect.stringContaining('Commande inconnue : !voter')]);
  });

  it('closes early after confirmation: drafts frozen and told, submitted dossiers to review, jury synced', async () => {
    const h = createHarness({ now: '2026-09-20T08:00:00Z' });
    await h.say(CREATE);
    await h.say('!campagne ouvrir');
    await h.say('!confirmer');
    const draft = await addCandidacy(h, 'tnl-2026', { name: 'Brest' });
    const submitted = await addCandidacy(h, 'tnl-2026', { name: 'Rennes', status: 'submitted' });
    h.replies();
    await h.say('!campagne clore');
    expect(h.replies()[0]).toContain('irréversible');
    await h.say('!confirmer');
    expect(h.replies()).toContain('Campagne tnl-2026 close : 1 brouillon figé, 1 dossier transmis au jury.');
    const stored = await h.storage.campaigns.get('tnl-2026');
    expect(stored?.status).toBe('closed');
    expect(stored?.closesAt.getTime()).toBeLessThanOrEqual(h.clock.now().getTime());
    expect((await h.storage.candidacies.get(submitted.id))?.status).toBe('under_review');
    expect((await h.storage.candidacies.get(draft.id))?.status).toBe('draft');
    expect(h.messenger.last(draft.roomId as string).message.plain).toContain("n'a pas été déposé");
    expect(h.messenger.last(submitted.roomId as string).message.plain).toContain('transmis au jury');
    expect(h.synced.length).toBeGreaterThan(0);
    // Every message the bot sent carried an idempotency key and no mentions.
    expect(h.messenger.sent.every((s) => s.key && s.message.mentions?.length === 0)).toBe(true);
    expect(h.messenger.in(ORG_ROOM).length).toBeGreaterThan(0);
  });

  it('the status dashboard: counts with a bar chart, progress, jury progress and what is late', async () => {
    const h = createHarness({ now: '2026-09-20T08:00:00Z' });
    await h.say(CREATE);
    await h.say('!campagne ouvrir');
    await h.say('!confirmer');
    await addCandidacy(h, 'tnl-2026', { name: 'Brest' });
    await addCandidacy(h, 'tnl-2026', { name: 'Quimper' });
    const done = await addCandidacy(h, 'tnl-2026', {
      name: 'Plouguerneau',
      answers: FULL_ANSWERS,
      status: 'submitted',
    });
    await recordVote(h.storage, { candidacyId: done.id, juror: JURORS[0] as string, level: 'or' });
    await recordVote(h.storage, { candidacyId: done.id, juror: JURORS[1] as string, level: 'argent' });
    h.clock.set('2026-10-16T08:00:00Z');
    h.replies();
    await h.say('!statut');
    const [board] = h.replies();
    expect(board).toContain('Tableau de bord — Label TNL 2026');
    expect(board).toMatch(/Brouillons\s+█+░*\s2/);
    expect(board).toMatch(/Déposés\s+█+░*\s1/);
    expect(board).toContain('Plouguerneau — Déposés — 7/7 réponses obligatoires (100 %)');
    expect(board).toContain('Brest — Brouillons — 2/6 réponses obligatoires (33 %)');
    expect(board).toContain('Plouguerneau — votes : 2/3, quorum atteint');
    expect(board).toContain('Brest : 2/6 réponses et la clôture approche');
    expect(board).toContain('Temps restant avant la clôture : 3 jours');
    const html =
      h.messenger.in(ORG_ROOM).find((s) => s.message.plain.startsWith('Tableau de bord'))?.message.html ?? '';
    // The chart is a list (Element numbers the lines of a code block); dates in French.
    expect(html).not.toContain('<pre>');
    expect(html).toContain('<li><strong>Brouillons</strong> <code>████████████████████</code> 2</li>');
    expect(board).toContain('dernière activité 20 sept. 2026, 10:00');
  });
});
