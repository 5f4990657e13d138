import { describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS } from '../../../flows/campaign/broadcast.ts';
import { type Harness, ORG_ROOM, PUBLIC_ROOM, addCandidacy, createHarness } from './harness.ts';

async function openCampaign(h: Harness): Promise<void> {
  await h.say(
    '!campagne créer 2026 "TNL 2026" questionnaire=orga-fixture ouverture=2026-09-19 clôture=2026-10-19 18:00',
  );
  await h.say('!campagne ouvrir');
  await h.say('!confirmer');
  h.replies();
}

describe('broadcast announcements', () => {
  it('reach every candidacy room once, in its language, and the public room in both versions; then a report', async () => {
    const h = createHarness({ now: '2026-09-25T08:00:00Z' });
    await openCampaign(h);
    const fr = await addCandidacy(h, 'tnl-2026', { name: 'Brest' });
    const en = await addCandidacy(h, 'tnl-2026', { name: 'Rennes', language: 'en', status: 'submitted' });
    const withdrawn = await addCandidacy(h, 'tnl-2026', { name: 'Caen', status: 'withdrawn' });
    await h.say('!annonce tous public\nfr: Réunion <b>jeudi</b> à 10 h.\nen: Meeting on Thursday at 10.');
    const ask = h.replies();
    expect(ask.join('\n')).toContain('Diffuser cette annonce à 3 salles ?');
    expect(h.messenger.in(fr.roomId as string)).toEqual([]);
    await h.say('!confirmer');
    expect(h.messenger.in(fr.roomId as string).map((s) => s.message.plain)).toEqual([
      'Annonce des organisateurs\n\nRéunion <b>jeudi</b> à 10 h.',
    ]);
    // User text is escaped in HTML.
    expect(h.messenger.in(fr.roomId as string)[0]?.message.html).toContain('&lt;b&gt;jeudi&lt;/b&gt;');
    expect(h.messenger.last(en.roomId as string).message.plain).toContain('Meeting on Thursday');
    expect(h.messenger.in(withdrawn.roomId as string)).toEqual([]);
    const publicText = h.messenger.last(PUBLIC_ROOM).message.plain;
    expect(publicText).toContain('Réunion');
    expect(publicText).toContain('Meeting on Thursday');
    const replies = h.replies();
    expect(replies[0]).toMatch(/Diffusion announce:\w+ lancée vers 3 salles\./);
    expect(replies.at(-1)).toContain('Remises : 3 sur 3 ; en échec définitif : 0');
    // A later pass of the clock sends nothing again.
    await h.organisers.organiserService.tick();
    expect(h.messenger.in(fr.roomId as string)).toHaveLength(1);
  });

  it('a filtered announcement goes to drafts only, or to a list by name', async () => {
    const h = createHarness({ now: '2026-09-25T08:00:00Z' });
    await openCampaign(h);
    const draft = await addCandidacy(h, 'tnl-2026', { name: 'Brest' });
    const submitted = await addCandidacy(h, 'tnl-2026', { name: 'Rennes', status: 'submitted' });
    await h.say('!annonce brouillons\nPensez à déposer.');
    await h.say('!confirmer');
    expect(h.messenger.in(draft.roomId as string)).toHaveLength(1);
    expect(h.messenger.in(submitted.roomId as string)).toHaveLength(0);
    expect(h.messenger.in(PUBLIC_ROOM)).toHaveLength(0);
    h.replies();
    await h.say('!annonce liste=rennes,Quimper\nBonjour Rennes');
    expect(h.replies().join('\n')).toContain('Introuvable, ignoré : Quimper');
    await h.say('!confirmer');
    expect(h.messenger.last(submitted.roomId as string).message.plain).toContain('Bonjour Rennes');
    expect(h.messenger.in(draft.roomId as string)).toHaveLength(1);
  });

  it('a broadcast to 30 rooms interrupted by a crash resumes after a restart without sending twice', async () => {
    let h = createHarness({ now: '2026-09-25T08:00:00Z' });
    await openCampaign(h);
    const rooms: string[] = [];
    for (let i = 0; i < 30; i++)
      rooms.push((await addCandidacy(h, 'tnl-2026', { name: `Commune ${i}` })).roomId as string);
    await h.say('!annonce tous\nAnnonce importante');
    h.messenger.crashAfter = 12;
    await h.say('!confirmer');
    const before = rooms.filter((r) => h.messenger.in(r).length > 0).length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(30);
    const claimed = (await h.storage.broadcasts.list())[0];
    expect((await h.storage.broadcasts.report(claimed?.id ?? '')).claimed).toBeGreaterThan(0);

    h = h.restart();
    await h.organisers.service.reconcile();
    for (const room of rooms) expect(h.messenger.in(room).map((s) => s.message.plain)).toHaveLength(1);
    const report = await h.storage.broadcasts.report(claimed?.id ?? '');
    expect(report).toMatchObject({ total: 30, sent: 30, failed: 0, claimed: 0, pending: 0 });
  });

  it('failed deliveries are reported with their reason, retried later, and on request', async () => {
    const h = createHarness({ now: '2026-09-25T08:00:00Z' });
    await openCampaign(h);
    const ok = await addCandidacy(h, 'tnl-2026', { name: 'Brest' });
    const kicked = await addCandidacy(h, 'tnl-2026', { name: 'Lorient' });
    h.messenger.failing.set(kicked.roomId as string, 'bot not in room');
    await h.say('!annonce tous\nBonjour');
    await h.say('!confirmer');
    const report = h.replies().at(-1) ?? '';
    expect(report).toContain('Remises : 1 sur 2');
    expect(report).toContain("en attente d'un nouvel essai : 1");
    expect(report).toContain(`Lorient (${kicked.roomId}) : M_FORBIDDEN: bot not in room (1 essai)`);
    expect(h.messenger.in(ok.roomId as string)).toHaveLength(1);

    // Not yet: the retry waits a minute.
    await h.organisers.organiserService.tick();
    expect(h.replies()).toEqual([]);
    h.clock.set('+61000');
    await h.idle();
    expect(h.replies().at(-1)).toContain('(2 essais)');
    for (let i = 2; i < MAX_ATTEMPTS; i++) {
      h.clock.set('+3600000');
      await h.idle();
    }
    expect(h.replies().at(-1)).toContain('en échec définitif : 1');
    h.clock.set('+86400000');
    await h.idle();
    expect(h.replies()).toEqual([]);

    h.messenger.failing.clear();
    await h.say('!statut');
    expect(h.replies()[0]).toMatch(/Diffusion announce:\w+ : 1 envoi en échec/);
    await h.say('!réessayer');
    const replies = h.replies();
    expect(replies[0]).toContain("Nouvel essai de l'envoi en échec");
    expect(replies.at(-1)).toContain('Remises : 2 sur 2');
    expect(h.messenger.in(kicked.roomId as string)).toHaveLength(1);
    expect(h.messenger.in(ok.roomId as string)).toHaveLength(1);
    await h.say('!diffusions');
    expect(h.replies()[0]).toMatch(/announce:\w+ — annonce, .* par @orga:test : remises 2\/2, en échec : 0/);
  });

  it('a manual reminder goes only to unfinished candidacies and says what is missing', async () => {
    const h = createHarness({ now: '2026-09-25T08:00:00Z' });
    await openCampaign(h);
    const draft = await addCandidacy(h, 'tnl-2026', {
      name: 'Brest',
      answers: { name: 'Brest', kind: 'commune', uses_linux: false },
    });
    const english = await addCandidacy(h, 'tnl-2026', { name: 'Vannes', language: 'en' });
    const submitted = await addCandidacy(h, 'tnl-2026', { name: 'Rennes', status: 'submitted' });
    await h.say('!relancer');
    expect(h.replies().join('\n')).toContain('Relancer 2 candidatures inachevées');
    await h.say('!confirmer');
    const text = h.messenger.last(draft.roomId as string).message.plain;
    expect(text).toContain('Rappel');
    expect(text).toContain('3 questions obligatoires sans réponse');
    expect(text).toContain('3. Population ?');
    expect(text).not.toContain('Distributions');
    expect(text).not.toContain('commentaire');
    expect(h.messenger.last(english.roomId as string).message.plain).toContain(
      'required questions have no answer yet',
    );
    expect(h.messenger.in(submitted.roomId as string)).toHaveLength(0);
    expect(h.messenger.in(ORG_ROOM).at(-1)?.message.plain).toContain('Rapport de diffusion');
  });
});
