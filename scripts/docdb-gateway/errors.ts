// MongoDB-shaped errors, and the translation of PostgreSQL/DocumentDB errors into them.
import type { Document } from 'bson';

/** MongoDB error codes the gateway produces itself, with their official names. */
export const Codes = {
  InternalError: 1,
  BadValue: 2,
  HostUnreachable: 6,
  FailedToParse: 9,
  TypeMismatch: 14,
  Overflow: 15,
  IllegalOperation: 20,
  LockTimeout: 24,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  MaxTimeMSExpired: 50,
  DollarPrefixedFieldName: 52,
  NotSingleValueField: 54,
  EmptyFieldName: 56,
  DottedFieldName: 57,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  IndexAlreadyExists: 68,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  WriteConflict: 112,
  CommandNotSupported: 115,
  DocumentFailedValidation: 121,
  QueryFeatureNotAllowed: 224,
  NotImplemented: 238,
  OperationNotSupportedInTransaction: 263,
  BSONObjectTooLarge: 10334,
  DuplicateKey: 11000,
  Location40324: 40324,
  OutOfDiskSpace: 14031,
} as const;

const CODE_NAMES = new Map<number, string>(Object.entries(Codes).map(([name, code]) => [code, name]));

export function codeName(code: number): string {
  return CODE_NAMES.get(code) ?? `Location${code}`;
}

/** An error answered to the client as {ok: 0, errmsg, code, codeName}. */
export class MongoCommandError extends Error {
  override readonly name = 'MongoCommandError';
  readonly code: number;
  /** True when the PostgreSQL connection died: the session must be replaced. */
  readonly connectionLost: boolean;

  constructor(code: number, message: string, options: { connectionLost?: boolean } = {}) {
    super(message);
    this.code = code;
    this.connectionLost = options.connectionLost ?? false;
  }

  toReply(): Document {
    return { ok: 0, errmsg: this.message, code: this.code, codeName: codeName(this.code) };
  }
}

export function commandNotSupported(command: string): MongoCommandError {
  return new MongoCommandError(
    Codes.CommandNotFound,
    `command ${command} is not supported by the DocumentDB test gateway`,
  );
}

// DocumentDB raises MongoDB errors as SQLSTATEs of class "M" (M0000, M0001, ...). The ones an
// application can meet through this project's commands, checked against the running extension.
const DOCUMENTDB_SQLSTATES = new Map<string, number>([
  ['M0000', Codes.InternalError],
  ['M0001', Codes.BadValue],
  ['M0003', Codes.FailedToParse],
  ['M0004', Codes.TypeMismatch],
  ['M0005', Codes.Overflow],
  ['M0006', Codes.IllegalOperation],
  ['M0008', Codes.NamespaceNotFound],
  ['M0009', Codes.IndexNotFound],
  ['M000A', Codes.PathNotViable],
  ['M000D', Codes.ConflictingUpdateOperators],
  ['M000E', Codes.CursorNotFound],
  ['M000F', Codes.NamespaceExists],
  ['M000G', Codes.DollarPrefixedFieldName],
  ['M000I', Codes.NotSingleValueField],
  ['M000J', Codes.EmptyFieldName],
  ['M000K', Codes.DottedFieldName],
  ['M000M', Codes.ImmutableField],
  ['M000N', Codes.CannotCreateIndex],
  ['M000O', Codes.IndexAlreadyExists],
  ['M000P', Codes.InvalidOptions],
  ['M000Q', Codes.InvalidNamespace],
  ['M000R', Codes.IndexOptionsConflict],
  ['M000S', Codes.IndexKeySpecsConflict],
  ['M000U', Codes.CommandNotSupported],
  ['M0013', Codes.QueryFeatureNotAllowed],
  ['M0016', Codes.OperationNotSupportedInTransaction],
  ['M001B', Codes.BSONObjectTooLarge],
  ['M001C', Codes.DuplicateKey],
  ['M007U', Codes.Location40324],
  ['M00CO', Codes.DocumentFailedValidation],
  ['M00EX', Codes.MaxTimeMSExpired],
  ['M00EY', Codes.CommandNotFound],
  ['M00F1', Codes.WriteConflict],
]);

