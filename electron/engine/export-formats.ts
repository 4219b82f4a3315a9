/**
 * The formats a capture is exported to, each a writer fed one connection after another and,
 * within one, its kept chunks in capture order: pcapng (synthesized IP packets Wireshark
 * reads), NDJSON (one object per line), and a transcript as the views show the bytes. Bytes
 * the capture no longer holds are marked where they were, never invented.
 */
import { Buffer } from 'node:buffer';
import { formatEscaped, hexDump } from '../../shared/bytes';
import { formatEndpoint } from '../../shared/format';
import { clientDirection, type ConnectionInfo, type Direction, type Endpoint } from '../../shared/model';
import { pcapngHeader, TcpFlowWriter, udpPacket, type FlowEndpoint, type FlowSpec } from './pcap/pcapng-writer';

/** A kept chunk with all its bytes. */
export interface ExportChunk {
  seq: number;
  direction: Direction;
  time: number;
  offset: number;
  data: Uint8Array;
  auto?: boolean;
  peer?: Endpoint;
}

/** One export format: each call returns the pieces to append to the file, in order. */
export interface FormatWriter {
  start(): Uint8Array[];
  connection(info: ConnectionInfo): Uint8Array[];
  /** Bytes of a direction the capture no longer holds, right before stream offset `before`. */
  missing(info: ConnectionInfo, direction: Direction, bytes: number, before: number, time: number): Uint8Array[];
  chunk(info: ConnectionInfo, chunk: ExportChunk): Uint8Array[];
  endConnection(info: ConnectionInfo): Uint8Array[];
  /** What the export had to leave out or stand in for, in words. */
  readonly problems: string[];
}

const text = (s: string): Uint8Array => Buffer.from(s, 'utf8');

function iso(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString();
}

/** "C3 · tcp · accepted on listener L1 · 127.0.0.1:50000 → 127.0.0.1:7000" */
export function describeConnection(info: ConnectionInfo): string {
  const origin =
    info.origin === 'accepted'
      ? `accepted${info.listenerId ? ` by listener ${info.listenerId}` : ''}`
      : info.origin === 'relay'
        ? `relayed to ${info.relay?.target ?? '?'}`
        : info.origin === 'bound'
          ? 'UDP socket'
          : info.origin === 'opened'
            ? `read from ${info.source?.fileName ?? 'a file'}, stream ${info.source?.stream ?? '?'}`
            : 'opened by you';
  const local = info.local ? formatEndpoint(info.local) : '?';
  return `${info.id} · ${info.transport} · ${origin} · local ${local} · remote ${formatEndpoint(info.remote)}`;
}

/** NDJSON: a connection object, then one object per chunk (base64 bytes), and one per gap. */
export class NdjsonWriter implements FormatWriter {
  readonly problems: string[] = [];

  start(): Uint8Array[] {
    return [];
  }

  connection(info: ConnectionInfo): Uint8Array[] {
    const line = {
      type: 'connection',
      id: info.id,
      origin: info.origin,
      transport: info.transport,
      ...(info.local ? { local: info.local } : {}),
      remote: info.remote,
      ...(info.listenerId ? { listenerId: info.listenerId } : {}),
      ...(info.relay ? { relayTarget: info.relay.target } : {}),
      ...(info.source ? { source: info.source } : {}),
      createdAt: info.createdAt,
      ...(info.openedAt !== undefined ? { openedAt: info.openedAt } : {}),
      ...(info.closedAt !== undefined ? { closedAt: info.closedAt } : {}),
      state: info.state,
      ...(info.closeReason ? { closeReason: info.closeReason } : {}),
      bytesIn: info.bytesIn,
      bytesOut: info.bytesOut,
      chunksIn: info.chunksIn,
      chunksOut: info.chunksOut,
      droppedBytes: info.droppedBytes,
      droppedChunks: info.droppedChunks,
    };
    return [text(JSON.stringify(line) + '\n')];
  }

  missing(info: ConnectionInfo, direction: Direction, bytes: number, before: number): Uint8Array[] {
    return [text(JSON.stringify({ type: 'missing', connection: info.id, direction, offset: before - bytes, bytes }) + '\n')];
  }

