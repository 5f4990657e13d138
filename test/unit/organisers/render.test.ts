import { describe, expect, it } from 'vitest';
import { splitMessage } from '../../../bot/matrix-messenger.ts';
import { renderDashboard, renderPalmares } from '../../../bot/render/organisers.ts';
import { computeDashboard } from '../../../flows/campaign/dashboard.ts';
import { parseLevels } from '../../../flows/campaign/model.ts';
import { palmares } from '../../../flows/campaign/results.ts';
import { CLOSES, DAY, campaign } from './fixtures.ts';

const now = new Date(CLOSES.getTime() - 3 * DAY);

describe('organisers rendering', () => {
  it('a dashboard of 400 candidacies splits under the event size limit and keeps its HTML', () => {
    const candidacies = Array.from({ length: 400 }, (_, i) => ({
      id: `c${i}`,
      name: `Communauté de communes numéro ${i} <du Pays>`,
      stage: (i % 3 === 0 ? 'submitted' : 'draft') as 'submitted' | 'draft',
      answered: i % 40,
      required: 40,
      lastActivityAt: now,
    }));
    const data = computeDashboard({ campaign: campaign(), now, candidacies, jury: [], failedDeliveries: [] });
    const message = renderDashboard(data, 'fr');
    const parts = splitMessage({ ...message, mentions: [] });
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(Buffer.byteLength(part.plain) + Buffer.byteLength(part.html)).toBeLessThan(60_000);
      expect(part.html).toMatch(/<(ul|pre|h4|p)>/);
    }
    const all = parts.map((p) => p.plain).join('\n');
    for (const c of candidacies) expect(all).toContain(c.name);
    expect(parts.map((p) => p.html).join('')).toContain('&lt;du Pays&gt;');
  });

  it('the palmarès lists levels from the highest, with escaped names', () => {
    const c = campaign({ levels: parseLevels('badge,bronze,argent,or') ?? [] });
    const entry = (collectivity: string, level: string) => ({
      candidacyId: collectivity,
      collectivity,
      kind: 'Commune',
      officialCode: null,
      population: null,
      level,
      mentions: [],
      decidedAt: now,
    });
    const message = renderPalmares(
      c,
      palmares(c, [entry('Arles', 'bronze'), entry('<b>Caen</b>', 'or')]),
      'en',
    );
    expect(message.plain.indexOf('\n\nor\n\n')).toBeGreaterThan(0);
    expect(message.plain.indexOf('\n\nor\n\n')).toBeLessThan(message.plain.indexOf('\n\nbronze\n\n'));
    expect(message.plain).toContain('2 labelled collectivités.');
    expect(message.html).toContain('&lt;b&gt;Caen&lt;/b&gt; (Commune)');
  });
});
