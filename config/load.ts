// Loads the configuration file, overlays secrets from the environment, and validates it.
// On failure it returns every problem at once, each with its path in the file, the line
// where it stands (when it stands in the file) and what was expected.
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { configSchema, SECRET_KEYS, type Config } from './schema.ts';

export interface ConfigProblem {
  /** Dotted path in the file, e.g. `rooms.jury` (empty for the whole file). */
  path: string;
  /** 1-based line in the file, when the key is present there. */
  line?: number;
  message: string;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] };

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(file: string, problems: ConfigProblem[]) {
    super(formatProblems(file, problems));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

/** A secret from `NAME` or from the file named by `NAME_FILE` (Docker/Kubernetes secrets). */
function secretFromEnv(env: Env, name: string, problems: ConfigProblem[], path: string): string | undefined {
  const direct = env[name];
  if (direct !== undefined && direct !== '') return direct;
  const file = env[`${name}_FILE`];
  if (file === undefined || file === '') return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    problems.push({
      path,
      message: `cannot read ${name}_FILE (${file}): ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    });
    return undefined;
  }
}

function setIn(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function lineOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): number | undefined {
  // Walk down to the deepest key that exists, so a missing key points at its parent's line.
  let node: unknown = doc.contents;
  let found: unknown = undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
      if (!pair) break;
      found = pair.key;
      node = pair.value;
    } else if (isSeq(node)) {
      node = node.items[Number(key)];
      if (node === undefined) break;
      found = node;
    } else break;
  }
  const range = (found as { range?: [number, number, number] } | undefined)?.range;
  return range ? lines.linePos(range[0]).line : undefined;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling against config/example.yaml)`;
  }
  const message = issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'invalid_type' && issue.input === undefined) return `missing: ${message}`;
  return message;
}

/** Parses and validates configuration text. Never throws on bad input. */
export function parseConfig(text: string, env: Env = process.env): ConfigResult {
  const problems: ConfigProblem[] = [];
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  for (const error of doc.errors) {
    const line = error.linePos?.[0].line ?? lines.linePos(error.pos[0]).line;
    problems.push({
      path: '',
      ...(line ? { line } : {}),
      message: `YAML syntax: ${error.message.split('\n')[0]}`,
    });
  }
  if (problems.length > 0) return { ok: false, problems };

  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      ok: false,
      problems: [{ path: '', message: 'expected a mapping of keys at the top of the file' }],
    };
  }
  const input = raw as Record<string, unknown>;
  for (const secret of SECRET_KEYS) {
    const value = secretFromEnv(env, secret.env, problems, secret.path.join('.'));
    if (value !== undefined) setIn(input, secret.path, value);
  }

  // reportInput lets us tell a missing key from a wrong value; inputs are never printed.
  const parsed = configSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const at = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
      const line = lineOf(doc, lines, at);
      problems.push({
        path: issue.path.map(String).join('.'),
        ...(line ? { line } : {}),
        message: describeIssue(issue),
      });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: parsed.data as Config };
}

export function loadConfig(file: string, env: Env = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [
      {
        path: '',
        message: `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      },
    ]);
  }
  const result = parseConfig(text, env);
  if (!result.ok) throw new ConfigError(file, result.problems);
  return result.config;
}

export function formatProblems(file: string, problems: ConfigProblem[]): string {
  const header = `Invalid configuration in ${file} (${problems.length} problem${problems.length > 1 ? 's' : ''}):`;
  const rows = problems.map((p) => {
    const where = [p.path || '(file)', p.line ? `line ${p.line}` : ''].filter(Boolean).join(', ');
    return `  - ${where}: ${p.message}`;
  });
  return [header, ...rows].join('\n');
}
