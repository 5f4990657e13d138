// The gateway's TCP side spoken to byte by byte: legacy OP_QUERY, checksums, moreToCome and
// opcodes it does not implement must all get a well-formed answer (or none, when asked).
import net from 'node:net';
import type { Document } from 'bson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asNumber } from '../../../scripts/docdb-gateway/bson-util.ts';
import { startGateway, type Gateway } from '../../../scripts/docdb-gateway/server.ts';
import {
  decodeReply,
  encodeOpMsgRequest,
  encodeOpQueryRequest,
  MessageFramer,
  OP_MSG,
  OP_REPLY,
} from '../../../scripts/docdb-gateway/wire.ts';
import { FakeBackend, resultRow } from './fake-backend.ts';

class RawClient {
  private readonly framer = new MessageFramer();
  private readonly inbox: Buffer[] = [];
  private waiter: (() => void) | undefined;
  private readonly socket: net.Socket;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (chunk) => {
      this.inbox.push(...this.framer.push(chunk));
      this.waiter?.();
    });
  }

  send(message: Buffer): void {
    this.socket.write(message);
  }

  async next(
    timeoutMs = 2_000,
  ): Promise<{ opCode: number; responseTo: number; flags: number; doc: Document }> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      if (Date.now() > deadline) throw new Error('no reply from the gateway');
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
    const raw = this.inbox.shift()!;
    const { header, doc } = decodeReply(raw);
    return { opCode: header.opCode, responseTo: header.responseTo, flags: raw.readInt32LE(16), doc };
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('gateway wire handling', () => {
  const inserted: Document[] = [];
  const backend = new FakeBackend((call) => {
    inserted.push(...((call.docs[0]?.documents as Document[] | undefined) ?? []));
    return resultRow({ n: 1, ok: 1 });
  });
  let gateway: Gateway;
  let client: RawClient;

  beforeAll(async () => {
    gateway = await startGateway({ port: 0, backend });
    client = new RawClient(gateway.port);
  });

  afterAll(async () => {
    client.close();
    await gateway.close();
  });

  it('answers the legacy OP_QUERY handshake with OP_REPLY', async () => {
    client.send(encodeOpQueryRequest(11, 'admin.$cmd', { isMaster: 1, helloOk: true }));
    const reply = await client.next();
    expect(reply).toMatchObject({ opCode: OP_REPLY, responseTo: 11 });
    expect(reply.doc).toMatchObject({ ismaster: true, helloOk: true, maxWireVersion: 21 });
  });

  it('refuses OP_QUERY on a collection with a query failure', async () => {
    client.send(encodeOpQueryRequest(12, 'tnl.people', { name: 'x' }));
    const reply = await client.next();
    expect(reply).toMatchObject({ opCode: OP_REPLY, responseTo: 12, flags: 2 });
    expect(reply.doc.$err).toMatch(/only supported for commands/);
  });

  it('accepts checksummed OP_MSG and rejects a corrupted one without dropping the connection', async () => {
    client.send(encodeOpMsgRequest(13, { ping: 1, $db: 'admin' }, { checksum: true }));
    expect(await client.next()).toMatchObject({ opCode: OP_MSG, responseTo: 13, doc: { ok: 1 } });

    const corrupted = encodeOpMsgRequest(14, { ping: 1, $db: 'admin' }, { checksum: true });
    corrupted[corrupted.length - 1]! ^= 0xff;
    client.send(corrupted);
    const error = await client.next();
    expect(error).toMatchObject({ responseTo: 14, doc: { ok: 0, code: 9 } });

    client.send(encodeOpMsgRequest(15, { ping: 1, $db: 'admin' }));
    expect(await client.next()).toMatchObject({ responseTo: 15, doc: { ok: 1 } });
  });

  it('does not answer a moreToCome (unacknowledged) write, but performs it', async () => {
    client.send(
      encodeOpMsgRequest(
        16,
        { insert: 'c', $db: 'x' },
        { moreToCome: true, sequences: { documents: [{ k: 16 }] } },
      ),
    );
    client.send(encodeOpMsgRequest(17, { ping: 1, $db: 'admin' }));
    expect(await client.next()).toMatchObject({ responseTo: 17 });
    expect(inserted.map((d) => asNumber(d.k))).toEqual([16]);
  });

  it('answers an opcode it does not implement with an error', async () => {
    const compressed = Buffer.alloc(25);
    compressed.writeInt32LE(25, 0);
    compressed.writeInt32LE(18, 4);
    compressed.writeInt32LE(2012, 12);
    client.send(compressed);
    const reply = await client.next();
    expect(reply).toMatchObject({ opCode: OP_MSG, responseTo: 18, doc: { ok: 0, code: 238 } });
    expect(reply.doc.errmsg).toMatch(/opcode 2012 is not supported/);
  });
});
