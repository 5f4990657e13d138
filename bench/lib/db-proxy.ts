// A counting TCP proxy in front of the MongoDB endpoint, for profiling only: it reads
// the wire protocol headers of what the client sends (OP_MSG, and OP_QUERY for the
// legacy handshake) and notes each command's name, collection, start and reply time.
// This counts database round trips at the driver's socket, whatever code sent them.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface DbRecord {
  command: string;
  collection: string | undefined;
  start: number;
  end: number | undefined;
  /** Bytes of the server's replies to it (a cursor's later batches are getMore records). */
  replyBytes: number;
}

/** Name and (string) value of the first element of the BSON document at `offset`. */
function firstElement(buf: Buffer, offset: number): { name: string; value: string | undefined } {
  const type = buf[offset + 4];
  let end = offset + 5;
  while (end < buf.length && buf[end] !== 0) end++;
  const name = buf.toString('utf8', offset + 5, end);
  let value: string | undefined;
  if (type === 0x02) {
    const length = buf.readInt32LE(end + 1);
    value = buf.toString('utf8', end + 5, end + 5 + length - 1);
  }
  return { name, value };
}

/** The value of a top-level string element found by name (good enough for command documents). */
function stringElement(buf: Buffer, name: string): string | undefined {
  const marker = Buffer.from(`\x02${name}\x00`, 'latin1');
  const at = buf.indexOf(marker);
  if (at < 0) return undefined;
  const length = buf.readInt32LE(at + marker.length);
  return buf.toString('utf8', at + marker.length + 4, at + marker.length + 4 + length - 1);
}

function parseRequest(message: Buffer): { requestId: number; command: string; collection?: string } {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === 2013) {
    // flagBits, then the first section; kind 0 is the command document.
    if (message[20] === 0) {
      const { name, value } = firstElement(message, 21);
      // getMore names its collection in a later "collection" element.
      const collection = name === 'getMore' ? stringElement(message, 'collection') : value;
      return { requestId, command: name, ...(collection ? { collection } : {}) };
    }
    return { requestId, command: 'OP_MSG(sequence first)' };
  }
  if (opCode === 2004) {
    let end = 20;
    while (end < message.length && message[end] !== 0) end++;
    const { name } = firstElement(message, end + 1 + 8);
    return { requestId, command: name };
  }
  return { requestId, command: `opcode ${opCode}` };
}

/** Splits a byte stream into wire protocol messages (each starts with its int32 length). */
function framer(onMessage: (message: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 4) {
      const length = pending.readInt32LE(0);
      if (pending.length < length) break;
      onMessage(pending.subarray(0, length));
      pending = pending.subarray(length);
    }
  };
}

export class CountingDbProxy {
  readonly records: DbRecord[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly targetHost: string;
  private readonly targetPort: number;
  port = 0;

  /** `uri`: the MongoDB URI whose (first) host the proxy forwards to. */
  constructor(uri: string) {
    const host = /\/\/([^/?,]+)/.exec(uri)?.[1] ?? '127.0.0.1:27017';
    const [name, port] = host.split(':');
    this.targetHost = name === 'localhost' || !name ? '127.0.0.1' : name;
    this.targetPort = Number(port ?? 27017);
  }

  /** The target URI with its host and port replaced by the proxy's. */
  uriFor(uri: string): string {
    return uri.replace(/\/\/[^/?]+/, `//127.0.0.1:${this.port}`);
  }

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      this.sockets.add(client);
      this.sockets.add(upstream);
      const open = new Map<number, DbRecord>();
      client.on(
        'data',
        framer((message) => {
          const { requestId, command, collection } = parseRequest(message);
          const record: DbRecord = {
            command,
            collection,
            start: performance.now(),
            end: undefined,
            replyBytes: 0,
          };
          this.records.push(record);
          open.set(requestId, record);
          upstream.write(message);
        }),
      );
      upstream.on(
        'data',
        framer((message) => {
          const responseTo = message.readInt32LE(8);
          const record = open.get(responseTo);
          if (record) {
            record.end = performance.now();
            record.replyBytes += message.length;
            // Kept open: an exhaust cursor or streaming hello answers the same request again.
            if ((message.readInt32LE(16) & 2) === 0 || message.readInt32LE(12) !== 2013)
              open.delete(responseTo);
          }
          client.write(message);
        }),
      );
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('close', close);
      upstream.on('close', close);
      client.on('error', close);
      upstream.on('error', close);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** Commands the driver sends on its own (server monitoring), not for the application. */
export const MONITORING = new Set(['hello', 'isMaster', 'ismaster', 'ping', 'endSessions', 'saslStart']);
