/**
 * Turns decoded packets into streams: TCP connections with their bytes in order, each byte once,
 * and UDP flows, one data event per datagram.
 *
 * Streams are numbered from 0 in order of first appearance, TCP and UDP in one numbering. TCP: the
 * client is the SYN sender (SYN without ACK), the receiver of a SYN-ACK when the SYN was not
 * captured, else the first sender. Data before any SYN starts at the first sequence number seen.
 * Out-of-order segments are held, up to maxBufferedBytes per direction and maxBufferedTotal over
 * all streams. A hole is skipped, and reported as missingBefore on the next data event, when the
 * other side acknowledges bytes past it (they went by uncaptured, as Wireshark's "ACKed unseen
 * segment"), when the bounds are exceeded, and at the end. Bytes missing at the very end of a direction (a hole before the FIN, a payload
 * the capture cut) come as a data event with no bytes and missingBefore set.
 *
 * A stream leaves the table when it ends (FIN both ways, or a reset); later packets of that
 * 4-tuple are ignored until a new SYN starts a new stream. The live tables are bounded too: past
 * maxFlows, the flow idle longest is let go (its held bytes delivered) and a packet of it later
 * opens a new stream.
 */
import type { FlowEndpoint } from './pcapng-writer';
import type { DecodedPacket } from './packets';
import { TcpDirection, type Delivery } from './tcp-direction';

export type { FlowEndpoint };

export type StreamEvent =
  | { kind: 'open'; stream: number; transport: 'tcp' | 'udp'; family: 'IPv4' | 'IPv6'; client: FlowEndpoint; server: FlowEndpoint; time: number; handshakeSeen: boolean }
  | {
      kind: 'data';
      stream: number;
      fromClient: boolean;
      time: number;
      bytes: Uint8Array;
      /** bytes of this direction never captured right before these */
      missingBefore: number;
      /** UDP only: bytes of this datagram the capture cut off (snaplen). */
      missingAfter?: number;
    }
  | { kind: 'end'; stream: number; time: number; how: 'fin' | 'reset'; fromClient: boolean };

export interface ReassemblerOptions {
  /** Out-of-order bytes held per direction (default 4 MiB). */
  maxBufferedBytes?: number;
  /** Out-of-order bytes held over all streams (default 64 MiB). */
  maxBufferedTotal?: number;
  /** Live TCP streams, and UDP flows, kept (default 100 000 each). */
  maxFlows?: number;
}

const FIN = 1;
const SYN = 2;
const RST = 4;
const ACK = 16;

interface TcpStream {
  id: number;
  key: string;
  /** "address|port" of the client. */
  clientKey: string;
  /** The client's SYN sequence number, when the handshake was seen. */
  clientIsn: number | undefined;
  dirs: [TcpDirection, TcpDirection];
  lastTime: number;
}

interface UdpFlow {
  id: number;
  clientKey: string;
}

/** Remembered ended 4-tuples, so their late packets do not open streams. */
const ENDED_REMEMBERED = 65536;

export class Reassembler {
  private readonly maxBuffered: number;
  private readonly maxTotal: number;
  private readonly maxFlows: number;
  private nextId = 0;
  private readonly tcp = new Map<string, TcpStream>();
  private readonly udp = new Map<string, UdpFlow>();
  private readonly ended = new Map<string, true>();
  /** Directions holding out-of-order bytes, with their stream, for the total bound. */
  private readonly holding = new Map<TcpDirection, TcpStream>();
  private heldTotal = 0;

  constructor(options?: ReassemblerOptions) {
    this.maxBuffered = options?.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.maxTotal = options?.maxBufferedTotal ?? 64 * 1024 * 1024;
    this.maxFlows = options?.maxFlows ?? 100_000;
  }

  push(packet: DecodedPacket, time: number): StreamEvent[] {
    const out: StreamEvent[] = [];
    if (packet.transport === 'udp') this.pushUdp(packet, time, out);
    else this.pushTcp(packet, time, out);
    return out;
  }

  /** End of file: flushes what is held (holes become missingBefore) and forgets every flow. */
  finish(): StreamEvent[] {
    const out: StreamEvent[] = [];
    for (const s of this.tcp.values()) this.flushStream(s, s.lastTime, out);
    this.tcp.clear();
    this.udp.clear();
    this.ended.clear();
    this.holding.clear();
    this.heldTotal = 0;
    return out;
  }

