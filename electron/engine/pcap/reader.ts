/**
 * Reads pcap and pcapng files incrementally: bytes go in as they are read, in any split, packets
 * come out. Malformed data never throws: the parser stops at the first damage it can see and says
 * where (problem), keeping every packet before it.
 *
 * pcap: both byte orders, microsecond and nanosecond magics. pcapng: sections in either byte
 * order, interfaces (link type, if_tsresol in both forms, if_tsoffset), enhanced, simple and
 * obsolete packet blocks, comments on packets; other blocks are skipped by their length.
 *
 * Memory is bounded: a length is checked against MAX_BLOCK before anything is allocated for it,
 * and the parser keeps no reference to the bytes pushed into it once push returns (what it holds of
 * an unfinished block is copied), so a reader may reuse its buffer.
 */
import { open } from 'node:fs/promises';

export interface RawPacket {
  linkType: number;
  /** ms since epoch, fractional. */
  time: number;
  /** The captured bytes (a copy the packet owns). */
  data: Uint8Array;
  /** The packet's length on the wire; more than data.length when the capture cut it (snaplen). */
  originalLength: number;
  comment?: string;
  /** Byte offset in the file of the packet's block (pcapng) or record header (pcap). */
  fileOffset: number;
}

/** The largest block or record accepted; a longer one is damage. */
export const MAX_BLOCK = 64 * 1024 * 1024;

const PCAP_HEADER = 24;
const PCAP_RECORD = 16;
const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 1;
const BT_PB = 2;
const BT_SPB = 3;
const BT_EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

