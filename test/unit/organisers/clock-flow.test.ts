import { describe, expect, it } from 'vitest';
import { type Harness, JURORS, ORG_ROOM, PUBLIC_ROOM, addCandidacy, createHarness } from './harness.ts';
import { recordDecision } from '../../doubles/jury-records.ts';

const CLOSES = '2026-10-19T16:00:00Z'; // 18:00 in Paris

async function openCampaign(h: Harness): Promise<void> {
  await h.say(
    '!campagne créer 2026 "TNL 2026" questionnaire=orga-fixture ouverture=2026-09-19 clôture=2026-10-19 18:00 jury=2026-11-30 niveaux=badge,bronze,argent,or',
  );
  await h.say('!campagne ouvrir');
  await h.say('!confirmer');
  h.replies();
}

const at = (iso: string, deltaMs: number) => new Date(Date.parse(iso) + deltaMs).toISOString();
const DAY = 86_400_000;

describe('the clock', () => {
  it('sends the 7-day and 2-day reminders once each, only to unfinished candidacies', async () => {
    const h = createHarness({ now: '2026-09-20T08:00:00Z' });
    await openCampaign(h);
    const draft = await addCandidacy(h, 'tnl-2026', { name: 'Brest' });
    const submitted = await addCandidacy(h, 'tnl-2026', { name: 'Rennes', status: 'submitted' });
    h.clock.set(at(CLOSES, -7 * DAY + 60_000));
    await h.idle();
    expect(h.messenger.in(draft.roomId as string).map((s) => s.message.plain)).toEqual([
      expect.stringContaining('(dans 7 jours)'),
    ]);
    // Clock passes again: nothing new.
    h.clock.set('+3600000');
    await h.idle();
    await h.organisers.service.reconcile();
    expect(h.messenger.in(draft.roomId as string)).toHaveLength(1);
    // A candidacy started after the 7-day reminder time gets the 2-day one only.
    const late = await addCandidacy(h, 'tnl-2026', { name: 'Quimper' });
    h.clock.set(at(CLOSES, -2 * DAY + 60_000));
    await h.idle();
    expect(h.messenger.in(draft.roomId as string)).toHaveLength(2);
    expect(h.messenger.last(draft.roomId as string).message.plain).toContain('(dans 48 heures)');
    expect(h.messenger.in(late.roomId as string)).toHaveLength(1);
    expect(h.messenger.in(submitted.roomId as string)).toHaveLength(0);
    expect(h.messenger.in(ORG_ROOM).at(-1)?.message.plain).toContain('relance');
  });

  it('closes at the closing time: drafts frozen and told, submitted dossiers to review, organisers told', async () => {
    const h = createHarness({ now: '2026-09-20T08:00:00Z' });
    await openCampaign(h);
    const draft = await addCandidacy(h, 'tnl-2026', { name: 'Brest' });
    const submitted = await addCandidacy(h, 'tnl-2026', { name: 'Rennes', status: 'submitted' });
    h.clock.set(at(CLOSES, -60_000));
    await h.idle();
    expect((await h.storage.campaigns.get('tnl-2026'))?.status).toBe('open');
    h.clock.set(at(CLOSES, 1000));
    await h.idle();
    expect((await h.storage.campaigns.get('tnl-2026'))?.status).toBe('closed');
    expect((await h.storage.candidacies.get(submitted.id))?.status).toBe('under_review');
    expect(h.messenger.last(draft.roomId as string).message.plain).toContain('figé');
    expect(h.messenger.last(submitted.roomId as string).message.plain).toContain('transmis au jury');
    expect(h.messenger.last(ORG_ROOM).message.plain).toContain(
      'Clôture automatique de tnl-2026 : 1 brouillon figé, 1 dossier',
    );
    expect(h.synced.length).toBeGreaterThan(0);
    const audit = await h.storage.candidacies.listAudit(submitted.id);
    expect(audit.at(-1)).toMatchObject({ kind: 'status', to: 'under_review', by: 'system:clock' });
  });

  it('catches up a closing that happened while the bot was down', async () => {
    let h = createHarness({ now: '2026-09-20T08:00:00Z' });
    await openCampaign(h);
    const draft = await addCandidacy(h, 'tnl-2026', { name: 'Brest' });
    const submitted = await addCandidacy(h, 'tnl-2026', { name: 'Rennes', status: 'submitted' });
    h.organisers.stop();
    // The bot is down from now until three days after the closing (no reminders are replayed late).
    h.clock.set(at(CLOSES, 3 * DAY));
    h = h.restart();
    await h.organisers.service.reconcile();
    expect((await h.storage.campaigns.get('tnl-2026'))?.status).toBe('closed');
    expect((await h.storage.candidacies.get(submitted.id))?.status).toBe('under_review');
    expect(h.messenger.in(draft.roomId as string).map((s) => s.message.plain)).toEqual([
      expect.stringContaining('figé'),
    ]);
    // The closing date stays the announced one, not the catch-up time.
    expect((await h.storage.campaigns.get('tnl-2026'))?.closesAt.toISOString()).toBe(
      CLOSES.replace('Z', '.000Z'),
    );
  });

  it('publishes the results at the scheduled time: decisions to their rooms, the palmarès to the public room', async () => {
    const h = createHarness({ now: '2026-09-20T08:00:00Z' });
    await openCampaign(h);
    const gold = await addCandidacy(h, 'tnl-2026', { name: 'Échirolles', status: 'submitted' });
    const bronze = await addCandidacy(h, 'tnl-2026', { name: 'Arles', status: 'submitted', language: 'en' });
    const undecided = await addCandidacy(h, 'tnl-2026', { name: 'Dax', status: 'submitted' });
    const draft = await addCandidacy(h, 'tnl-2026', { name: 'Brest' });
    h.clock.set(at(CLOSES, DAY));
    await h.idle();
    await recordDecision(h.storage, {
      candidacyId: gold.id,
      campaignId: 'tnl-2026',
      level: 'or',
      mentions: ['Coup de cœur'],
      message: 'Bravo <i>!</i>',
      by: JURORS[0] as string,
    });
    await recordDecision(h.storage, {
      candidacyId: bronze.id,
      campaignId: 'tnl-2026',
      level: 'bronze',
      message: 'Well done.',
      by: JURORS[0] as string,
    });
    h.replies();
    await h.say('!publier 2026-12-03 18:00');
    const ask = h.replies().join('\n');
    expect(ask).toContain('2 décisions à ce jour');
    expect(ask).toContain("1 dossier n'a pas encore de décision");
    await h.say('!confirmer');
    expect(h.replies().at(-1)).toContain(
      'Résultats de tnl-2026 programmés pour le jeudi 3 décembre 2026 à 18:00',
    );
    expect(
      h.messenger.in(gold.roomId as string).filter((s) => s.message.plain.includes('Résultats')),
    ).toEqual([]);

    h.clock.set('2026-12-03T17:00:01Z');
    await h.idle();
    const goldText = h.messenger.last(gold.roomId as string).message.plain;
    expect(goldText).toContain('Le jury attribue à Échirolles le niveau : or.');
    expect(goldText).toContain('Coup de cœur');
    expect(h.messenger.in(gold.roomId as string).at(-1)?.message.html).toContain(
      'Bravo &lt;i&gt;!&lt;/i&gt;',
    );
    expect(h.messenger.last(bronze.roomId as string).message.plain).toContain(
      'The jury awards Arles the level: bronze.',
    );
    expect(h.messenger.last(undecided.roomId as string).message.plain).not.toContain('Résultats');
    expect(h.messenger.last(draft.roomId as string).message.plain).not.toContain('Résultats');
    const palmares = h.messenger.last(PUBLIC_ROOM).message.plain;
    expect(palmares.indexOf('Échirolles (Commune)')).toBeGreaterThan(-1);
    expect(palmares.indexOf('or')).toBeLessThan(palmares.indexOf('bronze'));
    expect(palmares).not.toContain('Dax');
    expect((await h.storage.jury.getDecision(gold.id))?.publishedAt).not.toBeNull();
    expect((await h.storage.campaigns.get('tnl-2026'))?.publishedAt).not.toBeNull();
    // Publishing is done once.
    h.clock.set('+86400000');
    await h.idle();
    expect(h.messenger.in(PUBLIC_ROOM)).toHaveLength(1);
    expect(h.replies().at(-1)).toContain('Remises : 3 sur 3');
    await h.say('!publier');
    expect(h.replies()).toEqual([expect.stringContaining('déjà publiés')]);
  });

  it('creates the config file campaigns on a fresh install, once', async () => {
    const campaigns = [
      {
        year: 2026,
        questionnaire: 'orga-fixture',
        opens: '2026-09-19 09:00',
        closes: '2026-10-19 18:00',
        levels: ['Badge', 'Bronze', 'Argent', 'Or'],
        reminders: ['3d'],
        status: 'open',
      },
    ];
    const h = createHarness({ campaigns });
    await h.organisers.service.reconcile();
    const [stored] = await h.storage.campaigns.list();
    expect(stored).toMatchObject({ id: 'tnl-2026', status: 'open', reminderDaysBefore: [3] });
    expect(stored?.levels.map((l) => l.id)).toEqual(['badge', 'bronze', 'argent', 'or']);
    expect(stored?.history[0]?.by).toBe('config');
    // An organiser's change is kept over the config at the next start.
    await h.say('!campagne prolonger 2026-10-26');
    const again = h.restart();
    await again.organisers.service.reconcile();
    expect(await again.storage.campaigns.list()).toHaveLength(1);
    expect((await again.storage.campaigns.get('tnl-2026'))?.closesAt.toISOString()).toBe(
      '2026-10-26T22:59:00.000Z',
    );
  });
});