  private pushUdp(p: DecodedPacket, time: number, out: StreamEvent[]): void {
    const a = `${p.src}|${p.srcPort}`;
    const b = `${p.dst}|${p.dstPort}`;
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    let flow = this.udp.get(key);
    if (flow) {
      this.udp.delete(key); // re-inserted last: the Map's order is least recently active first
    } else {
      flow = { id: this.nextId++, clientKey: a };
      out.push({ kind: 'open', stream: flow.id, transport: 'udp', family: p.family, client: { address: p.src, port: p.srcPort }, server: { address: p.dst, port: p.dstPort }, time, handshakeSeen: false });
      if (this.udp.size >= this.maxFlows) this.udp.delete(this.udp.keys().next().value!);
    }
    this.udp.set(key, flow);
    const event: StreamEvent = { kind: 'data', stream: flow.id, fromClient: flow.clientKey === a, time, bytes: p.payload, missingBefore: 0 };
    if (p.missing > 0) event.missingAfter = p.missing;
    out.push(event);
  }

  private pushTcp(p: DecodedPacket, time: number, out: StreamEvent[]): void {
    const tcp = p.tcp;
    if (!tcp) return;
    const a = `${p.src}|${p.srcPort}`;
    const b = `${p.dst}|${p.dstPort}`;
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    const flags = tcp.flags;
    const syn = (flags & (SYN | ACK)) === SYN;
    let s = this.tcp.get(key);
    // A SYN, other than a retransmission of the one that opened the stream, is a new connection on
    // the 4-tuple of one not seen to end (port reuse): a new stream.
    if (s && syn && !(s.clientKey === a && s.clientIsn === tcp.seq)) {
      this.flushStream(s, time, out, false);
      this.retire(key);
      s = undefined;
    }
    if (!s) {
      if (!syn && this.ended.has(key)) return; // a late packet of a stream that ended
      if (flags & RST && p.payload.length === 0) return; // a lone reset: nothing to show
      s = this.open(key, p, a, b, syn, time, out);
    } else {
      this.tcp.delete(key);
      this.tcp.set(key, s);
    }
    s.lastTime = time;
    const fromClient = s.clientKey === a;
    const dir = s.dirs[fromClient ? 0 : 1];
    let seq = tcp.seq;
    if (flags & SYN) {
      dir.base ??= (seq + 1) >>> 0;
      seq = (seq + 1) >>> 0;
    }
    const length = p.payload.length + p.missing;
    if (dir.base === undefined && (length > 0 || flags & FIN)) dir.base = seq;
    const other = s.dirs[fromClient ? 1 : 0];
    if (flags & ACK && other.base !== undefined && !(flags & RST)) {
      const acked: Delivery[] = [];
      const before = other.heldBytes;
      other.acknowledged(other.offset(tcp.ack), acked);
      this.account(other, s, other.heldBytes - before);
      this.emit(s, !fromClient, acked, out);
    }
    const deliveries: Delivery[] = [];
    if (dir.base !== undefined) {
      const start = dir.offset(seq);
      const heldBefore = dir.heldBytes;
      if (length > 0) dir.add(start, p.payload, p.missing, time, deliveries);
      if (flags & FIN && dir.finAt === undefined) {
        dir.finAt = start + length;
        dir.finTime = time;
      }
      while (dir.heldBytes > this.maxBuffered) dir.skipHole(deliveries);
      this.account(dir, s, dir.heldBytes - heldBefore);
    }
    this.emit(s, fromClient, deliveries, out);
    if (flags & RST) {
      this.flushStream(s, time, out);
      out.push({ kind: 'end', stream: s.id, time, how: 'reset', fromClient });
      this.retire(key);
      return;
    }
    this.checkFins(s, out);
    if (this.heldTotal > this.maxTotal) this.relieve(out);
  }

