import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblems, loadConfig, parseConfig } from '../../../config/load.ts';
import { configSchema } from '../../../config/schema.ts';

const MINIMAL = 'homeserver:\n  url: http://127.0.0.1:8008\n  accessToken: syt_secret\n';

function problemsOf(text: string, env: Record<string, string> = {}) {
  const result = parseConfig(text, env);
  if (result.ok) throw new Error('expected the configuration to be refused');
  return result.problems;
}

describe('configuration', () => {
  it('accepts a minimal file and fills every default', () => {
    const result = parseConfig(MINIMAL, {});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.timeZone).toBe('Europe/Paris');
    expect(result.config.bot.defaultLanguage).toBe('fr');
    expect(result.config.database.name).toBe('tnl');
    expect(result.config.rooms.jury).toBeNull();
    expect(result.config.homeserver.encryption).toBe(false);
  });

  it('reports every problem at once with its path, line and expectation', () => {
    const text = [
      'homeserver:',
      '  url: ftp://example.org',
      'rooms:',
      '  jury: general',
      'people:',
      '  jurors: ["@ok:example.org", "bob"]',
      'timeZone: Europe/Atlantis',
      'loging: {}',
      'database:',
      '  serverSelectionTimeoutMs: "soon"',
    ].join('\n');
    const problems = problemsOf(text);
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
    expect(byPath['homeserver.url']).toMatchObject({
      line: 2,
      message: expect.stringContaining('http(s) URL'),
    });
    expect(byPath['homeserver.accessToken']?.message).toMatch(/^missing: .*access token/);
    expect(byPath['rooms.jury']).toMatchObject({ line: 4, message: expect.stringContaining('room id') });
    expect(byPath['people.jurors.1']).toMatchObject({ line: 6, message: expect.stringContaining('user id') });
    expect(byPath['timeZone']).toMatchObject({ line: 7, message: expect.stringContaining('time zone') });
    expect(byPath['']).toMatchObject({ line: 8, message: expect.stringContaining('unknown key "loging"') });
    expect(byPath['database.serverSelectionTimeoutMs']?.message).toContain('expected number');
    expect(problems).toHaveLength(7);
  });

  it('pauses the extras of a slow homeserver after 1 s by default, and refuses thresholds that would flap', () => {
    const result = parseConfig(MINIMAL, {});
    expect(result.ok && result.config.bot.slowHomeserver).toEqual({
      pauseExtrasAboveMs: 1000,
      resumeBelowMs: 300,
    });
    const problems = problemsOf(
      `${MINIMAL}bot:\n  slowHomeserver:\n    pauseExtrasAboveMs: 500\n    resumeBelowMs: 800\n`,
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('bot.slowHomeserver.resumeBelowMs');
    expect(problems[0]?.message).toContain('below pauseExtrasAboveMs');
  });

  it('reports a missing homeserver url', () => {
    const problems = problemsOf('homeserver:\n  accessToken: x\n');
    expect(problems.map((p) => p.path)).toEqual(['homeserver.url']);
  });

  it('refuses a configuration that asks for end-to-end encryption', () => {
    const problems = problemsOf(`${MINIMAL}  encryption: true\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('homeserver.encryption');
    expect(problems[0]?.message).toContain('not supported');
  });

  it('reports YAML syntax errors with their line', () => {
    const problems = problemsOf('homeserver:\n  url: [unclosed\n');
    expect(problems[0]?.message).toMatch(/^YAML syntax/);
    expect(problems[0]?.line).toBeGreaterThan(0);
  });

  it('takes secrets from environment variables and *_FILE paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tnl-config-'));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'syt_from_file\n');
    const fromFile = parseConfig('homeserver:\n  url: http://h:8008\n', {
      TNL_HOMESERVER_ACCESS_TOKEN_FILE: tokenFile,
      TNL_DATABASE_URI: 'mongodb://db:27017/',
    });
    expect(fromFile.ok && fromFile.config.homeserver.accessToken).toBe('syt_from_file');
    expect(fromFile.ok && fromFile.config.database.uri).toBe('mongodb://db:27017/');
    const fromEnv = parseConfig(MINIMAL, { TNL_HOMESERVER_ACCESS_TOKEN: 'syt_env' });
    expect(fromEnv.ok && fromEnv.config.homeserver.accessToken).toBe('syt_env');
    const missingFile = problemsOf('homeserver:\n  url: http://h:8008\n', {
      TNL_HOMESERVER_ACCESS_TOKEN_FILE: join(dir, 'absent'),
    });
    expect(missingFile[0]?.message).toContain('cannot read TNL_HOMESERVER_ACCESS_TOKEN_FILE');
  });

  it('never prints secret values in problems', () => {
    const problems = problemsOf('homeserver:\n  url: nope\n  accessToken: syt_very_secret\n');
    expect(formatProblems('f.yaml', problems)).not.toContain('syt_very_secret');
  });

  it('loadConfig throws a ConfigError naming the file', () => {
    expect(() => loadConfig('/nonexistent/config.yaml', {})).toThrow(ConfigError);
    expect(() => loadConfig('/nonexistent/config.yaml', {})).toThrow(/\/nonexistent\/config.yaml/);
  });
});

describe('config/example.yaml', () => {
  const examplePath = new URL('../../../config/example.yaml', import.meta.url);
  const text = readFileSync(examplePath, 'utf8');

  it('is a valid configuration', () => {
    expect(parseConfig(text, {}).ok).toBe(true);
  });

  it('lists every key of the schema with its default value', () => {
    const example = parse(text) as Record<string, unknown>;
    const defaults = configSchema.parse({
      ...example,
      homeserver: { url: 'http://127.0.0.1:8008', accessToken: 'change-me' },
    });
    const leaves = (value: unknown, prefix: string): Record<string, unknown> => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return { [prefix]: value };
      return Object.assign(
        {},
        ...Object.entries(value).map(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k)),
      ) as Record<string, unknown>;
    };
    // Defaults computed from an empty file must equal the values written in the example.
    const fromEmpty = configSchema.parse({
      homeserver: { url: 'http://127.0.0.1:8008', accessToken: 'change-me' },
    });
    expect(leaves(example, '')).toEqual(leaves(fromEmpty, ''));
    expect(leaves(defaults, '')).toEqual(leaves(fromEmpty, ''));
  });
});
