import { BSON, Int32 } from 'bson';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../../scripts/docdb-gateway/crc32c.ts';
import {
  decodeReply,
  encodeOpMsg,
  encodeOpMsgRequest,
  encodeOpQueryRequest,
  encodeOpReply,
  MessageFramer,
  OP_MSG,
  OP_REPLY,
  parseMessage,
  WireProtocolError,
} from '../../../scripts/docdb-gateway/wire.ts';

describe('crc32c', () => {
  it('matches the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

describe('MessageFramer', () => {
  it('reassembles messages split across chunks and splits several in one chunk', () => {
    const a = encodeOpMsgRequest(1, { ping: 1, $db: 'admin' });
    const b = encodeOpMsgRequest(2, { hello: 1, $db: 'admin' });
    const framer = new MessageFramer();
    const stream = Buffer.concat([a, b]);
    expect(framer.push(stream.subarray(0, 3))).toEqual([]);
    expect(framer.push(stream.subarray(3, a.length + 5))).toEqual([a]);
    expect(framer.push(stream.subarray(a.length + 5))).toEqual([b]);
  });

  it('rejects an impossible length', () => {
    const framer = new MessageFramer();
    const bad = Buffer.alloc(16);
    bad.writeInt32LE(3, 0);
    expect(() => framer.push(bad)).toThrow(WireProtocolError);
  });
});

describe('parseMessage', () => {
  it('merges kind-1 document sequences into the body', () => {
    const raw = encodeOpMsgRequest(
      7,
      { insert: 'people', $db: 'tnl' },
      { sequences: { documents: [{ _id: 1 }, { _id: 2, name: 'Ana' }] } },
    );
    const message = parseMessage(raw);
    expect(message.kind).toBe('msg');
    if (message.kind !== 'msg') return;
    expect(message.header.requestId).toBe(7);
    expect(Object.keys(message.body)).toEqual(['insert', '$db', 'documents']);
    const docs = message.body.documents as { _id: Int32; name?: string }[];
    expect(docs.map((d) => d._id.value)).toEqual([1, 2]);
    expect(docs[1]?.name).toBe('Ana');
  });

  it('verifies and strips a checksum', () => {
    const raw = encodeOpMsgRequest(3, { ping: 1, $db: 'admin' }, { checksum: true });
    const message = parseMessage(raw);
    expect(message.kind === 'msg' && message.body.ping).toEqual(new Int32(1));
    const tampered = Buffer.from(raw);
    tampered[tampered.length - 6]! ^= 0xff;
    expect(() => parseMessage(tampered)).toThrow(/checksum/);
  });

  it('reads a legacy OP_QUERY command', () => {
    const message = parseMessage(encodeOpQueryRequest(9, 'admin.$cmd', { isMaster: 1, helloOk: true }));
    expect(message.kind).toBe('query');
    if (message.kind !== 'query') return;
    expect(message.fullCollectionName).toBe('admin.$cmd');
    expect(Object.keys(message.query)).toEqual(['isMaster', 'helloOk']);
  });

  it('keeps BSON types so a re-encoded document is byte-identical', () => {
    const doc = { find: 'c', filter: { a: 1.0, b: BSON.Long.fromNumber(5), c: 1 }, $db: 'x' };
    const message = parseMessage(encodeOpMsgRequest(1, doc));
    if (message.kind !== 'msg') throw new Error('expected OP_MSG');
    expect(Buffer.from(BSON.serialize(message.body))).toEqual(Buffer.from(BSON.serialize(doc)));
  });

  it('reports other opcodes as unsupported', () => {
    const raw = Buffer.alloc(20);
    raw.writeInt32LE(20, 0);
    raw.writeInt32LE(2012, 12);
    expect(parseMessage(raw).kind).toBe('unsupported');
  });
});

describe('replies', () => {
  it('OP_MSG reply answers the request id', () => {
    const { header, doc } = decodeReply(encodeOpMsg(50, 7, { ok: 1 }));
    expect(header).toMatchObject({ requestId: 50, responseTo: 7, opCode: OP_MSG });
    expect(doc.ok).toBe(1);
  });

  it('OP_REPLY carries one document', () => {
    const raw = encodeOpReply(51, 9, { ismaster: true });
    expect(raw.readInt32LE(16 + 16)).toBe(1); // numberReturned
    const { header, doc } = decodeReply(raw);
    expect(header).toMatchObject({ responseTo: 9, opCode: OP_REPLY });
    expect(doc.ismaster).toBe(true);
  });
});
