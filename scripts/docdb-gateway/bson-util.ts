// BSON helpers: DocumentDB's text form of BSON values, and reading numbers whatever their
// BSON type (documents stay in wrapper types so they round-trip unchanged).
import { BSON, Long, type Document } from 'bson';
import { DECODE_OPTIONS } from './wire.ts';

const PREFIX = 'BSONHEX';

/** A document as the text DocumentDB's bson type accepts: BSONHEX followed by the hex bytes. */
export function toBsonHex(doc: Document): string {
  return PREFIX + Buffer.from(BSON.serialize(doc)).toString('hex');
}

/** Parses the text DocumentDB returns for a bson value. */
export function fromBsonHex(text: string): Document {
  if (!text.startsWith(PREFIX)) {
    throw new Error(`DocumentDB returned bson in an unexpected text form: ${text.slice(0, 40)}`);
  }
  return BSON.deserialize(Buffer.from(text.slice(PREFIX.length), 'hex'), DECODE_OPTIONS);
}

/** A numeric BSON value (number, Int32, Double, Long, Decimal128-free) as a JS number. */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Long) return value.toNumber();
  if (typeof value === 'object' && value !== null && '_bsontype' in value) {
    const bsonType = (value as { _bsontype: string })._bsontype;
    if (bsonType === 'Int32' || bsonType === 'Double') return (value as unknown as { value: number }).value;
  }
  return undefined;
}

/** A cursor id as MongoDB sends it: always an int64. */
export function asLong(value: unknown): Long | undefined {
  if (value instanceof Long) return value;
  if (typeof value === 'bigint') return Long.fromBigInt(value);
  const n = asNumber(value);
  return n === undefined ? undefined : Long.fromNumber(n);
}

export function isDocument(value: unknown): value is Document {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !('_bsontype' in value)
  );
}

export function truthy(value: unknown): boolean {
  const n = asNumber(value);
  if (n !== undefined) return n !== 0;
  return value === true;
}
