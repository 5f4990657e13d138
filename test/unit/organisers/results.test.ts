import { describe, expect, it } from 'vitest';
import { parseLevels } from '../../../flows/campaign/model.ts';
import { type DecisionForResults, palmares, resultRecords } from '../../../flows/campaign/results.ts';
import { T0, campaign } from './fixtures.ts';

const d = (collectivity: string, level: string, mentions: string[] = []): DecisionForResults => ({
  candidacyId: collectivity.toLowerCase(),
  collectivity,
  kind: 'commune',
  officialCode: null,
  population: 1000,
  level,
  mentions,
  decidedAt: T0,
});

describe('results', () => {
  const c = campaign({ levels: parseLevels('badge,bronze,argent,or')! });
  const decisions = [
    d('Échirolles', 'or', ['Coup de cœur']),
    d('Arles', 'bronze'),
    d('Caen', 'or'),
    d('Dax', 'zinc'),
  ];

  it('groups the palmarès by level, highest first, names in French order', () => {
    const p = palmares(c, decisions);
    expect(p.groups.map((g) => [g.levelId, g.rank, g.entries.map((e) => e.collectivity)])).toEqual([
      ['or', 4, ['Caen', 'Échirolles']],
      ['bronze', 2, ['Arles']],
    ]);
    expect(p.mentions).toEqual([{ mention: 'Coup de cœur', collectivities: ['Échirolles'] }]);
    expect(p.unknownLevels.map((e) => e.collectivity)).toEqual(['Dax']);
  });

  it('makes one open-data record per awarded collectivité with rank and labels', () => {
    const records = resultRecords(c, decisions, new Date('2026-12-03T17:00:00Z'));
    expect(records.map((r) => [r.collectivity_name, r.level_id, r.level_rank, r.level_count])).toEqual([
      ['Caen', 'or', 4, 4],
      ['Échirolles', 'or', 4, 4],
      ['Arles', 'bronze', 2, 4],
    ]);
    expect(records[1]).toMatchObject({
      mentions: ['Coup de cœur'],
      published_at: '2026-12-03T17:00:00.000Z',
      level_label_fr: 'or',
    });
  });
});
