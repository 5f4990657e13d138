// No Docker engine runs on the project's machines, so the image and the compose file
// cannot be built here. This checks what can be checked without one: every file they
// name exists, and ports agree between Dockerfile, compose file and bot config.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../config/load.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { build?: string; volumes?: string[]; ports?: string[]; env_file?: string }>;
  secrets: Record<string, { file: string }>;
};
const deployConfig = parseConfig(readFileSync(join(root, 'deploy', 'config.yaml'), 'utf8'), {
  TNL_HOMESERVER_ACCESS_TOKEN: 'test',
});

describe('Dockerfile', () => {
  it('copies only paths that exist', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) =>
      (m[1] ?? '').split(' '),
    );
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) expect(existsSync(join(root, source)), source).toBe(true);
  });

  it('runs on Node 24 as a non-root user, with volumes and a health check', () => {
    expect(dockerfile).toMatch(/^FROM node:24-slim AS deps$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^VOLUME \["\/config", "\/data"\]$/m);
    expect(dockerfile).toMatch(/--omit=dev/);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
  });

  it('exposes and probes the port the bot listens on', () => {
    expect(deployConfig.ok).toBe(true);
    if (!deployConfig.ok) return;
    const port = String(deployConfig.config.health.port);
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${port}$`, 'm'));
    expect(dockerfile).toContain(`127.0.0.1:${port}/healthz`);
    expect(compose.services.bot?.ports).toContain(`127.0.0.1:${port}:${port}`);
  });

  it('starts the entry point that exists', () => {
    const cmd = /^CMD \["node", "([^"]+)"/m.exec(dockerfile)?.[1];
    expect(cmd && existsSync(join(root, cmd))).toBe(true);
  });
});

describe('docker-compose.yml', () => {
  it('names only files that exist', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.build) expect(existsSync(join(root, service.build, 'Dockerfile')), name).toBe(true);
      if (service.env_file) expect(existsSync(join(root, service.env_file)), name).toBe(true);
      for (const volume of service.volumes ?? []) {
        const host = volume.split(':')[0] ?? '';
        if (host.startsWith('./')) expect(existsSync(join(root, host)), volume).toBe(true);
      }
    }
    for (const secret of Object.values(compose.secrets))
      expect(existsSync(join(root, secret.file))).toBe(true);
  });

  it('offers both MongoDB and FerretDB', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['synapse', 'mongodb', 'ferretdb', 'postgres', 'bot']),
    );
  });

  it("points the bot at the compose file's homeserver", () => {
    expect(deployConfig.ok && deployConfig.config.homeserver.url).toBe('http://synapse:8008');
    expect(compose.services.synapse?.ports).toContain('127.0.0.1:8008:8008');
  });
});