// Plain PostgreSQL SQLSTATEs with a MongoDB equivalent.
const POSTGRES_SQLSTATES = new Map<string, number>([
  ['23505', Codes.DuplicateKey],
  ['23P01', Codes.DuplicateKey],
  ['57014', Codes.MaxTimeMSExpired],
  ['40001', Codes.WriteConflict],
  ['40P01', Codes.WriteConflict],
  ['55P03', Codes.LockTimeout],
  ['53100', Codes.OutOfDiskSpace],
  // feature_not_supported: DocumentDB's answer to options it does not implement (collation...).
  ['0A000', Codes.CommandNotSupported],
]);

/** SQLSTATE classes meaning the server connection is gone (admin shutdown, connection failure). */
function isConnectionSqlState(state: string): boolean {
  return state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03';
}

export function mongoCodeForSqlState(state: string): number | undefined {
  return DOCUMENTDB_SQLSTATES.get(state) ?? POSTGRES_SQLSTATES.get(state);
}

/**
 * PostgreSQL packs a SQLSTATE into an int (6 bits per character, first character lowest);
 * DocumentDB puts that int, not the MongoDB code, into writeErrors[].code.
 */
export function unpackSqlState(packed: number): string | undefined {
  if (!Number.isInteger(packed) || packed < 0 || packed >= 2 ** 30) return undefined;
  let state = '';
  for (let i = 0; i < 5; i++) {
    const ch = String.fromCharCode(((packed >> (6 * i)) & 0x3f) + 48);
    if (!/[0-9A-Z]/.test(ch)) return undefined;
    state += ch;
  }
  return state;
}

export function packSqlState(state: string): number {
  let packed = 0;
  for (let i = 0; i < 5; i++) packed += ((state.charCodeAt(i) - 48) & 0x3f) * 2 ** (6 * i);
  return packed;
}

/** Packed SQLSTATEs are at least 2^24 ('0' in the last place is 0, so check the shape instead). */
function looksPacked(code: number): boolean {
  return code >= 1 << 24 || code > 10_000_000;
}

/** A writeErrors[].code as DocumentDB reports it, turned into the MongoDB code. */
export function normaliseWriteErrorCode(code: number): number {
  if (!looksPacked(code)) return code;
  const state = unpackSqlState(code);
  if (state === undefined) return code;
  return mongoCodeForSqlState(state) ?? Codes.InternalError;
}

interface PgLikeError {
  message?: unknown;
  code?: unknown;
}

/** Turns whatever the PostgreSQL client threw into the error the MongoDB client will see. */
export function fromPostgresError(error: unknown): MongoCommandError {
  if (error instanceof MongoCommandError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as PgLikeError;
  const message = typeof e.message === 'string' ? e.message : String(error);
  const state = typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  if (state === undefined) {
    // No SQLSTATE: a socket-level failure (connection refused, reset, terminated).
    return new MongoCommandError(
      Codes.HostUnreachable,
      `PostgreSQL connection lost: ${message} (the gateway reconnects for the next command)`,
      { connectionLost: true },
    );
  }
  if (isConnectionSqlState(state)) {
    return new MongoCommandError(
      Codes.HostUnreachable,
      `PostgreSQL connection lost: ${message} (the gateway reconnects for the next command)`,
      { connectionLost: true },
    );
  }
  const code = mongoCodeForSqlState(state);
  if (code !== undefined) return new MongoCommandError(code, message);
  if (state.startsWith('M')) return new MongoCommandError(Codes.BadValue, `${message} [DocumentDB ${state}]`);
  return new MongoCommandError(Codes.InternalError, `PostgreSQL error ${state}: ${message}`);
}