  chunk(info: ConnectionInfo, c: ExportChunk): Uint8Array[] {
    const head = {
      type: 'chunk',
      connection: info.id,
      seq: c.seq,
      direction: c.direction,
      time: c.time,
      offset: c.offset,
      size: c.data.byteLength,
      ...(c.auto ? { auto: true } : {}),
      ...(c.peer ? { peer: c.peer } : {}),
    };
    const json = JSON.stringify(head);
    return [text(`${json.slice(0, -1)},"data":"${Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength).toString('base64')}"}\n`)];
  }

  endConnection(): Uint8Array[] {
    return [];
  }
}

/** A transcript: a header per connection, then each chunk with its time, direction and offset. */
export class TranscriptWriter implements FormatWriter {
  readonly problems: string[] = [];

  constructor(private readonly display: 'text' | 'hex') {}

  start(): Uint8Array[] {
    return [text(`Socket Inspector transcript, exported ${new Date().toISOString()}\n← in: received by the inspector · → out: sent by it\n`)];
  }

  connection(info: ConnectionInfo): Uint8Array[] {
    const times = [`opened ${iso(info.openedAt ?? info.createdAt)}`];
    if (info.closedAt !== undefined) times.push(`closed ${iso(info.closedAt)}${info.closeReason ? ` (${info.closeReason})` : ''}`);
    const counts = `${info.bytesIn} bytes in (${info.chunksIn} chunks), ${info.bytesOut} bytes out (${info.chunksOut} chunks)`;
    const dropped = info.droppedBytes > 0 ? `; ${info.droppedBytes} bytes in ${info.droppedChunks} chunks not kept` : '';
    return [text(`\n=== ${describeConnection(info)}\n${times.join(' · ')} · ${counts}${dropped}\n`)];
  }

  missing(_info: ConnectionInfo, direction: Direction, bytes: number, before: number): Uint8Array[] {
    return [text(`\n[not kept] ${arrow(direction)} ${bytes} bytes at offsets ${before - bytes}–${before - 1}: dropped from the capture (budget or cleared)\n`)];
  }

  chunk(_info: ConnectionInfo, c: ExportChunk): Uint8Array[] {
    const peer = c.peer ? ` ${c.direction === 'in' ? 'from' : 'to'} ${formatEndpoint(c.peer)}` : '';
    const head = `\n[${iso(c.time)}] ${arrow(c.direction)} #${c.seq} offset ${c.offset}, ${c.data.byteLength} bytes${c.auto ? ' (auto-reply)' : ''}${peer}\n`;
    let body: string;
    if (this.display === 'hex') {
      body = hexDump(c.data, c.offset)
        .map((l) => `  ${l.offset}  ${l.hex}  |${l.ascii}|\n`)
        .join('');
    } else {
      // A line of the transcript per line of the chunk: the \n stays visible as an escape.
      body = formatEscaped(c.data)
        .split(/(?<=\\n)/)
        .map((l) => `  ${l}\n`)
        .join('');
    }
    return [text(head + body)];
  }

  endConnection(): Uint8Array[] {
    return [];
  }
}

function arrow(direction: Direction): string {
  return direction === 'in' ? '← in ' : '→ out';
}

const FIRST_SYNTHETIC_PORT = 49152;

/**
 * pcapng: each TCP, TLS or Unix connection as one TCP stream (handshake, data with its sequence
 * and acknowledgement numbers, FIN or RST as the record says it ended), each UDP datagram as one
 * UDP packet. TLS is exported as its decrypted bytes; Unix sockets (which have no IP addresses)
 * as TCP between 127.0.0.1 ports numbered from 49152; a comment on each stream's first packet
 * says what it really was.
 */
export class PcapngWriter implements FormatWriter {
  readonly problems: string[] = [];
  private flow: TcpFlowWriter | null = null;
  private fromClientDirection: Direction = 'in';
  private lastTime = 0;
  private syntheticPort = FIRST_SYNTHETIC_PORT;
  private udpLocal: Endpoint | undefined;
  private unixCount = 0;
  private tlsCount = 0;
  /** Said on the next packet: the bytes not kept before it. */
  private pendingComment: string | undefined;

