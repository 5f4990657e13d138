// `definitif=oui` when creating a campaign: candidates may then make a submitted dossier
// final before closing (the jury votes on it at once); off unless said, refused when unclear.
import { describe, expect, it } from 'vitest';
import { earlyFinalAllowed } from '../../../flows/jury/phase.ts';
import { createHarness } from './harness.ts';

const CREATE =
  '!campagne créer 2026 "TNL 2026" questionnaire=orga-fixture ouverture=2026-09-19 clôture=2026-10-19 18:00';

describe('the early-final campaign setting', () => {
  it('is stored when asked for, and off by default', async () => {
    const h = createHarness();
    await h.say(`${CREATE} id=tnl-early definitif=oui`);
    await h.say(`${CREATE} id=tnl-plain`);
    const early = await h.storage.campaigns.require('tnl-early');
    const plain = await h.storage.campaigns.require('tnl-plain');
    expect(earlyFinalAllowed(early.settings)).toBe(true);
    expect(earlyFinalAllowed(plain.settings)).toBe(false);
  });

  it('refuses a value that is neither yes nor no, and creates nothing', async () => {
    const h = createHarness();
    h.replies();
    await h.say(`${CREATE} id=tnl-what definitif=peut-être`);
    expect(h.replies().join('\n')).toContain('Option definitif invalide : « peut-être » (oui ou non).');
    expect(await h.storage.campaigns.get('tnl-what')).toBeNull();
  });
});
