// The dossiers as a spreadsheet opens them: CSV and ODS built from a real questionnaire
// whose question ids include `collectivity_name` and `collectivity_kind`, parsed back by
// other code (csv-parse; SheetJS for ODS) with unique headers and every answer.
import { parse } from 'csv-parse/sync';
import * as XLSX from '@e965/xlsx';
import { unzipSync, strFromU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { buildExport, type ExportOutcome } from '../../../bot/exports/build.ts';
import { answerCell } from '../../../bot/exports/candidacies.ts';
import { toOds } from '../../../bot/exports/ods.ts';
import { resolveQuestionnaire } from '../../../flows/questionnaire.ts';
import type { Candidacy } from '../../../storage/index.ts';
import { addCandidacy, createHarness, type Harness } from './harness.ts';

const BADGE = resolveQuestionnaire('badge-2026');

const ANSWERS = {
  collectivity_name: 'Commune de Villeneuve-les-Prés',
  collectivity_kind: 'commune',
  lead_name: 'Camille Martin',
  lead_email: 'camille@example.org',
  motivation: '=SUM(A1:A9) n’est pas une formule\nmais  deux   lignes\td’un texte',
  free_software_used: ['LibreOffice', 'Firefox', '@home'],
  uses_linux_workstations: true,
  linux_share: 15,
  open_data_policy: false,
  next_step: 'Former les agents <b>en 2027</b> & après',
};

async function setUp(): Promise<{ h: Harness; full: Candidacy; empty: Candidacy }> {
  const h = createHarness({ now: '2026-09-20T08:00:00Z' });
  await h.say(
    '!campagne créer 2026 "TNL 2026" questionnaire=badge-2026 ouverture=2026-09-19 clôture=2026-10-19',
  );
  const full = await addCandidacy(h, 'tnl-2026', { name: ANSWERS.collectivity_name, answers: ANSWERS });
  const empty = await addCandidacy(h, 'tnl-2026', { name: 'Brest', answers: {} });
  return { h, full, empty };
}

async function exported(h: Harness, format: 'csv' | 'ods'): Promise<Buffer> {
  const outcome: ExportOutcome = await buildExport(h.storage, 'tnl-2026', format, {
    lang: 'fr',
    now: h.clock.now(),
    loadQuestionnaire: resolveQuestionnaire,
  });
  if (!outcome.ok) throw new Error(`export failed: ${outcome.reason}`);
  expect(outcome.files).toHaveLength(1);
  return outcome.files[0]?.data as Buffer;
}

/** The first sheet as rows of values, as a spreadsheet library reads it. */
function odsRows(data: Buffer): unknown[][] {
  const book = XLSX.read(data, { type: 'buffer' });
  const sheet = book.Sheets[book.SheetNames[0] as string];
  return XLSX.utils.sheet_to_json<unknown[]>(sheet as XLSX.WorkSheet, { header: 1, defval: null, raw: true });
}

describe('spreadsheet exports', () => {
  it('CSV: every header once, metadata apart from the question ids, every answer back', async () => {
    const { h, full, empty } = await setUp();
    const [header, ...rows] = parse(await exported(h, 'csv'), { bom: true }) as string[][];
    expect(new Set(header).size).toBe(header?.length);
    expect(header).toContain('candidacy.collectivity_name');
    expect(header).toContain('collectivity_name');
    const at = (name: string) => (header as string[]).indexOf(name);
    const row = rows.find((r) => r[at('candidacy.id')] === full.id) as string[];
    for (const question of BADGE.questions) {
      const value = (ANSWERS as Record<string, unknown>)[question.id];
      const expected = value === undefined ? '' : String(answerCell(question, value, 'fr'));
      expect(row[at(question.id)], question.id).toBe(expected);
    }
    expect(row[at('motivation')]?.startsWith("'=SUM")).toBe(true);
    expect(rows.find((r) => r[at('candidacy.id')] === empty.id)?.[at('collectivity_name')]).toBe('');
  });

  it('ODS: a spreadsheet library reads the same headers and every answer, typed and exact', async () => {
    const { h, full, empty } = await setUp();
    const data = await exported(h, 'ods');
    const [header, ...rows] = odsRows(data) as [string[], ...unknown[][]];
    const [csvHeader] = parse(await exported(h, 'csv'), { bom: true, to: 1 }) as string[][];
    expect(header).toEqual(csvHeader);
    expect(new Set(header).size).toBe(header.length);
    const at = (name: string) => header.indexOf(name);
    const row = rows.find((r) => r[at('candidacy.id')] === full.id) as unknown[];
    for (const question of BADGE.questions) {
      const value = (ANSWERS as Record<string, unknown>)[question.id];
      const expected = value === undefined ? null : answerCell(question, value, 'fr', undefined, (t) => t);
      expect(row[at(question.id)], question.id).toEqual(expected);
    }
    // Numbers stay numbers; text is exact (no apostrophe: a cell of an ODS file is never a formula).
    expect(row[at('linux_share')]).toBe(15);
    expect(row[at('candidacy.required_total')]).toEqual(expect.any(Number));
    expect(row[at('motivation')]).toBe(ANSWERS.motivation);
    expect(rows.find((r) => r[at('candidacy.id')] === empty.id)?.[at('collectivity_name')]).toBeNull();
    expect(rows).toHaveLength(2);
  });

  it('ODS: a valid OpenDocument package (mimetype first and stored), well-formed despite control characters', () => {
    const data = toOds(
      'Dossiers & co',
      ['a', 'b'],
      [
        ['x\u0001y\u000b', 2.5],
        [null, true],
      ],
    );
    // Local file header of the first entry: "PK\3\4", method 0 (stored), no extra field, "mimetype".
    expect(data.readUInt32LE(0)).toBe(0x04034b50);
    expect(data.readUInt16LE(8)).toBe(0);
    expect(data.readUInt16LE(28)).toBe(0);
    expect(data.subarray(30, 38).toString('latin1')).toBe('mimetype');
    expect(data.subarray(38, 84).toString('latin1')).toBe('application/vnd.oasis.opendocument.spreadsheet');
    const entries = unzipSync(new Uint8Array(data));
    expect(Object.keys(entries)).toEqual(['mimetype', 'META-INF/manifest.xml', 'content.xml', 'styles.xml']);
    expect(strFromU8(entries['content.xml'] as Uint8Array)).toContain('table:name="Dossiers &amp; co"');
    expect(odsRows(data)).toEqual([
      ['a', 'b'],
      ['xy', 2.5],
      [null, true],
    ]);
  });
});
