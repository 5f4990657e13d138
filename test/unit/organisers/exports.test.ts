import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { AUDIT_COLUMNS } from '../../../bot/exports/audit.ts';
import { buildExport, type ExportOutcome } from '../../../bot/exports/build.ts';
import { METADATA_COLUMNS } from '../../../bot/exports/candidacies.ts';
import { guardFormula } from '../../../bot/exports/csv.ts';
import { RESULT_COLUMNS } from '../../../bot/exports/results.ts';
import { candidaciesExportSchema, jsonSchemas, resultsExportSchema } from '../../../bot/exports/schemas.ts';
import { FULL_ANSWERS, type Harness, JURORS, QUESTIONNAIRE, addCandidacy, createHarness } from './harness.ts';
import { recordDecision } from '../../doubles/jury-records.ts';

const BOM = '\uFEFF';

async function setUp(): Promise<Harness> {
  const h = createHarness({ now: '2026-09-20T08:00:00Z' });
  await h.say(
    '!campagne créer 2026 "TNL 2026" questionnaire=orga-fixture ouverture=2026-09-19 clôture=2026-10-19 18:00 niveaux=badge,bronze,argent,or',
  );
  await h.say('!campagne ouvrir');
  await h.say('!confirmer');
  h.replies();
  return h;
}

function files(outcome: ExportOutcome) {
  if (!outcome.ok) throw new Error(`export failed: ${outcome.reason}`);
  return outcome.files;
}

const csvRows = (data: Buffer): Record<string, string>[] =>
  parse(data, { bom: true, columns: true, relax_quotes: false, skip_empty_lines: true });

