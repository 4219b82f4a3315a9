/**
 * Test support for the capture-file modules: the real tools (tshark, text2pcap, tcpdump) and
 * parsing of what they print, temporary folders removed after each test, and a byte builder for
 * packets and capture files written from the formats' specifications, independent of the
 * modules under test (its own checksum, its own file layouts), so each can check the other.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Runs fn after the current test, pass or fail. */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

/** A private temporary folder, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pcap-test-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The tool's path when it is installed, else undefined. */
export function findTool(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path ? path : undefined;
}

/** Why tests needing these tools skip ('' when all are there). */
export function missingTools(...names: string[]): string {
  const missing = names.filter((n) => !findTool(n));
  return missing.length ? `${missing.join(', ')} not installed` : '';
}

/** The title suffix of a test that skips for a reason. */
export const skipNote = (reason: string) => (reason ? ` (skipped: ${reason})` : '');

/** Runs a tool and returns its stdout; throws with its stderr when it fails. */
export function run(tool: string, args: string[], input?: string | Uint8Array): string {
  try {
    return execFileSync(tool, args, { input, encoding: 'utf8', maxBuffer: 1 << 30, timeout: 60_000, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${tool} ${args.join(' ')} failed: ${err.stderr || err.message}`);
  }
}

/** tshark reading a file, with the given arguments (and checksum validation on). */
export function tshark(file: string, ...args: string[]): string {
  return run('tshark', ['-r', file, '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', ...args]);
}

/** A packet as tshark reads it from a file. */
export interface TsharkFrame {
  /** Seconds since the epoch with nine decimals, as tshark prints frame.time_epoch. */
  epoch: string;
  length: number;
  captured: number;
  comment: string | undefined;
  hex: string;
  /** Wiretap's encapsulation number; none for a block tshark shows as a frame but holds no packet (a custom block). */
  encap: string | undefined;
}

/** Every packet of a file as tshark reads it (its JSON output with raw bytes). */
export function tsharkFrames(file: string): TsharkFrame[] {
  const out = JSON.parse(run('tshark', ['-r', file, '-T', 'json', '-x', '-j', 'frame pkt_comment'])) as Array<{ _source: { layers: Record<string, unknown> } }>;
  return out.map(({ _source: { layers } }) => {
    const frame = layers.frame as Record<string, string>;
    const comment = layers.pkt_comment as Record<string, string> | undefined;
    return {
      epoch: frame['frame.time_epoch']!,
      length: Number(frame['frame.len']),
      captured: Number(frame['frame.cap_len']),
      comment: comment?.['frame.comment'],
      hex: (layers.frame_raw as [string])[0],
      encap: frame['frame.encap_type'],
    };
  });
}

/** ms since the epoch (as the reader gives times) as tshark prints it, to the nanosecond. */
export function epochText(ms: number): string {
  const ns = BigInt(Math.round(ms * 1e6));
  return `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
}

/** One piece of tshark's Follow TCP Stream: bytes one node sent, or a gap tshark reports. */
export type FollowPiece = { fromNode0: boolean; bytes: Uint8Array } | { fromNode0: boolean; missing: number };

export interface Followed {
  /** "address:port" of node 0 (the side that sent the stream's first packet) and node 1. */
  nodes: [string, string];
  pieces: FollowPiece[];
}

/**
 * Parses `tshark -qz follow,tcp,raw,N`: after the "Node 0:" and "Node 1:" lines, one line of hex
 * per segment, node 1's indented with a tab. A gap shows as the text "[n bytes missing in capture
 * file]" (with a trailing NUL in some versions), which becomes a missing piece.
 */
export function parseFollow(text: string): Followed {
  const lines = text.split('\n');
  const node = (i: number) => {
    const line = lines.find((l) => l.startsWith(`Node ${i}: `));
    if (!line) throw new Error(`no "Node ${i}:" line in tshark's follow output:\n${text.slice(0, 2000)}`);
    return line.slice(`Node ${i}: `.length).trim();
  };
  const nodes: [string, string] = [node(0), node(1)];
  const start = lines.findIndex((l) => l.startsWith('Node 1: ')) + 1;
  const pieces: FollowPiece[] = [];
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('=====')) break;
    if (line.trim() === '') continue;
    const fromNode0 = !line.startsWith('\t');
    const hex = line.trim();
    if (!/^([0-9a-f]{2})+$/.test(hex)) throw new Error(`unexpected line in tshark's follow output: ${line.slice(0, 200)}`);
    const bytes = Buffer.from(hex, 'hex');
    const gap = /^\[(\d+) bytes missing in capture file\]\.?\0?$/.exec(bytes.toString('latin1'));
    if (gap) pieces.push({ fromNode0, missing: Number(gap[1]) });
    else pieces.push({ fromNode0, bytes: new Uint8Array(bytes) });
  }
  return { nodes, pieces };
}

/** All bytes one node sent in a followed stream, and the gaps tshark reported for it. */
export function followedSide(f: Followed, node0: boolean): { bytes: Buffer; missing: number[] } {
  const parts: Uint8Array[] = [];
  const missing: number[] = [];
  for (const p of f.pieces) {
    if (p.fromNode0 !== node0) continue;
    if ('bytes' in p) parts.push(p.bytes);
    else missing.push(p.missing);
  }
  return { bytes: Buffer.concat(parts), missing };
}

/** A deterministic pseudo-random generator (mulberry32): the same seed, the same cases. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n pseudo-random bytes. */
export function randomBytes(random: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (random() * 256) | 0;
  return out;
}

// ---------------------------------------------------------------------------------------------
// The byte builder: packets.

function concat(parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The Internet checksum, the plain way (RFC 1071), over the concatenated parts. */
function checksum(...parts: ArrayLike<number>[]): number {
  const b = concat(parts);
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function v4(address: string): number[] {
  return address.split('.').map(Number);
}

/** Expands an IPv6 literal to 16 bytes (test addresses only: hex groups and one "::"). */
function v6(address: string): number[] {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}

const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

export interface TcpFields {
  seq: number;
  ack?: number;
  /** FIN 1, SYN 2, RST 4, PSH 8, ACK 16 */
  flags: number;
  window?: number;
  /** TCP options, already padded to 4 bytes. */
  options?: number[];
}

/** A TCP segment (header with a correct checksum, then payload) between two addresses. */
export function tcpSegment(src: string, dst: string, sport: number, dport: number, f: TcpFields, payload: ArrayLike<number> = []): Uint8Array {
  const options = f.options ?? [];
  const header = [...u16(sport), ...u16(dport), ...u32(f.seq >>> 0), ...u32((f.ack ?? 0) >>> 0), ((20 + options.length) / 4) << 4, f.flags, ...u16(f.window ?? 65535), 0, 0, 0, 0, ...options];
  const segment = concat([header, payload]);
  const sum = checksum(pseudo(src, dst, 6, segment.length), segment);
  segment[16] = sum >> 8;
  segment[17] = sum & 0xff;
  return segment;
}

/** A UDP datagram (header with a correct checksum, then payload). */
export function udpDatagram(src: string, dst: string, sport: number, dport: number, payload: ArrayLike<number>): Uint8Array {
  const datagram = concat([[...u16(sport), ...u16(dport), ...u16(8 + payload.length), 0, 0], payload]);
  const sum = checksum(pseudo(src, dst, 17, datagram.length), datagram) || 0xffff;
  datagram[6] = sum >> 8;
  datagram[7] = sum & 0xff;
  return datagram;
}

function pseudo(src: string, dst: string, protocol: number, length: number): number[] {
  return src.includes(':') ? [...v6(src), ...v6(dst), ...u32(length), 0, 0, 0, protocol] : [...v4(src), ...v4(dst), 0, protocol, ...u16(length)];
}

/** An IPv4 packet around a transport segment; options padded to 4 bytes; fragment fields as given. */
export function ipv4Packet(src: string, dst: string, protocol: number, body: ArrayLike<number>, o: { options?: number[]; id?: number; flagsFragment?: number; totalLength?: number } = {}): Uint8Array {
  const options = o.options ?? [];
  const headerLength = 20 + options.length;
  const header = [0x40 | (headerLength / 4), 0, ...u16(o.totalLength ?? headerLength + body.length), ...u16(o.id ?? 1), ...u16(o.flagsFragment ?? 0x4000), 64, protocol, 0, 0, ...v4(src), ...v4(dst), ...options];
  const sum = checksum(header);
  header[10] = sum >> 8;
  header[11] = sum & 0xff;
  return concat([header, body]);
}

/** An IPv6 packet; extension headers are [type, bytes] pairs in order, each already sized (8n bytes, next-header byte filled in here). */
export function ipv6Packet(src: string, dst: string, protocol: number, body: ArrayLike<number>, extensions: Array<[number, number[]]> = []): Uint8Array {
  const chain: number[] = [];
  for (let i = 0; i < extensions.length; i++) {
    const [, bytes] = extensions[i]!;
    const next = i + 1 < extensions.length ? extensions[i + 1]![0] : protocol;
    chain.push(next, ...bytes.slice(1));
  }
  const first = extensions.length ? extensions[0]![0] : protocol;
  return concat([[0x60, 0, 0, 0, ...u16(chain.length + body.length), first, 64, ...v6(src), ...v6(dst)], chain, body]);
}

/** Link-layer framings of an IP packet, by link type. */
export const frame = {
  ethernet: (ip: Uint8Array, vlanTags: number[] = [], etherType?: number) =>
    concat([[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2], ...vlanTags.flatMap((tpid, i) => [u16(tpid), u16(100 + i)]), u16(etherType ?? (ip[0]! >> 4 === 6 ? 0x86dd : 0x0800)), ip]),
  /** BSD loopback: the address family in the capturing host's byte order. */
  null: (ip: Uint8Array, littleEndian: boolean) => {
    const family = ip[0]! >> 4 === 6 ? 30 : 2;
    return concat([littleEndian ? [family, 0, 0, 0] : [0, 0, 0, family], ip]);
  },
  loop: (ip: Uint8Array) => concat([[0, 0, 0, ip[0]! >> 4 === 6 ? 30 : 2], ip]),
  sll: (ip: Uint8Array) => concat([[0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0], u16(ip[0]! >> 4 === 6 ? 0x86dd : 0x0800), ip]),
  sll2: (ip: Uint8Array) => concat([u16(ip[0]! >> 4 === 6 ? 0x86dd : 0x0800), [0, 0, 0, 0, 0, 1, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0], ip]),
};

// ---------------------------------------------------------------------------------------------
// The byte builder: capture files.

/** A packet to put in a capture file. */
export interface FilePacket {
  /** Seconds and fraction as integers, so tests can compare times exactly. */
  seconds: number;
  /** Micro- or nanoseconds (pcap), or timestamp units past the second (pcapng, see tsresol). */
  fraction: number;
  data: Uint8Array;
  originalLength?: number;
  interfaceId?: number;
  comment?: string;
}

/** A classic pcap file. */
export function pcapFile(linkType: number, packets: FilePacket[], o: { bigEndian?: boolean; nanoseconds?: boolean; snapLength?: number } = {}): Uint8Array {
  const le = !o.bigEndian;
  const out: Uint8Array[] = [];
  const header = new DataView(new ArrayBuffer(24));
  header.setUint32(0, o.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, le);
  header.setUint16(4, 2, le);
  header.setUint16(6, 4, le);
  header.setUint32(16, o.snapLength ?? 262144, le);
  header.setUint32(20, linkType, le);
  out.push(new Uint8Array(header.buffer));
  for (const p of packets) {
    const r = new DataView(new ArrayBuffer(16));
    r.setUint32(0, p.seconds, le);
    r.setUint32(4, p.fraction, le);
    r.setUint32(8, p.data.length, le);
    r.setUint32(12, p.originalLength ?? p.data.length, le);
    out.push(new Uint8Array(r.buffer), p.data);
  }
  return concat(out);
}

export interface PcapngInterface {
  linkType: number;
  snapLength?: number;
  /** if_tsresol's byte: 6 = microseconds (default), 9 = nanoseconds, 0x80 | n = 2^-n. */
  tsresol?: number;
  /** if_tsoffset, seconds. */
  tsoffset?: bigint;
}

/** What goes in a pcapng section: interfaces, then packets and other blocks in order. */
export type PcapngItem =
  | { epb: FilePacket; units: bigint /* full timestamp in the interface's units */ }
  | { spb: Uint8Array; originalLength?: number }
  | { pb: FilePacket; units: bigint }
  | { raw: { type: number; body: Uint8Array } };

/** One pcapng section (several concatenated make a multi-section file). */
export function pcapngSection(interfaces: PcapngInterface[], items: PcapngItem[], o: { bigEndian?: boolean } = {}): Uint8Array {
  const le = !o.bigEndian;
  const blocks: Uint8Array[] = [];
  const block = (type: number, body: Uint8Array) => {
    const padded = (body.length + 3) & ~3;
    const b = new Uint8Array(12 + padded);
    const v = new DataView(b.buffer);
    v.setUint32(0, type, le);
    v.setUint32(4, b.length, le);
    b.set(body, 8);
    v.setUint32(b.length - 4, b.length, le);
    blocks.push(b);
  };
  const opt = (code: number, value: Uint8Array): Uint8Array => {
    const b = new Uint8Array(4 + ((value.length + 3) & ~3));
    const v = new DataView(b.buffer);
    v.setUint16(0, code, le);
    v.setUint16(2, value.length, le);
    b.set(value, 4);
    return b;
  };
  const endOpt = new Uint8Array(4);
  const shb = new DataView(new ArrayBuffer(16));
  shb.setUint32(0, 0x1a2b3c4d, le);
  shb.setUint16(4, 1, le);
  shb.setBigInt64(8, -1n, le);
  block(0x0a0d0d0a, new Uint8Array(shb.buffer));
  for (const i of interfaces) {
    const fixed = new DataView(new ArrayBuffer(8));
    fixed.setUint16(0, i.linkType, le);
    fixed.setUint32(4, i.snapLength ?? 0, le);
    const options: Uint8Array[] = [];
    if (i.tsresol !== undefined) options.push(opt(9, Uint8Array.of(i.tsresol)));
    if (i.tsoffset !== undefined) {
      const v = new DataView(new ArrayBuffer(8));
      v.setBigInt64(0, i.tsoffset, le);
      options.push(opt(14, new Uint8Array(v.buffer)));
    }
    if (options.length) options.push(endOpt);
    block(1, concat([new Uint8Array(fixed.buffer), ...options]));
  }
  const packetBody = (p: FilePacket, units: bigint, obsolete: boolean) => {
    const fixed = new DataView(new ArrayBuffer(20));
    if (obsolete) fixed.setUint16(0, p.interfaceId ?? 0, le);
    else fixed.setUint32(0, p.interfaceId ?? 0, le);
    fixed.setUint32(4, Number(units >> 32n), le);
    fixed.setUint32(8, Number(units & 0xffffffffn), le);
    fixed.setUint32(12, p.data.length, le);
    fixed.setUint32(16, p.originalLength ?? p.data.length, le);
    const data = new Uint8Array((p.data.length + 3) & ~3);
    data.set(p.data);
    const options = p.comment ? [opt(1, new TextEncoder().encode(p.comment)), endOpt] : [];
    return concat([new Uint8Array(fixed.buffer), data, ...options]);
  };
  for (const item of items) {
    if ('epb' in item) block(6, packetBody(item.epb, item.units, false));
    else if ('pb' in item) block(2, packetBody(item.pb, item.units, true));
    else if ('spb' in item) {
      const len = new DataView(new ArrayBuffer(4));
      len.setUint32(0, item.originalLength ?? item.spb.length, le);
      block(3, concat([new Uint8Array(len.buffer), item.spb]));
    } else block(item.raw.type, item.raw.body);
  }
  return concat(blocks);
}

/** Concatenates byte arrays. */
export { concat };

/** A hex dump text2pcap reads: per packet, a time line then offset-prefixed lines of 16 bytes. */
export function hexDump(packets: Array<{ time: string; bytes: Uint8Array }>): string {
  const lines: string[] = [];
  for (const p of packets) {
    lines.push(p.time);
    for (let o = 0; o < p.bytes.length; o += 16) {
      lines.push(`${o.toString(16).padStart(6, '0')} ${[...p.bytes.subarray(o, o + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
    }
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// The modules under test end to end: a capture file's streams, for comparing with what was sent.

/** One direction of a stream: its bytes, and where bytes never captured were (offset in bytes, count). */
export interface SideSummary {
  bytes: Buffer;
  missing: Array<[number, number]>;
  /** Time of each data event, in order. */
  times: number[];
}

export interface StreamSummary {
  transport: 'tcp' | 'udp';
  family: 'IPv4' | 'IPv6';
  client: string;
  server: string;
  handshakeSeen: boolean;
  fromClient: SideSummary;
  fromServer: SideSummary;
  /** UDP: each datagram, in order, with who sent it. */
  datagrams: Array<[boolean, Buffer]>;
  ends: string[];
}

/** Reads a capture file's bytes and reassembles every stream; skipped packets counted by reason. */
export async function streamsOf(bytes: Uint8Array): Promise<{ streams: StreamSummary[]; skipped: Record<string, number>; problem: string | undefined }> {
  const { CaptureFileParser } = await import('./reader');
  const { decodePacket } = await import('./packets');
  const { Reassembler } = await import('./reassembly');
  const parser = new CaptureFileParser();
  const reassembler = new Reassembler();
  const skipped: Record<string, number> = {};
  const events = [];
  for (const p of parser.push(bytes)) {
    const d = decodePacket(p.linkType, p.data);
    if ('skipped' in d) skipped[d.skipped] = (skipped[d.skipped] ?? 0) + 1;
    else events.push(...reassembler.push(d, p.time));
  }
  events.push(...reassembler.finish());
  const streams: StreamSummary[] = [];
  const parts: Array<[Uint8Array[], Uint8Array[]]> = [];
  const show = (e: { address: string; port: number }) => (e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);
  for (const e of events) {
    if (e.kind === 'open') {
      if (e.stream !== streams.length) throw new Error(`stream ${e.stream} opened out of order`);
      const side = (): SideSummary => ({ bytes: Buffer.alloc(0), missing: [], times: [] });
      streams.push({ transport: e.transport, family: e.family, client: show(e.client), server: show(e.server), handshakeSeen: e.handshakeSeen, fromClient: side(), fromServer: side(), datagrams: [], ends: [] });
      parts.push([[], []]);
    } else if (e.kind === 'data') {
      const s = streams[e.stream]!;
      const side = e.fromClient ? s.fromClient : s.fromServer;
      const list = parts[e.stream]![e.fromClient ? 0 : 1];
      const offset = list.reduce((n, b) => n + b.length, 0);
      if (e.missingBefore) side.missing.push([offset, e.missingBefore]);
      list.push(e.bytes);
      side.times.push(e.time);
      if (s.transport === 'udp') s.datagrams.push([e.fromClient, Buffer.from(e.bytes)]);
    } else {
      streams[e.stream]!.ends.push(`${e.how} from ${e.fromClient ? 'client' : 'server'}`);
    }
  }
  streams.forEach((s, i) => {
    s.fromClient.bytes = Buffer.concat(parts[i]![0]);
    s.fromServer.bytes = Buffer.concat(parts[i]![1]);
  });
  return { streams, skipped, problem: parser.end() };
}
