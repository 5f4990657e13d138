// A list answer built by several people, in the exports: each entry with its author.
import { describe, expect, it } from 'vitest';
import { auditRows } from '../../../bot/exports/audit.ts';
import { answerCell } from '../../../bot/exports/candidacies.ts';
import { loadQuestionnaireById } from '../../../flows/questionnaire.ts';
import type { AuditEntry, Campaign } from '../../../storage/index.ts';

const list = loadQuestionnaireById('badge-2026').byId.get('free_software_used');
const at = new Date('2026-10-01T08:00:00Z');

describe('list authors in the exports', () => {
  it("a CSV cell names each entry's author when several people built the list, and only then", () => {
    if (!list) throw new Error('no list question');
    expect(answerCell(list, ['LibreOffice', 'Firefox'], 'fr', ['@a:x', '@b:x'])).toBe(
      'LibreOffice (@a:x)\nFirefox (@b:x)',
    );
    expect(answerCell(list, ['LibreOffice', 'Firefox'], 'fr', ['@a:x', '@a:x'])).toBe('LibreOffice\nFirefox');
    expect(answerCell(list, ['LibreOffice'], 'fr')).toBe('LibreOffice');
  });

  it('the audit trail adds one row per new entry, credited to whoever typed it', () => {
    const entry: AuditEntry = {
      kind: 'answer',
      candidacyId: 'c1',
      questionId: 'free_software_used',
      action: 'set',
      value: ['LibreOffice', 'Firefox', 'VLC'],
      itemsBy: ['@a:x', '@b:x', '@b:x'],
      previous: { value: ['LibreOffice'], by: '@a:x', at },
      by: '@b:x',
      at,
      eventId: '$done',
      version: 3,
    };
    const rows = auditRows({
      campaign: { id: 'k', history: [] } as unknown as Campaign,
      candidacies: [],
      entries: [entry],
      broadcasts: [],
      decisions: [],
    });
    const entries = rows.filter((r) => r[5] === 'answer_entry').map((r) => [r[4], r[8]]);
    expect(entries).toEqual([
      ['@b:x', 'Firefox'],
      ['@b:x', 'VLC'],
    ]);
    expect(rows.filter((r) => r[5] === 'answer')).toHaveLength(1);
  });
});
