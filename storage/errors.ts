// Typed storage errors. Callers switch on `code` (stable strings) rather than on
// driver errors, so the bot can answer a person in their language ("your answer was
// not saved, please send it again") without knowing anything about MongoDB.

export type StorageErrorCode =
  | 'storage_unavailable'
  | 'conflict'
  | 'not_found'
  | 'duplicate'
  | 'corrupt_document'
  | 'invalid_input'
  | 'recused';

export abstract class StorageError extends Error {
  abstract readonly code: StorageErrorCode;
}

/**
 * The database could not be reached (network error, server selection timeout,
 * server shutting down). The write may or may not have been applied: writes that
 * carry an event id are safe to repeat, the event id makes the second one a no-op.
 */
export class StorageUnavailableError extends StorageError {
  readonly code = 'storage_unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageUnavailableError';
  }
}

/** The document changed since it was read (optimistic concurrency). */
export class ConflictError extends StorageError {
  readonly code = 'conflict';
  readonly collection: string;
  readonly id: string;
  readonly expectedVersion: number;
  readonly actualVersion: number | null;
  constructor(collection: string, id: string, expectedVersion: number, actualVersion: number | null) {
    super(
      `${collection}/${id}: version ${expectedVersion} expected, found ${actualVersion ?? 'none'} (concurrent update)`,
    );
    this.name = 'ConflictError';
    this.collection = collection;
    this.id = id;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

export class NotFoundError extends StorageError {
  readonly code = 'not_found';
  readonly collection: string;
  readonly id: string;
  constructor(collection: string, id: string) {
    super(`${collection}/${id} does not exist`);
    this.name = 'NotFoundError';
    this.collection = collection;
    this.id = id;
  }
}

/**
 * A unique constraint refused the write. `constraint` is the index name, one of
 * the `CONSTRAINTS` below (or `_id_` for a duplicate id), so callers can say why.
 */
export class DuplicateError extends StorageError {
  readonly code = 'duplicate';
  readonly collection: string;
  readonly constraint: string;
  constructor(collection: string, constraint: string, options?: { cause?: unknown }) {
    super(`${collection}: unique constraint ${constraint} refused the write`, options);
    this.name = 'DuplicateError';
    this.collection = collection;
    this.constraint = constraint;
  }
}

/** A stored document does not match its schema (after migration). */
export class CorruptDocumentError extends StorageError {
  readonly code = 'corrupt_document';
  readonly collection: string;
  readonly id: string;
  readonly details: string;
  constructor(collection: string, id: string, details: string) {
    super(`corrupt document ${collection}/${id}: ${details}`);
    this.name = 'CorruptDocumentError';
    this.collection = collection;
    this.id = id;
    this.details = details;
  }
}

/** The caller passed a value the storage refuses to write. */
export class InvalidInputError extends StorageError {
  readonly code = 'invalid_input';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

/** Names of the unique indexes, as found in `DuplicateError.constraint`. */
export const CONSTRAINTS = {
  id: '_id_',
  activeCandidacy: 'one_active_candidacy_per_collectivite',
  candidacyRoom: 'one_candidacy_per_room',
  candidacyOrigin: 'one_candidacy_per_origin_event',
  openCampaign: 'one_open_campaign',
  dossierNumber: 'one_dossier_per_number_and_campaign',
  dossierThread: 'one_dossier_per_thread',
  delivery: 'one_delivery_per_broadcast_and_room',
} as const;

export function isStorageError(error: unknown): error is StorageError {
  return error instanceof StorageError;
}
