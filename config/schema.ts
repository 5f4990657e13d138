// The bot's configuration: one YAML file validated by this zod schema. Every object is
// strict (an unknown key is an error, usually a typo) and every key has a default
// except the homeserver URL and the bot's access token.
import { z } from 'zod';
import { campaignSeedSchema } from '../flows/campaign/seed.ts';

// Matrix identifiers (client-server spec, "Identifier grammar"): sigil, local part, ':', server name.
const USER_ID = /^@[a-z0-9._=\-/+]+:[A-Za-z0-9.-]+(:\d{1,5})?$/;
const ROOM_ID = /^![^:\s]+:[A-Za-z0-9.-]+(:\d{1,5})?$/;

export const userId = z
  .string({ error: 'expected a Matrix user id such as @alice:example.org' })
  .regex(USER_ID, { error: 'expected a Matrix user id such as @alice:example.org' });

export const roomId = z
  .string({ error: 'expected a Matrix room id such as !abcdef:example.org' })
  .regex(ROOM_ID, { error: 'expected a Matrix room id such as !abcdef:example.org' });

export function isValidTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const timeZone = z
  .string({ error: 'expected an IANA time zone such as Europe/Paris' })
  .refine(isValidTimeZone, { error: 'expected an IANA time zone such as Europe/Paris' });

const language = z.string().regex(/^[a-z]{2,3}$/, { error: 'expected a language code such as fr or en' });

const httpUrl = z.url({
  protocol: /^https?$/,
  error: 'expected an http(s) URL such as https://matrix.example.org',
});

const homeserver = z.strictObject({
  url: httpUrl,
  accessToken: z.string({ error: 'expected the bot account access token (string)' }).min(1),
  encryption: z
    .boolean({ error: 'expected true or false' })
    .default(false)
    .refine((on) => !on, {
      error:
        'end-to-end encryption is not supported by this release; set homeserver.encryption to false ' +
        '(the bot uses unencrypted rooms and moves encrypted chats to a new room)',
    }),
});

const database = z
  .strictObject({
    uri: z
      .string({ error: 'expected a MongoDB connection string' })
      .regex(/^mongodb(\+srv)?:\/\//, { error: 'expected a MongoDB connection string (mongodb://...)' })
      .default('mongodb://127.0.0.1:27017/?directConnection=true'),
    name: z.string().min(1).default('tnl'),
    serverSelectionTimeoutMs: z.int().positive().default(3000),
    writeConcern: z.enum(['auto', 'majority', 'w1']).default('auto'),
  })
  .prefault({});

const bot = z
  .strictObject({
    displayName: z.string().min(1).default('Territoire Numérique Libre'),
    defaultLanguage: language.default('fr'),
    maxMessageLength: z.int().positive().default(20000),
    dataDir: z.string().min(1).default('./data'),
    slowHomeserver: z
      .strictObject({
        pauseExtrasAboveMs: z.int().nonnegative().default(1000),
        resumeBelowMs: z.int().nonnegative().default(300),
      })
      .prefault({})
      .refine((s) => s.pauseExtrasAboveMs === 0 || s.resumeBelowMs < s.pauseExtrasAboveMs, {
        message: 'resumeBelowMs must be below pauseExtrasAboveMs',
        path: ['resumeBelowMs'],
      }),
  })
  .prefault({});

const rooms = z
  .strictObject({
    jury: roomId.nullable().default(null),
    organisers: roomId.nullable().default(null),
    lobby: roomId.nullable().default(null),
    announcements: roomId.nullable().default(null),
  })
  .prefault({});

const people = z
  .strictObject({
    organisers: z.array(userId).default([]),
    jurors: z.array(userId).default([]),
    juryPresident: userId.nullable().default(null),
  })
  .prefault({});

const jury = z
  .strictObject({
    quorum: z
      .number()
      .gt(0)
      .lte(1)
      .default(2 / 3),
    openVotes: z.boolean().default(false),
    spreadAlert: z.number().nonnegative().default(2),
  })
  .prefault({});

const health = z
  .strictObject({
    host: z.string().default('127.0.0.1'),
    port: z.int().min(0).max(65535).default(9464),
  })
  .prefault({});

const logging = z
  .strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    format: z.enum(['json', 'pretty']).default('json'),
  })
  .prefault({});

export const configSchema = z.strictObject({
  homeserver,
  database,
  bot,
  rooms,
  people,
  jury,
  timeZone: timeZone.default('Europe/Paris'),
  /** Campaigns created at start-up on a fresh install (never overwritten afterwards). */
  campaigns: z.array(campaignSeedSchema).default([]),
  health,
  logging,
});

export type Config = z.infer<typeof configSchema>;

/** Keys whose values are secrets: accepted from the environment and never logged. */
export const SECRET_KEYS = [
  { path: ['homeserver', 'accessToken'], env: 'TNL_HOMESERVER_ACCESS_TOKEN' },
  { path: ['database', 'uri'], env: 'TNL_DATABASE_URI' },
] as const;