  start(): Uint8Array[] {
    return [pcapngHeader({ application: 'Socket Inspector', comment: `Exported by Socket Inspector ${new Date().toISOString()}` })];
  }

  connection(info: ConnectionInfo): Uint8Array[] {
    this.flow = null;
    this.udpLocal = undefined;
    this.lastTime = info.openedAt ?? info.createdAt;
    if (info.transport === 'udp') {
      if (!info.local || info.local.family === 'unix') {
        this.problems.push(`${info.id}: a UDP socket without a local address was left out.`);
        return [];
      }
      this.udpLocal = info.local;
      return [];
    }
    const flowSpec = this.tcpFlowSpec(info);
    if (!flowSpec) return [];
    const { spec, comment } = flowSpec;
    this.fromClientDirection = clientDirection(info);
    this.flow = new TcpFlowWriter(spec, { comment });
    if (info.state === 'connecting' && info.chunksIn + info.chunksOut === 0) return [];
    return this.flow.handshake(info.openedAt ?? info.createdAt);
  }

  missing(_info: ConnectionInfo, direction: Direction, bytes: number): Uint8Array[] {
    // The sequence numbers jump over the bytes: Wireshark marks the hole ("previous segment not
    // captured"), and the next packet's comment says why.
    this.pendingComment = `${bytes} bytes ${direction === this.fromClientDirection ? 'from the client' : 'from the server'} before this packet were not kept by the capture (budget or cleared)`;
    return [];
  }

  chunk(info: ConnectionInfo, c: ExportChunk): Uint8Array[] {
    this.lastTime = c.time;
    const comment = this.pendingComment;
    this.pendingComment = undefined;
    if (info.transport === 'udp') {
      const local = this.udpLocal;
      if (!local) return [];
      if (!c.peer || c.peer.family === 'unix') {
        this.problems.push(`${info.id}: datagram #${c.seq} has no recorded peer address and was left out.`);
        return [];
      }
      if (c.peer.family !== local.family && !(local.address === '::' || local.address.startsWith('::ffff:'))) {
        this.problems.push(`${info.id}: datagram #${c.seq} mixes IPv4 and IPv6 addresses and was left out.`);
        return [];
      }
      const family = c.peer.family;
      const localAddress = family === local.family ? local.address : family === 'IPv4' ? '127.0.0.1' : '::1';
      const me: FlowEndpoint = { address: anyToLoopback(localAddress, family), port: local.port };
      const them: FlowEndpoint = { address: c.peer.address, port: c.peer.port };
      return c.direction === 'in' ? udpPacket(family, them, me, c.time, c.data, comment) : udpPacket(family, me, them, c.time, c.data, comment);
    }
    if (!this.flow) return [];
    return this.flow.data(c.direction === this.fromClientDirection, c.time, c.offset, c.data, comment);
  }

  endConnection(info: ConnectionInfo): Uint8Array[] {
    const flow = this.flow;
    this.flow = null;
    if (!flow) return [];
    const local = this.fromClientDirection === 'out';
    const closedAt = Math.max(info.closedAt ?? this.lastTime, this.lastTime);
    const ending = endingOf(info);
    const pieces: Uint8Array[] = [];
    // fromClient is true when the side that acted is the client; we are the client when the
    // client's bytes are our out direction.
    const fromUs = (us: boolean) => (us ? local : !local);
    if (ending.reset) return flow.reset(fromUs(ending.reset === 'local'), closedAt);
    if (ending.firstFin) {
      pieces.push(...flow.fin(fromUs(ending.firstFin.by === 'local'), Math.max(this.lastTime, Math.min(ending.firstFin.at ?? closedAt, closedAt))));
      if (ending.secondFin) pieces.push(...flow.fin(fromUs(ending.firstFin.by !== 'local'), closedAt));
    }
    return pieces;
  }