interface Interface {
  linkType: number;
  snapLength: number;
  /** Timestamp units per second. */
  unitsPerSecond: number;
  /** Seconds added to every timestamp (if_tsoffset). */
  offsetSeconds: number;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** Hex of up to n bytes, for messages. */
function hexStart(b: Uint8Array, n: number): string {
  return [...b.subarray(0, n)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

export class CaptureFileParser {
  private _format: 'pcap' | 'pcapng' | null | undefined = undefined;
  private _problem: string | undefined;
  /** Bytes of complete blocks parsed so far (also the file offset of the next block). */
  private consumed = 0;
  /** An unfinished block, copied: carry[0, carryLength). */
  private carry = new Uint8Array(0);
  private carryLength = 0;
  private ended = false;

  // pcap
  private little = true;
  private pcapLinkType = 0;
  private pcapUnits = 1e6;
  // pcapng
  private interfaces: Interface[] = [];
  private lastTime = 0;

  /** After the first bytes: 'pcap' | 'pcapng' | null (null: not a capture file; problem says so). */
  get format(): 'pcap' | 'pcapng' | null {
    return this._format ?? null;
  }

  /** Set as soon as the parser has stopped on damage (it then ignores further bytes). */
  get problem(): string | undefined {
    return this._problem;
  }

  get bytesConsumed(): number {
    return this.consumed;
  }

  /** Feed the file's bytes as they are read (any split); returns the packets completed so far. */
  push(bytes: Uint8Array): RawPacket[] {
    const out: RawPacket[] = [];
    if (this._problem !== undefined || this.ended) return out;
    let input = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Finish the unfinished block first, taking from the input only what it still needs.
    while (this.carryLength > 0 && input.length > 0) {
      const need = this.need(this.carry, this.carryLength);
      if (need < 0) return out;
      if (need > this.carryLength) {
        const take = Math.min(need - this.carryLength, input.length);
        // Grown as bytes arrive, not to the length the block claims: a damaged length costs nothing.
        this.grow(this.carryLength + take);
        this.carry.set(input.subarray(0, take), this.carryLength);
        this.carryLength += take;
        input = input.subarray(take);
        continue;
      }
      this.unit(this.carry.subarray(0, need), out);
      this.release();
      if (this._problem !== undefined) return out;
    }
    if (this.carryLength > 0) {
      // The input ran out; the carry may be complete now (a header that needs nothing more).
      this.drainCarry(out);
      return out;
    }
    let pos = 0;
    while (pos < input.length) {
      const rest = input.subarray(pos);
      const need = this.need(rest, rest.length);
      if (need < 0) return out;
      if (need > rest.length) break;
      this.unit(rest.subarray(0, need), out);
      if (this._problem !== undefined) return out;
      pos += need;
    }
    if (pos < input.length) {
      const rest = input.subarray(pos);
      this.grow(Math.max(rest.length, 16));
      this.carry.set(rest, 0);
      this.carryLength = rest.length;
    }
    return out;
  }

  private drainCarry(out: RawPacket[]): void {
    const need = this.need(this.carry, this.carryLength);
    if (need >= 0 && need <= this.carryLength) {
      this.unit(this.carry.subarray(0, need), out);
      this.release();
    }
  }

  /** Empties the carry; a large one is let go rather than kept for the rest of the file. */
  private release(): void {
    this.carryLength = 0;
    if (this.carry.length > 1024 * 1024) this.carry = new Uint8Array(0);
  }

  private grow(size: number): void {
    if (this.carry.length >= size) return;
    const next = new Uint8Array(Math.min(Math.max(size, this.carry.length * 2), MAX_BLOCK));
    next.set(this.carry.subarray(0, this.carryLength));
    this.carry = next;
  }

  /**
   * How many bytes the unit (file header, record or block) at the start of b needs, given the
   * avail bytes there; a header size while the header is incomplete. -1 after setting problem.
   */
  private need(b: Uint8Array, avail: number): number {
    if (this._format === undefined) {
      if (avail < 4) return 4;
      if (!this.detect(b)) return -1;
    }
    const v = new DataView(b.buffer, b.byteOffset, avail);
    if (this._format === 'pcap') {
      if (this.consumed === 0) return PCAP_HEADER;
      if (avail < PCAP_RECORD) return PCAP_RECORD;
      const captured = v.getUint32(8, this.little);
      if (captured > MAX_BLOCK) {
        return this.fail(`the packet record at byte ${this.consumed} says it holds ${captured} bytes, more than the ${MAX_BLOCK / 1048576} MiB a record may hold: the file is damaged there`);
      }
      return PCAP_RECORD + captured;
    }
    // pcapng: a section header's byte order is in the block itself, after type and length.
    if (avail < 8) return 8;
    const typeLE = v.getUint32(0, true);
    if (typeLE === BT_SHB) {
      if (avail < 12) return 12;
      const magicLE = v.getUint32(8, true);
      if (magicLE === BYTE_ORDER_MAGIC) this.little = true;
      else if (magicLE === 0x4d3c2b1a) this.little = false;
      else return this.fail(`the section header at byte ${this.consumed} has no valid byte-order magic (${hexStart(b.subarray(8), 4)}): the file is damaged there`);
    } else if (this.consumed === 0) {
      return this.fail('the pcapng file does not start with a section header block');
    }
    const length = v.getUint32(4, this.little);
    if (length < 12 || length % 4 !== 0 || length > MAX_BLOCK) {
      const why = length > MAX_BLOCK ? `more than the ${MAX_BLOCK / 1048576} MiB a block may be` : length < 12 ? 'shorter than any block' : 'not a multiple of 4';
      return this.fail(`the block at byte ${this.consumed} says it is ${length} bytes long, ${why}: the file is damaged there`);
    }
    return length;
  }

  private detect(b: Uint8Array): boolean {
    const magic = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    switch (magic) {
      case 0xa1b2c3d4:
      case 0xa1b23c4d:
        this._format = 'pcap';
        this.little = false;
        this.pcapUnits = magic === 0xa1b2c3d4 ? 1e6 : 1e9;
        return true;
      case 0xd4c3b2a1:
      case 0x4d3cb2a1:
        this._format = 'pcap';
        this.little = true;
        this.pcapUnits = magic === 0xd4c3b2a1 ? 1e6 : 1e9;
        return true;
      case BT_SHB:
        this._format = 'pcapng';
        return true;
    }
    this._format = null;
    const what = b[0] === 0x1f && b[1] === 0x8b ? ' (it is gzip-compressed: uncompress it first)' : '';
    this.fail(`not a pcap or pcapng file${what}: it starts with bytes ${hexStart(b, 4)}`);
    return false;
  }

  private fail(message: string): -1 {
    this._problem ??= message;
    this.carryLength = 0;
    this.carry = new Uint8Array(0);
    return -1;
  }

  /** One complete unit (exactly its bytes). Sets problem on damage inside it. */
  private unit(b: Uint8Array, out: RawPacket[]): void {
    const at = this.consumed;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (this._format === 'pcap') {
      if (at === 0) this.pcapHeader(v);
      else this.pcapRecord(b, v, at, out);
    } else {
      this.pcapngBlock(b, v, at, out);
    }
    if (this._problem === undefined) this.consumed += b.length;
  }

  private pcapHeader(v: DataView): void {
    const major = v.getUint16(4, this.little);
    if (major !== 2) {
      this.fail(`the pcap file header says version ${major}.${v.getUint16(6, this.little)}; only version 2 exists`);
      return;
    }
    // The link type is in the low 16 bits; the bits above say whether frames carry an FCS.
    this.pcapLinkType = v.getUint32(20, this.little) & 0xffff;
  }

  private pcapRecord(b: Uint8Array, v: DataView, at: number, out: RawPacket[]): void {
    const seconds = v.getUint32(0, this.little);
    const fraction = v.getUint32(4, this.little);
    const captured = v.getUint32(8, this.little);
    const original = v.getUint32(12, this.little);
    out.push({
      linkType: this.pcapLinkType,
      time: seconds * 1000 + (fraction * 1000) / this.pcapUnits,
      data: b.slice(PCAP_RECORD, PCAP_RECORD + captured),
      originalLength: Math.max(original, captured),
      fileOffset: at,
    });
  }

  private pcapngBlock(b: Uint8Array, v: DataView, at: number, out: RawPacket[]): void {
    const length = b.length;
    const type = v.getUint32(0, this.little);
    if (v.getUint32(length - 4, this.little) !== length) {
      this.fail(`the block at byte ${at} says it is ${length} bytes long at its start but ${v.getUint32(length - 4, this.little)} at its end: the file is damaged there`);
      return;
    }
    switch (type) {
      case BT_SHB: {
        if (length < 28) {
          this.fail(`the section header at byte ${at} is ${length} bytes long, too short for one`);
          return;
        }
        const major = v.getUint16(12, this.little);
        if (major !== 1) {
          this.fail(`the section at byte ${at} is pcapng version ${major}.${v.getUint16(14, this.little)}, which this reader does not know`);
          return;
        }
        this.interfaces = [];
        return;
      }
      case BT_IDB: {
        if (length < 20) {
          this.fail(`the interface description at byte ${at} is ${length} bytes long, too short for one`);
          return;
        }
        const iface: Interface = { linkType: v.getUint16(8, this.little), snapLength: v.getUint32(12, this.little), unitsPerSecond: 1e6, offsetSeconds: 0 };
        this.options(b, v, 16, (code, value, vv) => {
          if (code === 9 && value.length >= 1) {
            const r = value[0]!;
            const exponent = r & 0x7f;
            iface.unitsPerSecond = r & 0x80 ? 2 ** exponent : 10 ** exponent;
          } else if (code === 14 && value.length >= 8) {
            iface.offsetSeconds = Number(vv.getBigInt64(0, this.little));
          }
        });
        if (!(iface.unitsPerSecond >= 1 && Number.isFinite(iface.unitsPerSecond))) iface.unitsPerSecond = 1e6;
        this.interfaces.push(iface);
        return;
      }
      case BT_EPB:
      case BT_PB: {
        const fixed = 28; // both: interface, (drops,) timestamp, lengths
        if (length < fixed + 4) {
          this.fail(`the packet block at byte ${at} is ${length} bytes long, too short for one`);
          return;
        }
        const ifaceId = type === BT_EPB ? v.getUint32(8, this.little) : v.getUint16(8, this.little);
        const iface = this.interfaces[ifaceId];
        if (!iface) {
          this.fail(`the packet block at byte ${at} names interface ${ifaceId}, but the section describes ${this.interfaces.length}: the file is damaged there`);
          return;
        }
        const captured = v.getUint32(20, this.little);
        const original = v.getUint32(24, this.little);
        if (fixed + captured + 4 > length) {
          this.fail(`the packet block at byte ${at} says it holds ${captured} bytes but is only ${length} bytes long: the file is damaged there`);
          return;
        }
        const time = this.time(iface, v.getUint32(12, this.little), v.getUint32(16, this.little));
        let comment: string | undefined;
        this.options(b, v, fixed + ((captured + 3) & ~3), (code, value) => {
          if (code === 1) comment = comment === undefined ? decoder.decode(value) : `${comment}\n${decoder.decode(value)}`;
        });
        this.lastTime = time;
        const packet: RawPacket = { linkType: iface.linkType, time, data: b.slice(fixed, fixed + captured), originalLength: Math.max(original, captured), fileOffset: at };
        if (comment !== undefined) packet.comment = comment;
        out.push(packet);
        return;
      }
      case BT_SPB: {
        const iface = this.interfaces[0];
        if (!iface) {
          this.fail(`the simple packet block at byte ${at} comes before any interface is described: the file is damaged there`);
          return;
        }
        if (length < 16) {
          this.fail(`the simple packet block at byte ${at} is ${length} bytes long, too short for one`);
          return;
        }
        const original = v.getUint32(8, this.little);
        // Its captured length is not stored: the packet's length, cut to the snap length and the block.
        let captured = Math.min(original, length - 16);
        if (iface.snapLength > 0) captured = Math.min(captured, iface.snapLength);
        out.push({ linkType: iface.linkType, time: this.lastTime, data: b.slice(12, 12 + captured), originalLength: Math.max(original, captured), fileOffset: at });
        return;
      }
      default:
        // Name resolution, statistics, decryption secrets, custom and future blocks: not needed here.
        return;
    }
  }

  private time(iface: Interface, high: number, low: number): number {
    const units = high * 0x100000000 + low;
    const whole = Math.floor(units / iface.unitsPerSecond);
    const rest = units - whole * iface.unitsPerSecond;
    return (whole + iface.offsetSeconds) * 1000 + (rest * 1000) / iface.unitsPerSecond;
  }

  /** Calls each(code, value) for the options from offset `from` to the block's trailing length. Stops quietly at a malformed one. */
  private options(b: Uint8Array, v: DataView, from: number, each: (code: number, value: Uint8Array, view: DataView) => void): void {
    const end = b.length - 4;
    let at = from;
    while (at + 4 <= end) {
      const code = v.getUint16(at, this.little);
      const length = v.getUint16(at + 2, this.little);
      if (code === 0) return;
      if (at + 4 + length > end) return;
      const value = b.subarray(at + 4, at + 4 + length);
      each(code, value, new DataView(value.buffer, value.byteOffset, value.byteLength));
      at += 4 + ((length + 3) & ~3);
    }
  }

  /**
   * End of file: says why the file stopped early, if it did, or undefined for a clean end. The
   * answer is also kept as problem.
   */
  end(): string | undefined {
    if (this.ended) return this._problem;
    this.ended = true;
    if (this._problem !== undefined) return this._problem;
    const n = this.carryLength;
    const at = this.consumed;
    if (this._format === undefined) {
      this.fail(n === 0 ? 'the file is empty' : `the file is ${n} bytes long, too short to be a capture file`);
      return this._problem;
    }
    if (this._format === 'pcap' && at === 0) {
      this.fail(`the file ends before its pcap file header is complete (${n} of ${PCAP_HEADER} bytes are there)`);
    } else if (n > 0) {
      const need = this.need(this.carry, n);
      if (need < 0) return this._problem;
      const header = this._format === 'pcap' ? PCAP_RECORD : this.carry[0] === 0x0a && this.carry[3] === 0x0a ? 12 : 8;
      const what = this._format === 'pcap' ? 'packet record' : 'block';
      if (n < header) this.fail(`the file ends in the middle of a ${what} header at byte ${at} (${n} of ${header} bytes are there)`);
      else this.fail(`the ${what} at byte ${at} says it is ${need} bytes long but the file ends ${n} bytes later`);
    }
    return this._problem;
  }
}

/**
 * Reads a capture file in large pieces with flat memory (one read buffer, reused), calling
 * onPackets for each batch and waiting for it. Stops early, resolving with what was read and the
 * problem "cancelled", when the signal aborts.
 */
export async function readCaptureFile(
  path: string,
  onPackets: (packets: RawPacket[]) => void | Promise<void>,
  options?: { signal?: AbortSignal; onProgress?: (bytesRead: number, totalBytes: number) => void; chunkSize?: number },
): Promise<{ packets: number; bytes: number; problem?: string }> {
  const handle = await open(path, 'r');
  try {
    const total = (await handle.stat()).size;
    const buffer = new Uint8Array(options?.chunkSize ?? 4 * 1024 * 1024);
    const parser = new CaptureFileParser();
    let bytes = 0;
    let packets = 0;
    for (;;) {
      if (options?.signal?.aborted) return { packets, bytes, problem: 'cancelled' };
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      bytes += bytesRead;
      const batch = parser.push(buffer.subarray(0, bytesRead));
      if (batch.length) {
        packets += batch.length;
        await onPackets(batch);
      }
      options?.onProgress?.(bytes, total);
      if (parser.problem !== undefined) break;
    }
    const problem = parser.end();
    return problem === undefined ? { packets, bytes } : { packets, bytes, problem };
  } finally {
    await handle.close();
  }
}
