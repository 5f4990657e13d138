// A minimal client-server API call (fetch, keep-alive) and fast account creation for
// benchmarks: one admin is registered with the shared secret, the others are created
// through Synapse's admin API without a password (no bcrypt on the homeserver's CPU).
import { Person, registerUser, uniqueName, type RegisteredUser } from '../../test/e2e/people.ts';

export async function matrixCall(
  token: string,
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const base = (process.env.TNL_HOMESERVER_URL ?? '').replace(/\/+$/, '');
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path.split('?')[0]} -> HTTP ${response.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

let admin: Promise<RegisteredUser> | undefined;

/** Creates `count` accounts (logged in, with an access token each). */
export async function createAccounts(prefix: string, count: number): Promise<RegisteredUser[]> {
  admin ??= registerUser('bench-admin', { admin: true });
  const { accessToken } = await admin;
  const server = (await admin).userId.split(':').slice(1).join(':');
  const make = async (): Promise<RegisteredUser> => {
    const userId = `@${uniqueName(prefix)}:${server}`;
    const path = encodeURIComponent(userId);
    await matrixCall(accessToken, 'PUT', `/_synapse/admin/v2/users/${path}`, { displayname: prefix });
    const login = await matrixCall(accessToken, 'POST', `/_synapse/admin/v1/users/${path}/login`, {});
    return { userId, accessToken: String(login.access_token), password: '', deviceId: '' };
  };
  const out: RegisteredUser[] = [];
  // A few at a time: enough to be quick, not so many that Synapse's SQLite queues them.
  for (let i = 0; i < count; i += 10) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(10, count - i) }, make))));
  }
  return out;
}

/** People with their /sync loop running. */
export async function createPeople(prefix: string, count: number): Promise<Person[]> {
  const accounts = await createAccounts(prefix, count);
  const people = accounts.map((account) => new Person(account));
  for (let i = 0; i < people.length; i += 20)
    await Promise.all(people.slice(i, i + 20).map((p) => p.start()));
  return people;
}