  private open(key: string, p: DecodedPacket, a: string, b: string, syn: boolean, time: number, out: StreamEvent[]): TcpStream {
    const synAck = !!p.tcp && (p.tcp.flags & (SYN | ACK)) === (SYN | ACK);
    const clientIsSrc = !synAck;
    const s: TcpStream = { id: this.nextId++, key, clientKey: clientIsSrc ? a : b, clientIsn: syn ? p.tcp!.seq : undefined, dirs: [new TcpDirection(), new TcpDirection()], lastTime: time };
    const src = { address: p.src, port: p.srcPort };
    const dst = { address: p.dst, port: p.dstPort };
    out.push({ kind: 'open', stream: s.id, transport: 'tcp', family: p.family, client: clientIsSrc ? src : dst, server: clientIsSrc ? dst : src, time, handshakeSeen: syn });
    this.ended.delete(key);
    if (this.tcp.size >= this.maxFlows) {
      const old = this.tcp.values().next().value!;
      this.flushStream(old, time, out, false);
      this.tcp.delete(old.key);
    }
    this.tcp.set(key, s);
    return s;
  }

  private emit(s: TcpStream, fromClient: boolean, deliveries: Delivery[], out: StreamEvent[]): void {
    for (const d of deliveries) out.push({ kind: 'data', stream: s.id, fromClient, time: d.time, bytes: d.bytes, missingBefore: d.missingBefore });
  }

  /** Ends for FINs now reached; the stream is retired once both directions have ended. */
  private checkFins(s: TcpStream, out: StreamEvent[]): void {
    for (const i of [0, 1] as const) {
      const dir = s.dirs[i];
      if (!dir.finReached()) continue;
      dir.finDone = true;
      if (dir.missing > 0) {
        this.emit(s, i === 0, [{ time: dir.finTime, bytes: new Uint8Array(0), missingBefore: dir.missing }], out);
        dir.missing = 0;
      }
      out.push({ kind: 'end', stream: s.id, time: dir.finTime, how: 'fin', fromClient: i === 0 });
    }
    if (s.dirs[0].finDone && s.dirs[1].finDone) this.retire(s.key);
  }

  /**
   * Delivers everything a stream holds, holes as missing; with ends, a FIN behind a hole ends its
   * direction (bytes before it that never came are reported first).
   */
  private flushStream(s: TcpStream, time: number, out: StreamEvent[], ends = true): void {
    for (const i of [0, 1] as const) {
      const dir = s.dirs[i];
      const deliveries: Delivery[] = [];
      const before = dir.heldBytes;
      dir.flush(deliveries);
      this.account(dir, s, dir.heldBytes - before);
      const finPending = ends && dir.finAt !== undefined && !dir.finDone;
      if (finPending && dir.next < dir.finAt!) {
        dir.missing += dir.finAt! - dir.next;
        dir.next = dir.finAt!;
      }
      if (dir.missing > 0) {
        deliveries.push({ time: finPending ? dir.finTime : time, bytes: new Uint8Array(0), missingBefore: dir.missing });
        dir.missing = 0;
      }
      this.emit(s, i === 0, deliveries, out);
      if (finPending) {
        dir.finDone = true;
        out.push({ kind: 'end', stream: s.id, time: dir.finTime, how: 'fin', fromClient: i === 0 });
      }
    }
  }

  private retire(key: string): void {
    const s = this.tcp.get(key);
    if (s) this.forgetHolding(s);
    this.tcp.delete(key);
    this.ended.delete(key);
    this.ended.set(key, true);
    if (this.ended.size > ENDED_REMEMBERED) this.ended.delete(this.ended.keys().next().value!);
  }

  private account(dir: TcpDirection, s: TcpStream, change: number): void {
    this.heldTotal += change;
    if (dir.heldBytes > 0) this.holding.set(dir, s);
    else this.holding.delete(dir);
  }

  private forgetHolding(s: TcpStream): void {
    for (const dir of s.dirs) {
      if (this.holding.delete(dir)) this.heldTotal -= dir.heldBytes;
    }
  }

  /** Over the total bound: the direction holding the most skips its holes until it holds nothing. */
  private relieve(out: StreamEvent[]): void {
    while (this.heldTotal > this.maxTotal && this.holding.size) {
      let most: TcpDirection | undefined;
      for (const dir of this.holding.keys()) if (!most || dir.heldBytes > most.heldBytes) most = dir;
      const s = this.holding.get(most!)!;
      const before = most!.heldBytes;
      const deliveries: Delivery[] = [];
      most!.flush(deliveries);
      this.account(most!, s, most!.heldBytes - before);
      this.emit(s, s.dirs[0] === most, deliveries, out);
      if (this.tcp.get(s.key) === s) this.checkFins(s, out);
    }
  }
}
