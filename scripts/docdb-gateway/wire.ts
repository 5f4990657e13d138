// MongoDB wire protocol framing: the legacy OP_QUERY/OP_REPLY pair the driver uses for its
// first handshake, and OP_MSG for everything after it.
import { BSON, type Document } from 'bson';
import { crc32c } from './crc32c.ts';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

/** Largest message we accept or announce (the value MongoDB itself announces). */
export const MAX_MESSAGE_SIZE = 48_000_000;
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;

const HEADER_SIZE = 16;
const FLAG_CHECKSUM_PRESENT = 1 << 0;
export const FLAG_MORE_TO_COME = 1 << 1;
const KNOWN_OP_MSG_FLAGS = FLAG_CHECKSUM_PRESENT | FLAG_MORE_TO_COME | (1 << 16);

// Decoding keeps every BSON type as its own wrapper (Int32, Double, Long, BSONRegExp...) so a
// document re-encoded towards DocumentDB is byte-for-byte what the driver sent.
export const DECODE_OPTIONS = { promoteValues: false, bsonRegExp: true } as const;

export interface MessageHeader {
  readonly messageLength: number;
  readonly requestId: number;
  readonly responseTo: number;
  readonly opCode: number;
}

export type IncomingMessage =
  | {
      readonly kind: 'query';
      readonly header: MessageHeader;
      readonly fullCollectionName: string;
      readonly query: Document;
    }
  | {
      readonly kind: 'msg';
      readonly header: MessageHeader;
      readonly flags: number;
      /** The kind-0 body with every kind-1 document sequence merged in as an array field. */
      readonly body: Document;
    }
  | { readonly kind: 'unsupported'; readonly header: MessageHeader };

/** A message that cannot be read; the connection can still be answered (header is known). */
export class WireProtocolError extends Error {
  override readonly name = 'WireProtocolError';
}

/** Splits a TCP byte stream into whole messages (each prefixed by its int32 length). */
export class MessageFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Adds bytes; returns the complete messages now available. Throws on an impossible length. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const messages: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : this.flatten();
      const length = head.readInt32LE(0);
      if (length < HEADER_SIZE || length > MAX_MESSAGE_SIZE) {
        throw new WireProtocolError(`invalid message length ${length}`);
      }
      if (this.buffered < length) break;
      const all = this.flatten();
      messages.push(all.subarray(0, length));
      const rest = all.subarray(length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
    return messages;
  }

  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0]!;
  }
}

export function readHeader(message: Buffer): MessageHeader {
  return {
    messageLength: message.readInt32LE(0),
    requestId: message.readInt32LE(4),
    responseTo: message.readInt32LE(8),
    opCode: message.readInt32LE(12),
  };
}

/** Parses one complete message. Throws WireProtocolError when its content is malformed. */
export function parseMessage(message: Buffer): IncomingMessage {
  const header = readHeader(message);
  try {
    if (header.opCode === OP_MSG) return parseOpMsg(header, message);
    if (header.opCode === OP_QUERY) return parseOpQuery(header, message);
  } catch (error) {
    if (error instanceof WireProtocolError) throw error;
    throw new WireProtocolError(`malformed opcode ${header.opCode} message: ${(error as Error).message}`);
  }
  return { kind: 'unsupported', header };
}

function parseOpQuery(header: MessageHeader, message: Buffer): IncomingMessage {
  let offset = HEADER_SIZE + 4; // flags are irrelevant for commands
  const nameEnd = message.indexOf(0, offset);
  if (nameEnd < 0) throw new WireProtocolError('OP_QUERY collection name is not terminated');
  const fullCollectionName = message.toString('utf8', offset, nameEnd);
  offset = nameEnd + 1 + 8; // numberToSkip, numberToReturn
  const [query] = readDocument(message, offset);
  return { kind: 'query', header, fullCollectionName, query };
}

function parseOpMsg(header: MessageHeader, message: Buffer): IncomingMessage {
  const flags = message.readUInt32LE(HEADER_SIZE);
  if ((flags & 0xffff & ~KNOWN_OP_MSG_FLAGS) !== 0) {
    throw new WireProtocolError(`OP_MSG has unknown required flag bits ${flags.toString(16)}`);
  }
  let end = message.length;
  if ((flags & FLAG_CHECKSUM_PRESENT) !== 0) {
    end -= 4;
    const expected = message.readUInt32LE(end);
    const actual = crc32c(message.subarray(0, end));
    if (expected !== actual) throw new WireProtocolError('OP_MSG checksum mismatch');
  }
  let body: Document | undefined;
  const sequences: [string, Document[]][] = [];
  let offset = HEADER_SIZE + 4;
  while (offset < end) {
    const kind = message[offset]!;
    offset += 1;
    if (kind === 0) {
      if (body !== undefined) throw new WireProtocolError('OP_MSG has two body sections');
      const [doc, next] = readDocument(message, offset);
      body = doc;
      offset = next;
    } else if (kind === 1) {
      const size = message.readInt32LE(offset);
      const sectionEnd = offset + size;
      if (size < 5 || sectionEnd > end)
        throw new WireProtocolError('OP_MSG document sequence overruns the message');
      const idEnd = message.indexOf(0, offset + 4);
      if (idEnd < 0 || idEnd >= sectionEnd)
        throw new WireProtocolError('OP_MSG sequence identifier is not terminated');
      const identifier = message.toString('utf8', offset + 4, idEnd);
      const docs: Document[] = [];
      let cursor = idEnd + 1;
      while (cursor < sectionEnd) {
        const [doc, next] = readDocument(message, cursor);
        docs.push(doc);
        cursor = next;
      }
      sequences.push([identifier, docs]);
      offset = sectionEnd;
    } else {
      throw new WireProtocolError(`OP_MSG section kind ${kind} is not supported`);
    }
  }
  if (body === undefined) throw new WireProtocolError('OP_MSG has no body section');
  for (const [identifier, docs] of sequences) body[identifier] = docs;
  return { kind: 'msg', header, flags, body };
}

