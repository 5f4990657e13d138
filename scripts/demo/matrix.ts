// Just enough of the Matrix client-server API for the dev and demo scripts: accounts with
// fixed names (registered with the homeserver's shared secret, or logged into when they
// exist), kept in a JSON file so that they survive runs. Independent of the bot's code.
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class MatrixError extends Error {
  readonly status: number;
  readonly errcode: string | undefined;

  constructor(what: string, status: number, body: unknown) {
    const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const errcode = typeof record.errcode === 'string' ? record.errcode : undefined;
    const error = typeof record.error === 'string' ? record.error : JSON.stringify(body);
    super(`${what}: HTTP ${status} ${errcode ?? ''} ${error}`.replace(/\s+/g, ' '));
    this.name = 'MatrixError';
    this.status = status;
    this.errcode = errcode;
  }
}

export interface Homeserver {
  url: string;
  registrationSecret: string;
}

export async function matrixRequest(
  homeserver: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${homeserver.replace(/\/+$/, '')}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch (error) {
    throw new Error(`the homeserver at ${homeserver} does not answer (${(error as Error).message})`, {
      cause: error,
    });
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { error: text.slice(0, 200) };
  }
  if (!response.ok) throw new MatrixError(`${method} ${path.split('?')[0]}`, response.status, parsed);
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`unexpected homeserver reply: no ${what}`);
  return value;
}

export interface AccountSpec {
  /** Key in the accounts file (e.g. "organiser"). */
  key: string;
  /** Wanted Matrix local part (e.g. "organisatrice"); a suffix is added if it is taken. */
  localpart: string;
  displayName: string;
}

export interface Account {
  key: string;
  userId: string;
  localpart: string;
  displayName: string;
  password: string;
  accessToken: string;
}

type AccountsFile = Record<string, Omit<Account, 'key'>>;

function readAccounts(file: string): AccountsFile {
  if (!existsSync(file)) return {};
  const text = readFileSync(file, 'utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as AccountsFile) : {};
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message}): fix or delete it`, {
      cause: error,
    });
  }
}

function writeAccounts(file: string, accounts: AccountsFile): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(accounts, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Registers a user with the shared secret (Synapse admin API: HMAC-SHA1 over nonce, user, password, "notadmin"). */
export async function registerWithSecret(
  hs: Homeserver,
  localpart: string,
  password: string,
  displayName: string,
): Promise<{ userId: string; accessToken: string }> {
  const path = '/_synapse/admin/v1/register';
  const nonce = text((await matrixRequest(hs.url, 'GET', path)).nonce, 'registration nonce');
  const mac = createHmac('sha1', hs.registrationSecret)
    .update([nonce, localpart, password, 'notadmin'].join('\0'))
    .digest('hex');
  const reply = await matrixRequest(hs.url, 'POST', path, {
    body: { nonce, username: localpart, password, admin: false, mac, displayname: displayName },
  });
  return { userId: text(reply.user_id, 'user_id'), accessToken: text(reply.access_token, 'access_token') };
}

export async function login(
  homeserver: string,
  localpart: string,
  password: string,
): Promise<{ userId: string; accessToken: string }> {
  const reply = await matrixRequest(homeserver, 'POST', '/_matrix/client/v3/login', {
    body: {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: localpart },
      password,
      initial_device_display_name: 'tnl dev script',
    },
  });
  return { userId: text(reply.user_id, 'user_id'), accessToken: text(reply.access_token, 'access_token') };
}

async function tokenWorks(homeserver: string, token: string, userId: string): Promise<boolean> {
  try {
    const reply = await matrixRequest(homeserver, 'GET', '/_matrix/client/v3/account/whoami', { token });
    return reply.user_id === userId;
  } catch (error) {
    if (error instanceof MatrixError && error.status === 401) return false;
    throw error;
  }
}

function newPassword(): string {
  // Readable, no ambiguous characters, 16 characters of base32-like text.
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  return [...randomBytes(16)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/**
 * Makes sure each account exists and has a working access token: the stored token, or a login
 * with the stored password, or a new registration (with a numbered local part when the wanted
 * one is taken by an account whose password we do not have). Saves the file after each change.
 */
export async function ensureAccounts(
  hs: Homeserver,
  file: string,
  specs: AccountSpec[],
  log: (line: string) => void,
): Promise<Account[]> {
  const stored = readAccounts(file);
  const result: Account[] = [];
  for (const spec of specs) {
    const known = stored[spec.key];
    if (known) {
      if (await tokenWorks(hs.url, known.accessToken, known.userId)) {
        result.push({ key: spec.key, ...known });
        log(`${known.userId}: existing account`);
        continue;
      }
      try {
        const session = await login(hs.url, known.localpart, known.password);
        stored[spec.key] = { ...known, accessToken: session.accessToken };
        writeAccounts(file, stored);
        result.push({ key: spec.key, ...known, accessToken: session.accessToken });
        log(`${known.userId}: existing account, logged in again`);
        continue;
      } catch (error) {
        if (!(error instanceof MatrixError) || error.status !== 403) throw error;
        log(`${known.userId}: the stored password no longer works (a new homeserver?); registering again`);
      }
    }
    for (let attempt = 1; ; attempt++) {
      const localpart = attempt === 1 ? spec.localpart : `${spec.localpart}-${attempt}`;
      const password = newPassword();
      try {
        const session = await registerWithSecret(hs, localpart, password, spec.displayName);
        const account: Account = {
          key: spec.key,
          userId: session.userId,
          localpart,
          displayName: spec.displayName,
          password,
          accessToken: session.accessToken,
        };
        const { key: _key, ...entry } = account;
        stored[spec.key] = entry;
        writeAccounts(file, stored);
        result.push(account);
        log(`${session.userId}: registered`);
        break;
      } catch (error) {
        const taken = error instanceof MatrixError && error.errcode === 'M_USER_IN_USE';
        if (!taken || attempt >= 20) throw error;
        log(`@${localpart} exists already and its password is not in ${file}: trying another name`);
      }
    }
  }
  return result;
}