  private tcpFlowSpec(info: ConnectionInfo): { spec: FlowSpec; comment?: string } | null {
    const client = clientDirection(info) === 'in' ? info.remote : info.local;
    const server = clientDirection(info) === 'in' ? info.local : info.remote;
    if (info.transport === 'unix' || client?.family === 'unix' || server?.family === 'unix') {
      this.unixCount += 1;
      const path = (info.local?.family === 'unix' ? info.local.address : '') || info.remote.address;
      const port = this.syntheticPort++;
      if (this.syntheticPort > 65535) this.syntheticPort = FIRST_SYNTHETIC_PORT;
      return {
        spec: { transport: 'tcp', family: 'IPv4', client: { address: '127.0.0.1', port }, server: { address: '127.0.0.1', port: 1 } },
        comment: `${info.id}: Unix socket ${path}, shown as TCP from 127.0.0.1:${port} to 127.0.0.1:1`,
      };
    }
    if (!client || !server) {
      this.problems.push(`${info.id}: never connected, so it has no addresses; left out.`);
      return null;
    }
    if (client.family !== server.family) {
      this.problems.push(`${info.id}: its addresses mix IPv4 and IPv6; left out.`);
      return null;
    }
    let comment = `${info.id}: ${info.origin === 'opened' ? `stream ${info.source?.stream ?? '?'} of ${info.source?.fileName ?? 'a file'}` : info.origin}`;
    if (info.transport === 'tls') {
      this.tlsCount += 1;
      comment += `; TLS ${info.tls?.protocol ?? ''} shown decrypted: these are the application bytes, not the TLS records`;
    }
    return {
      spec: {
        transport: 'tcp',
        family: client.family,
        client: { address: anyToLoopback(client.address, client.family), port: client.port },
        server: { address: anyToLoopback(server.address, server.family), port: server.port },
      },
      comment,
    };
  }

  /** Notes about the whole file, added once at the end. */
  summary(): string[] {
    const notes: string[] = [];
    if (this.tlsCount > 0) notes.push(`${this.tlsCount} TLS connection(s) are exported decrypted, as plain TCP.`);
    if (this.unixCount > 0) notes.push(`${this.unixCount} Unix socket connection(s) are exported as TCP between 127.0.0.1 ports (their comments name the socket path).`);
    return notes;
  }
}

/** An unspecified address (0.0.0.0, ::) is no packet's address: the loopback one stands in. */
function anyToLoopback(address: string, family: 'IPv4' | 'IPv6' | 'unix'): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return family === 'IPv4' ? '127.0.0.1' : '::1';
  return address.replace(/%.*$/, '');
}

/** How a connection ended, as far as its record tells: who reset it, or who sent FIN first and when. */
export function endingOf(info: ConnectionInfo): {
  reset?: 'local' | 'peer';
  firstFin?: { by: 'local' | 'peer'; at?: number };
  secondFin?: boolean;
} {
  if (info.state === 'connecting') return {};
  const reason = info.closeReason ?? '';
  // A stream read from a file is seen from its client: the client is "local".
  if (/reset by (you|the client)/.test(reason)) return { reset: 'local' };
  if (info.error?.code === 'ECONNRESET' || /reset/i.test(reason)) return { reset: 'peer' };
  if (info.state === 'open') return {};
  const by = info.halfClosedBy ?? (/by you|on shutdown|listener stopped|idle/.test(reason) ? 'local' : 'peer');
  return { firstFin: { by, ...(info.halfClosedAt !== undefined ? { at: info.halfClosedAt } : {}) }, secondFin: info.state === 'closed' };
}

/**
 * A ustar archive member's 512-byte header (raw exports of several directions or connections);
 * its bytes follow, padded to 512, and two zero blocks end the archive.
 */
export function tarHeader(name: string, size: number, mtimeMs: number): Uint8Array {
  const h = Buffer.alloc(512, 0);
  const put = (value: string, at: number, width: number) => h.write(value.slice(0, width), at, width, 'latin1');
  const octal = (n: number, width: number) => Math.floor(n).toString(8).padStart(width - 1, '0') + '\0';
  put(name, 0, 100);
  put(octal(0o600, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(mtimeMs / 1000, 12), 136, 12);
  put('        ', 148, 8);
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

/** Zero bytes that pad a member to a whole number of 512-byte blocks. */
export function tarPadding(size: number): Uint8Array {
  return Buffer.alloc((512 - (size % 512)) % 512, 0);
}

/** The two zero blocks that end a tar archive. */
export const TAR_END = Buffer.alloc(1024, 0);