function readDocument(buffer: Buffer, offset: number): [Document, number] {
  const size = buffer.readInt32LE(offset);
  if (size < 5 || offset + size > buffer.length)
    throw new WireProtocolError('BSON document overruns the message');
  const doc = BSON.deserialize(buffer.subarray(offset, offset + size), DECODE_OPTIONS);
  return [doc, offset + size];
}

function header(buffer: Buffer, requestId: number, responseTo: number, opCode: number): void {
  buffer.writeInt32LE(buffer.length, 0);
  buffer.writeInt32LE(requestId, 4);
  buffer.writeInt32LE(responseTo, 8);
  buffer.writeInt32LE(opCode, 12);
}

/** OP_MSG reply with a single body section (never checksummed, never moreToCome). */
export function encodeOpMsg(requestId: number, responseTo: number, doc: Document): Buffer {
  const body = BSON.serialize(doc);
  const out = Buffer.alloc(HEADER_SIZE + 4 + 1 + body.length);
  header(out, requestId, responseTo, OP_MSG);
  out.writeUInt32LE(0, HEADER_SIZE);
  out[HEADER_SIZE + 4] = 0;
  out.set(body, HEADER_SIZE + 5);
  return out;
}

const REPLY_QUERY_FAILURE = 1 << 1;

/** OP_REPLY carrying one document, as the answer to a legacy OP_QUERY. */
export function encodeOpReply(
  requestId: number,
  responseTo: number,
  doc: Document,
  queryFailure = false,
): Buffer {
  const body = BSON.serialize(doc);
  const out = Buffer.alloc(HEADER_SIZE + 20 + body.length);
  header(out, requestId, responseTo, OP_REPLY);
  out.writeInt32LE(queryFailure ? REPLY_QUERY_FAILURE : 0, HEADER_SIZE); // responseFlags
  out.writeBigInt64LE(0n, HEADER_SIZE + 4); // cursorID
  out.writeInt32LE(0, HEADER_SIZE + 12); // startingFrom
  out.writeInt32LE(1, HEADER_SIZE + 16); // numberReturned
  out.set(body, HEADER_SIZE + 20);
  return out;
}

/** Builds an OP_MSG request the way a client would (used by tests and the benchmark). */
export function encodeOpMsgRequest(
  requestId: number,
  body: Document,
  options: { sequences?: Record<string, Document[]>; checksum?: boolean; moreToCome?: boolean } = {},
): Buffer {
  const parts: Uint8Array[] = [Buffer.from([0]), BSON.serialize(body)];
  for (const [identifier, docs] of Object.entries(options.sequences ?? {})) {
    const id = Buffer.from(`${identifier}\0`, 'utf8');
    const encoded = docs.map((d) => BSON.serialize(d));
    const size = 4 + id.length + encoded.reduce((n, b) => n + b.length, 0);
    const sizeBuf = Buffer.alloc(4);
    sizeBuf.writeInt32LE(size, 0);
    parts.push(Buffer.from([1]), sizeBuf, id, ...encoded);
  }
  const flags = (options.checksum ? FLAG_CHECKSUM_PRESENT : 0) | (options.moreToCome ? FLAG_MORE_TO_COME : 0);
  const payload = Buffer.concat(parts);
  const out = Buffer.alloc(HEADER_SIZE + 4 + payload.length + (options.checksum ? 4 : 0));
  header(out, requestId, 0, OP_MSG);
  out.writeUInt32LE(flags, HEADER_SIZE);
  payload.copy(out, HEADER_SIZE + 4);
  if (options.checksum) out.writeUInt32LE(crc32c(out.subarray(0, out.length - 4)), out.length - 4);
  return out;
}

/** Builds a legacy OP_QUERY command request (as the driver's first hello). */
export function encodeOpQueryRequest(requestId: number, fullCollectionName: string, query: Document): Buffer {
  const name = Buffer.from(`${fullCollectionName}\0`, 'utf8');
  const body = BSON.serialize(query);
  const out = Buffer.alloc(HEADER_SIZE + 4 + name.length + 8 + body.length);
  header(out, requestId, 0, OP_QUERY);
  out.writeInt32LE(0, HEADER_SIZE);
  name.copy(out, HEADER_SIZE + 4);
  out.writeInt32LE(0, HEADER_SIZE + 4 + name.length);
  out.writeInt32LE(-1, HEADER_SIZE + 8 + name.length);
  out.set(body, HEADER_SIZE + 12 + name.length);
  return out;
}

/** Reads the single document of an OP_MSG or OP_REPLY answer, as plain JS values (tests, bench). */
export function decodeReply(message: Buffer): { header: MessageHeader; doc: Document } {
  const h = readHeader(message);
  const offset = h.opCode === OP_MSG ? HEADER_SIZE + 5 : h.opCode === OP_REPLY ? HEADER_SIZE + 20 : -1;
  if (offset < 0) throw new WireProtocolError(`unexpected reply opcode ${h.opCode}`);
  const size = message.readInt32LE(offset);
  return { header: h, doc: BSON.deserialize(message.subarray(offset, offset + size)) };
}
