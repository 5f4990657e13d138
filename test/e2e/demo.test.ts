// `npm run demo` is part of the suite: the whole campaign is played against the local
// stack by the demo itself (scripts/demo.ts), then its outcome is checked in storage, in
// the transcript and in the exported results. Any failed step fails this test.
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDemoDatabase, runDemo, type DemoOutcome } from '../../scripts/demo.ts';
import { openStorage, type Storage } from '../../storage/storage.ts';
import { stackEnv } from './bot-process.ts';

const THREE_MINUTES = 180_000;

let outcome: DemoOutcome;
let storage: Storage;
const printed: string[] = [];

beforeAll(async () => {
  outcome = await runDemo({ write: (text) => printed.push(text), keepDatabase: true });
  storage = await openStorage({
    uri: stackEnv().mongodbUri,
    dbName: outcome.dbName,
    serverSelectionTimeoutMS: 3000,
  });
}, THREE_MINUTES + 60_000);

afterAll(async () => {
  await storage?.close();
  if (outcome) await dropDemoDatabase(outcome.dbName);
});

function candidacyId(key: string): string {
  const id = outcome.candidacies[key];
  if (!id) throw new Error(`the demo reports no candidacy for ${key}`);
  return id;
}

function room(titleStart: string): string {
  const found = outcome.rooms.find((r) => r.title.startsWith(titleStart));
  if (!found) throw new Error(`no transcript titled "${titleStart}…"`);
  return found.lines.join('\n');
}

describe('npm run demo', () => {
  it('plays the whole campaign in under three minutes', () => {
    expect(outcome.durationMs).toBeLessThan(THREE_MINUTES);
    expect(outcome.steps.length).toBeGreaterThanOrEqual(20);
    expect(printed.join('\n')).toContain('Transcript of every room');
  });

  it('leaves each candidacy in the state its story ends in', async () => {
    const [villeneuve, valDeSevre, portLouis] = await Promise.all(
      ['villeneuve', 'val-de-sevre', 'port-louis'].map((key) => storage.candidacies.get(candidacyId(key))),
    );
    expect(portLouis?.status).toBe('withdrawn');
    for (const decided of [villeneuve, valDeSevre]) expect(decided?.status).toBe('decided');
    // The edit replaced the answer; the paused candidacy was finished the next day.
    expect(valDeSevre?.answers.motivation?.value).toContain('former les secrétaires');
    expect(villeneuve?.answers.next_step?.value).toBeTruthy();
    expect(villeneuve?.submittedAt).toBeTruthy();
  });

  it('records the votes, the recusal, the question and the reply, and publishes the decisions', async () => {
    const villeneuve = candidacyId('villeneuve');
    const valDeSevre = candidacyId('val-de-sevre');
    const valRecord = await storage.jury.get(valDeSevre);
    expect(valRecord?.ballots.map((b) => b.status).sort()).toEqual(['recused', 'voted', 'voted']);
    const villeneuveRecord = await storage.jury.get(villeneuve);
    expect(villeneuveRecord?.ballots.map((b) => b.level).sort()).toEqual(['3', '3', '4']);
    expect(villeneuveRecord?.questions).toMatchObject([{ number: 1, reply: { author: expect.any(String) } }]);

    const decisions = await Promise.all([villeneuve, valDeSevre].map((id) => storage.jury.getDecision(id)));
    expect(decisions.map((d) => d?.level)).toEqual(['3', '2']);
    for (const decision of decisions) expect(decision?.publishedAt).toBeInstanceOf(Date);
    expect(await storage.jury.getDecision(candidacyId('port-louis'))).toBeNull();
  });

  it('prints every room, each with what happened there', () => {
    expect(room('Organisers room')).toMatch(/!relancer[\s\S]*!publier[\s\S]*!exporter/);
    const jury = room('Jury room');
    expect(jury).toContain('│ thread');
    expect(jury).toContain('Val de Sèvre');
    expect(jury).toContain('Six postes sur quarante');
    for (const juror of ['Anne', 'Bruno', 'Chloé']) expect(room(`Ballot room of ${juror}`)).toContain('!');
    expect(room('Ballot room of Chloé')).toContain('!deport');
    expect(room('Candidacy room — Commune de Villeneuve')).toMatch(/!pause[\s\S]*Rappel[\s\S]*!reprendre/);
    expect(room('Candidacy room — Communauté de communes')).toContain('(edits an earlier message)');
    expect(room('Candidacy room — Commune de Port-Louis')).toContain('!retirer');
    for (const title of ['Candidacy room — Commune de Villeneuve', 'Candidacy room — Communauté'])
      expect(room(title)).toContain('Message du jury');
    expect(room('Public announcements room')).toContain('Villeneuve-les-Prés');
    expect(room('Direct chat of Camille')).toContain('invit');
  });

  it('exports the results as CSV and JSON that parse back', () => {
    const csv = outcome.results.find((f) => f.name.endsWith('.csv'));
    const json = outcome.results.find((f) => f.name.endsWith('.json'));
    const rows = parse(csv?.text ?? '', { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => [r.collectivity_name, r.level_id]).sort()).toEqual([
      ['Communauté de communes du Val de Sèvre', '2'],
      ['Commune de Villeneuve-les-Prés', '3'],
    ]);
    const parsed = JSON.parse(json?.text ?? '{}') as { results?: unknown[] };
    expect(parsed.results).toHaveLength(2);
  });
});