describe('exports', () => {
  it('CSV: UTF-8 with BOM, one row per candidacy, one column per question, every answer readable back', async () => {
    const h = await setUp();
    const full = await addCandidacy(h, 'tnl-2026', {
      name: 'Plouguerneau',
      answers: FULL_ANSWERS,
      status: 'submitted',
    });
    const partial = await addCandidacy(h, 'tnl-2026', {
      name: '=HYPERLINK("x")',
      answers: { name: '=HYPERLINK("x")', kind: 'epci' },
    });
    const [file] = files(
      await buildExport(h.storage, 'tnl-2026', 'csv', {
        lang: 'fr',
        now: h.clock.now(),
        loadQuestionnaire: () => QUESTIONNAIRE,
      }),
    );
    expect(file?.name).toMatch(/^tnl-2026-dossiers-\d{4}-\d{2}-\d{2}\.csv$/);
    const text = file?.data.toString('utf8') ?? '';
    expect(text.startsWith(BOM)).toBe(true);
    expect(text).toContain('\r\n');
    const rows = csvRows(file?.data as Buffer);
    expect(Object.keys(rows[0] ?? {})).toEqual([
      ...METADATA_COLUMNS.map((c) => `candidacy.${c}`),
      ...QUESTIONNAIRE.questions.map((q) => q.id),
    ]);
    expect(rows).toHaveLength(2);
    const row = rows.find((r) => r['candidacy.id'] === full.id) as Record<string, string>;
    expect(row).toMatchObject({
      'candidacy.collectivity_name': 'Plouguerneau',
      'candidacy.stage': 'submitted',
      name: 'Plouguerneau',
      kind: 'Commune',
      population: '6500',
      uses_linux: 'Oui',
      distros: 'Debian\nUbuntu',
      tools: 'LibreOffice\nFirefox',
      strategy: FULL_ANSWERS.strategy,
      comment: '',
      'candidacy.required_answered': '7',
      'candidacy.required_total': '7',
    });
    const other = rows.find((r) => r['candidacy.id'] === partial.id) as Record<string, string>;
    expect(other.name).toBe(`'=HYPERLINK("x")`);
    expect(other.kind).toBe('Intercommunalité');
    expect(other['candidacy.required_answered']).toBe('2');
    // English labels on request.
    const [en] = files(
      await buildExport(h.storage, 'tnl-2026', 'csv', {
        lang: 'en',
        now: h.clock.now(),
        loadQuestionnaire: () => QUESTIONNAIRE,
      }),
    );
    expect(csvRows(en?.data as Buffer).find((r) => r['candidacy.id'] === full.id)?.uses_linux).toBe('Yes');
  });

  it('JSON: matches its schema and keeps the exact values with the questionnaire structure', async () => {
    const h = await setUp();
    const full = await addCandidacy(h, 'tnl-2026', { name: 'Plouguerneau', answers: FULL_ANSWERS });
    const [file] = files(
      await buildExport(h.storage, 'tnl-2026', 'json', {
        lang: 'fr',
        now: h.clock.now(),
        loadQuestionnaire: () => QUESTIONNAIRE,
      }),
    );
    const parsed = candidaciesExportSchema.parse(JSON.parse(file?.data.toString('utf8') ?? ''));
    expect(parsed.questionnaire.sections.map((s) => s.questions.map((q) => q.id))).toEqual(
      QUESTIONNAIRE.sections.map((s) => [...s.questionIds]),
    );
    expect(parsed.questionnaire.sections[1]?.questions[1]?.when).toEqual({
      question: 'uses_linux',
      equals: true,
    });
    const c = parsed.candidacies.find((x) => x.id === full.id);
    for (const [id, value] of Object.entries(FULL_ANSWERS)) expect(c?.answers[id]?.value).toEqual(value);
    expect(c?.progress).toEqual({ answered: 7, required: 7 });
    expect(parsed.campaign.levels.map((l) => l.rank)).toEqual([1, 2, 3, 4]);
  });

  it('dossiers: one HTML file per dossier, candidate text escaped; Markdown on request', async () => {
    const h = await setUp();
    await addCandidacy(h, 'tnl-2026', { name: 'Plouguerneau', answers: FULL_ANSWERS });
    // Creation order decides file numbers: a second later, so the two never tie.
    h.clock.set('+1000');
    await addCandidacy(h, 'tnl-2026', { name: 'Brest' });
    const html = files(
      await buildExport(h.storage, 'tnl-2026', 'dossiers', {
        lang: 'fr',
        now: h.clock.now(),
        loadQuestionnaire: () => QUESTIONNAIRE,
      }),
    );
    expect(html.map((f) => f.name)).toEqual(['dossier-1-plouguerneau.html', 'dossier-2-brest.html']);
    const page = html[0]?.data.toString('utf8') ?? '';
    expect(page).toContain('&lt;script&gt;');
    expect(page).not.toContain('<script>');
    expect(page).toContain('Debian');
    const md = files(
      await buildExport(h.storage, 'tnl-2026', 'dossiers', {
        lang: 'fr',
        now: h.clock.now(),
        dossierFormat: 'md',
        loadQuestionnaire: () => QUESTIONNAIRE,
      }),
    );
    expect(md[0]?.name).toBe('dossier-1-plouguerneau.md');
  });

  it('audit: who did what and when, oldest first, including organisers and the clock', async () => {
    const h = await setUp();
    const c = await addCandidacy(h, 'tnl-2026', { name: 'Brest', status: 'submitted' });
    await h.say('!annonce tous\nBonjour');
    await h.say('!confirmer');
    h.clock.set('2026-10-20T08:00:00Z');
    await h.idle();
    const [file] = files(
      await buildExport(h.storage, 'tnl-2026', 'audit', {
        lang: 'fr',
        now: h.clock.now(),
        loadQuestionnaire: () => QUESTIONNAIRE,
      }),
    );
    const rows = csvRows(file?.data as Buffer);
    expect(Object.keys(rows[0] ?? {})).toEqual([...AUDIT_COLUMNS]);
    const times = rows.map((r) => Date.parse(r.at ?? ''));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(rows).toContainEqual(
      expect.objectContaining({ kind: 'campaign', actor: '@orga:test', action: 'created' }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({
        kind: 'campaign',
        actor: '@orga:test',
        action: expect.stringContaining('status'),
      }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({ kind: 'broadcast', actor: '@orga:test', action: 'announcement' }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({ kind: 'answer', candidacy_id: c.id, subject: 'name', value: 'Brest' }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({
        kind: 'status',
        candidacy_id: c.id,
        actor: 'system:clock',
        value: 'under_review',
        previous_value: 'submitted',
      }),
    );
  });

  it('results: open data only after publication, CSV and JSON agreeing with the documented schema', async () => {
    const h = await setUp();
    const a = await addCandidacy(h, 'tnl-2026', {
      name: 'Échirolles',
      status: 'submitted',
      answers: { ...FULL_ANSWERS, name: 'Échirolles', population: 36000 },
    });
    const b = await addCandidacy(h, 'tnl-2026', { name: 'Arles', status: 'submitted' });
    await addCandidacy(h, 'tnl-2026', { name: 'Dax', status: 'submitted' });
    h.clock.set('2026-10-20T08:00:00Z');
    await h.idle();
    const load = { lang: 'fr', now: h.clock.now(), loadQuestionnaire: () => QUESTIONNAIRE };
    expect(await buildExport(h.storage, 'tnl-2026', 'results', load)).toEqual({
      ok: false,
      reason: 'notPublished',
    });
    await recordDecision(h.storage, {
      candidacyId: a.id,
      campaignId: 'tnl-2026',
      level: 'or',
      mentions: ['Coup de cœur', 'Mutualisation'],
      message: '',
      by: JURORS[0] as string,
    });
    await recordDecision(h.storage, {
      candidacyId: b.id,
      campaignId: 'tnl-2026',
      level: 'bronze',
      message: '',
      by: JURORS[0] as string,
    });
    await h.say('!publier');
    await h.say('!confirmer');
    await h.say('!exporter résultats');
    expect(h.replies().at(-1)).toContain('2 collectivités labellisées');
    const sent = h.messenger.files.map((f) => f.file);
    const csv = sent.find((f) => f.name === 'tnl-2026-results.csv');
    const json = sent.find((f) => f.name === 'tnl-2026-results.json');
    const rows = csvRows(csv?.data as Buffer);
    expect(Object.keys(rows[0] ?? {})).toEqual([...RESULT_COLUMNS]);
    expect(rows.map((r) => [r.collectivity_name, r.level_id, r.level_rank, r.mentions])).toEqual([
      ['Échirolles', 'or', '4', 'Coup de cœur | Mutualisation'],
      ['Arles', 'bronze', '2', ''],
    ]);
    expect(rows[0]?.population).toBe('36000');
    const data = resultsExportSchema.parse(JSON.parse(json?.data.toString('utf8') ?? ''));
    expect(data.results.map((r) => r.collectivity_name)).toEqual(rows.map((r) => r.collectivity_name));
    expect(data.results[0]?.mentions).toEqual(['Coup de cœur', 'Mutualisation']);
    expect(data.publishedAt).toBe(data.results[0]?.published_at);
  });

  it('export files are sent into the organisers room on command', async () => {
    const h = await setUp();
    await addCandidacy(h, 'tnl-2026', { name: 'Brest' });
    await h.say('!export csv');
    expect(h.replies()).toEqual(['Export CSV de tnl-2026 : 1 dossier.']);
    expect(h.messenger.files.at(-1)?.file.mimetype).toBe('text/csv');
    await h.say('!exporter audit');
    expect(h.messenger.files.at(-1)?.file.name).toMatch(/tnl-2026-audit/);
  });

  it('the published JSON Schema files are up to date with the code', () => {
    for (const [name, schema] of Object.entries(jsonSchemas())) {
      const onDisk = JSON.parse(
        readFileSync(join(import.meta.dirname, '../../../docs/schemas', name), 'utf8'),
      );
      expect(onDisk, `${name}: run npm run export -- --schemas docs/schemas`).toEqual(schema);
    }
  });

  it('guards spreadsheet formulas but leaves numbers alone', () => {
    expect(guardFormula('=1+1')).toBe("'=1+1");
    expect(guardFormula('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(guardFormula('-12.5')).toBe('-12.5');
    expect(guardFormula('- item')).toBe("'- item");
    expect(guardFormula('Plain')).toBe('Plain');
  });
});
