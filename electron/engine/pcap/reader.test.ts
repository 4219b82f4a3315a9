import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureFileParser, MAX_BLOCK, readCaptureFile, type RawPacket } from './reader';
import {
  concat,
  epochText,
  frame,
  ipv4Packet,
  missingTools,
  pcapFile,
  pcapngSection,
  randomBytes,
  run,
  seeded,
  skipNote,
  tcpSegment,
  tempDir,
  tsharkFrames,
  type FilePacket,
} from './testing';

/** Parses a whole file in one push. */
function parse(bytes: Uint8Array): { packets: RawPacket[]; problem: string | undefined; parser: CaptureFileParser } {
  const parser = new CaptureFileParser();
  const packets = parser.push(bytes);
  return { packets, problem: parser.end(), parser };
}

/** Parses a file pushed in the given piece sizes, from one buffer reused for every piece. */
function parseInPieces(bytes: Uint8Array, sizes: () => number): { packets: RawPacket[]; problem: string | undefined } {
  const parser = new CaptureFileParser();
  const packets: RawPacket[] = [];
  const reused = new Uint8Array(bytes.length + 1);
  for (let at = 0; at < bytes.length; ) {
    const n = Math.min(bytes.length - at, Math.max(1, sizes()));
    reused.set(bytes.subarray(at, at + n));
    packets.push(...parser.push(reused.subarray(0, n)));
    reused.fill(0xee); // whatever the parser kept must be its own copy
    at += n;
  }
  return { packets, problem: parser.end() };
}

const SECOND = 1_700_000_000;
const tcp = (n: number, payload: number[] = []) => ipv4Packet('10.0.0.1', '10.0.0.2', 6, tcpSegment('10.0.0.1', '10.0.0.2', 1000 + n, 80, { seq: n * 1000, ack: 1, flags: 0x18 }, payload));

/** Packets with times at microsecond (or nanosecond) resolution, one cut by the snap length. */
function samplePackets(nano: boolean): FilePacket[] {
  const random = seeded(nano ? 2 : 1);
  return [0, 1, 2, 3, 4].map((n) => {
    const data = frame.ethernet(tcp(n, [...randomBytes(random, n * 37)]));
    const cut = n === 3 ? data.subarray(0, 54) : data;
    return { seconds: SECOND + n, fraction: nano ? 123_456_789 + n : 654_321 + n, data: cut, originalLength: data.length };
  });
}

/** Every way pcapng can say what a packet is: sections of both byte orders, resolutions, offsets, block kinds. */
function pcapngFixture(): { bytes: Uint8Array; expected: Array<{ linkType: number; time: number | 'previous'; data: Uint8Array; originalLength: number; comment?: string }> } {
  const random = seeded(4);
  const eth = frame.ethernet(tcp(1, [1, 2, 3]));
  const raw = tcp(2, [...randomBytes(random, 100)]);
  const sll = frame.sll(tcp(3, [...randomBytes(random, 200)]));
  const long = frame.ethernet(tcp(4, [...randomBytes(random, 300)]));
  const section1 = pcapngSection(
    [
      { linkType: 1 },
      { linkType: 101, tsresol: 9, tsoffset: 100n },
      { linkType: 1, tsresol: 0x80 | 20 }, // 2^-20 s
    ],
    [
      { raw: { type: 4, body: Uint8Array.of(1, 0, 6, 0, 10, 0, 0, 1, 0x68, 0, 0, 0, 0, 0, 0, 0) } }, // name resolution: 10.0.0.1 is "h"
      { epb: { seconds: 0, fraction: 0, data: eth, comment: 'first packet, ünïcode' }, units: BigInt(SECOND) * 1_000_000n + 250_000n },
      { epb: { seconds: 0, fraction: 0, data: raw, interfaceId: 1 }, units: BigInt(SECOND) * 1_000_000_000n + 123_456_789n },
      { raw: { type: 5, body: new Uint8Array(12) } }, // interface statistics
      { epb: { seconds: 0, fraction: 0, data: long.subarray(0, 100), originalLength: long.length, interfaceId: 2 }, units: (BigInt(SECOND) << 20n) + (1n << 19n) },
      { raw: { type: 0x0a, body: new Uint8Array(8) } }, // decryption secrets
      { raw: { type: 0x00000bad, body: Uint8Array.of(0, 0, 0x7e, 0xd8, 1, 2, 3, 4) } }, // custom block
      { pb: { seconds: 0, fraction: 0, data: eth }, units: BigInt(SECOND + 5) * 1_000_000n },
    ],
  );
  const section2 = pcapngSection(
    [{ linkType: 113, snapLength: 62 }],
    [
      { epb: { seconds: 0, fraction: 0, data: sll.subarray(0, 62), originalLength: sll.length, comment: 'big-endian section' }, units: BigInt(SECOND + 9) * 1_000_000n + 1n },
      { spb: sll.subarray(0, 62), originalLength: sll.length },
      { spb: eth.subarray(0, 40), originalLength: 40 },
    ],
    { bigEndian: true },
  );
  const t0 = SECOND * 1000;
  return {
    bytes: concat([section1, section2]),
    expected: [
      { linkType: 1, time: t0 + 250, data: eth, originalLength: eth.length, comment: 'first packet, ünïcode' },
      { linkType: 101, time: t0 + 100_000 + 123.456789, data: raw, originalLength: raw.length },
      { linkType: 1, time: t0 + 500, data: long.subarray(0, 100), originalLength: long.length },
      { linkType: 1, time: t0 + 5000, data: eth, originalLength: eth.length },
      { linkType: 113, time: t0 + 9000.001, data: sll.subarray(0, 62), originalLength: sll.length, comment: 'big-endian section' },
      { linkType: 113, time: 'previous', data: sll.subarray(0, 62), originalLength: sll.length },
      { linkType: 113, time: 'previous', data: eth.subarray(0, 40), originalLength: 40 },
    ],
  };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('pcap', () => {
  for (const bigEndian of [false, true]) {
    for (const nanoseconds of [false, true]) {
      it(`reads ${bigEndian ? 'big' : 'little'}-endian pcap with ${nanoseconds ? 'nano' : 'micro'}second times, a packet cut by the snap length included`, () => {
        const packets = samplePackets(nanoseconds);
        const { packets: got, problem, parser } = parse(pcapFile(1, packets, { bigEndian, nanoseconds }));
        expect(problem).toBeUndefined();
        expect(parser.format).toBe('pcap');
        expect(got).toHaveLength(5);
        got.forEach((p, i) => {
          const want = packets[i]!;
          expect(p.linkType).toBe(1);
          // ms since the epoch in a double: exact to the microsecond, within a quarter of one below.
          if (nanoseconds) expect(Math.abs(p.time * 1e6 - (want.seconds * 1e9 + want.fraction))).toBeLessThan(512);
          else expect(Math.round(p.time * 1000)).toBe(want.seconds * 1e6 + want.fraction);
          expect(hex(p.data)).toBe(hex(want.data));
          expect(p.originalLength).toBe(want.originalLength);
        });
        expect(got[3]!.data.length).toBe(54);
        expect(got[3]!.originalLength).toBeGreaterThan(54);
        expect(got.map((p) => p.fileOffset)).toEqual(packets.reduce<number[]>((offsets, p, i) => [...offsets, i === 0 ? 24 : offsets[i - 1]! + 16 + packets[i - 1]!.data.length], []));
      });
    }
  }
});

describe('pcapng', () => {
  it('reads sections of both byte orders, every resolution and offset, EPB, SPB and PB, comments, and skips other blocks', () => {
    const { bytes, expected } = pcapngFixture();
    const { packets, problem, parser } = parse(bytes);
    expect(problem).toBeUndefined();
    expect(parser.format).toBe('pcapng');
    expect(parser.bytesConsumed).toBe(bytes.length);
    expect(packets).toHaveLength(expected.length);
    let previous = 0;
    packets.forEach((p, i) => {
      const want = expected[i]!;
      expect(p.linkType, `packet ${i}`).toBe(want.linkType);
      expect(p.time, `packet ${i}`).toBeCloseTo(want.time === 'previous' ? previous : want.time, 6);
      expect(hex(p.data), `packet ${i}`).toBe(hex(want.data));
      expect(p.originalLength, `packet ${i}`).toBe(want.originalLength);
      expect(p.comment, `packet ${i}`).toBe(want.comment);
      previous = p.time;
    });
  });
});

const toolsMissing = missingTools('tshark', 'text2pcap');

describe.skipIf(toolsMissing !== '')(`the reader agrees with tshark${skipNote(toolsMissing)}`, () => {
  /** Every packet the reader returns matches tshark's reading of the same file. */
  function agree(file: string, noTime: number[] = []): RawPacket[] {
    // tshark shows a custom block as a frame of its own; it holds no packet.
    const frames = tsharkFrames(file).filter((f) => f.encap !== undefined);
    const { packets, problem } = parse(new Uint8Array(readFileSync(file)));
    expect(problem).toBeUndefined();
    expect(packets.length).toBe(frames.length);
    packets.forEach((p, i) => {
      const f = frames[i]!;
      expect(hex(p.data), `packet ${i}`).toBe(f.hex);
      expect(p.data.length).toBe(f.captured);
      expect(p.originalLength).toBe(f.length);
      expect(p.comment).toBe(f.comment);
      if (!noTime.includes(i)) {
        // Within a microsecond: ms since the epoch in a double keeps about a quarter of one.
        const ns = BigInt(f.epoch.replace('.', ''));
        const ours = BigInt(epochText(p.time).replace('.', ''));
        expect(Number(ours - ns), `time of packet ${i}`).toBeLessThan(1000);
        expect(Number(ns - ours), `time of packet ${i}`).toBeLessThan(1000);
      }
    });
    return packets;
  }

  it('files text2pcap writes: pcapng, pcap, nanosecond pcap', () => {
    const dir = tempDir();
    const dump = join(dir, 'dump.txt');
    // Direction-marked hex dumps; text2pcap adds Ethernet, IPv4 and TCP headers and keeps sequence numbers.
    const lines: string[] = [];
    const random = seeded(12);
    for (let i = 0; i < 30; i++) {
      const bytes = randomBytes(random, 1 + ((random() * 300) | 0));
      lines.push(`${i % 3 ? 'O' : 'I'} 12:00:${String(i).padStart(2, '0')}.${String(i * 7919).padStart(6, '0')}`);
      for (let o = 0; o < bytes.length; o += 16) lines.push(`${o.toString(16).padStart(6, '0')} ${[...bytes.subarray(o, o + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
    }
    writeFileSync(dump, lines.join('\n') + '\n');
    for (const format of ['pcapng', 'pcap', 'nsecpcap']) {
      const file = join(dir, `t.${format}`);
      run('text2pcap', ['-q', '-D', '-t', '%H:%M:%S.%f', '-F', format, '-T', '40000,7000', dump, file]);
      expect(agree(file)).toHaveLength(30);
    }
  });

  it('the builder-made pcap and pcapng files, as tshark reads them', () => {
    const dir = tempDir();
    for (const [name, bytes] of [
      ['le.pcap', pcapFile(1, samplePackets(false))],
      ['be-nano.pcap', pcapFile(1, samplePackets(true), { bigEndian: true, nanoseconds: true })],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      agree(file);
    }
    // tshark gives a simple packet block (the last two) no time at all; the reader keeps the previous packet's.
    const file = join(dir, 'mixed.pcapng');
    writeFileSync(file, pcapngFixture().bytes);
    expect(agree(file, [5, 6])).toHaveLength(7);
  });
});

describe('reading in pieces', () => {
  it('gives the same packets for any split, from a buffer the caller reuses', () => {
    const random = seeded(21);
    for (const bytes of [pcapngFixture().bytes, pcapFile(1, samplePackets(false)), pcapFile(1, samplePackets(true), { bigEndian: true, nanoseconds: true })]) {
      const whole = parse(bytes);
      for (const sizes of [() => 1, () => 3, () => 4096, () => 1 + ((random() * 200) | 0), () => (random() < 0.5 ? 1 : 64)]) {
        const pieces = parseInPieces(bytes, sizes);
        expect(pieces.problem).toBe(whole.problem);
        expect(pieces.packets.map((p) => [hex(p.data), p.time, p.fileOffset, p.comment])).toEqual(whole.packets.map((p) => [hex(p.data), p.time, p.fileOffset, p.comment]));
      }
    }
  });
});

describe('damage is reported with where it is, and never thrown', () => {
  const good = pcapngFixture().bytes;
  const firstEpb = parse(good).packets[0]!.fileOffset;

  function at(bytes: Uint8Array, offset: number, fill: (v: DataView) => void): Uint8Array {
    const copy = bytes.slice();
    fill(new DataView(copy.buffer, offset));
    return copy;
  }

  it('a file that ends inside a block keeps every packet before it and says how much is missing', () => {
    const { packets: all } = parse(good);
    const last = all[all.length - 1]!;
    const cut = good.subarray(0, last.fileOffset + 10);
    const { packets, problem } = parse(cut);
    expect(packets).toHaveLength(all.length - 1);
    expect(problem).toBe(`the block at byte ${last.fileOffset} says it is ${good.length - last.fileOffset} bytes long but the file ends 10 bytes later`);
    const header = parse(good.subarray(0, last.fileOffset + 5));
    expect(header.problem).toBe(`the file ends in the middle of a block header at byte ${last.fileOffset} (5 of 8 bytes are there)`);
    const pcap = pcapFile(1, samplePackets(false));
    expect(parse(pcap.subarray(0, 24 + 16 + 10)).problem).toMatch(/^the packet record at byte 24 says it is \d+ bytes long but the file ends 26 bytes later$/);
    expect(parse(pcap.subarray(0, 30)).problem).toBe('the file ends in the middle of a packet record header at byte 24 (6 of 16 bytes are there)');
    expect(parse(pcap.subarray(0, 20)).problem).toBe('the file ends before its pcap file header is complete (20 of 24 bytes are there)');
  });

  it('lengths that cannot be: too long, not a multiple of 4, different at both ends', () => {
    const huge = parse(at(good, firstEpb + 4, (v) => v.setUint32(0, MAX_BLOCK + 4, true)));
    expect(huge.problem).toBe(`the block at byte ${firstEpb} says it is ${MAX_BLOCK + 4} bytes long, more than the 64 MiB a block may be: the file is damaged there`);
    expect(huge.packets).toHaveLength(0);
    expect(parse(at(good, firstEpb + 4, (v) => v.setUint32(0, 30, true))).problem).toBe(`the block at byte ${firstEpb} says it is 30 bytes long, not a multiple of 4: the file is damaged there`);
    expect(parse(at(good, firstEpb + 4, (v) => v.setUint32(0, 8, true))).problem).toBe(`the block at byte ${firstEpb} says it is 8 bytes long, shorter than any block: the file is damaged there`);
    const epbLength = new DataView(good.buffer, good.byteOffset).getUint32(firstEpb + 4, true);
    const trailer = parse(at(good, firstEpb + epbLength - 4, (v) => v.setUint32(0, 1234, true)));
    expect(trailer.problem).toBe(`the block at byte ${firstEpb} says it is ${epbLength} bytes long at its start but 1234 at its end: the file is damaged there`);
    expect(parse(at(good, firstEpb + 8, (v) => v.setUint32(0, 7, true))).problem).toBe(`the packet block at byte ${firstEpb} names interface 7, but the section describes 3: the file is damaged there`);
    const pcap = pcapFile(1, samplePackets(false));
    expect(parse(at(pcap, 24 + 8, (v) => v.setUint32(0, 0x7fffffff, true))).problem).toBe('the packet record at byte 24 says it holds 2147483647 bytes, more than the 64 MiB a record may hold: the file is damaged there');
  });

  it('a block claiming a large length in a short file allocates only what arrives', () => {
    // 60 MiB claimed, 100 bytes there: the parser must wait, not reserve 60 MiB.
    const claim = at(good.subarray(0, firstEpb + 100), firstEpb + 4, (v) => v.setUint32(0, 60 * 1024 * 1024, true));
    const before = process.memoryUsage().arrayBuffers;
    const parser = new CaptureFileParser();
    for (let i = 0; i < claim.length; i += 10) parser.push(claim.subarray(i, i + 10));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
    expect(parser.end()).toBe(`the block at byte ${firstEpb} says it is ${60 * 1024 * 1024} bytes long but the file ends 100 bytes later`);
  });

  it('not a capture file: says so, and what it starts with', () => {
    expect(parse(new TextEncoder().encode('PK\u0003\u0004 a zip file')).problem).toBe('not a pcap or pcapng file: it starts with bytes 50 4b 03 04');
    expect(parse(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0)).problem).toBe('not a pcap or pcapng file (it is gzip-compressed: uncompress it first): it starts with bytes 1f 8b 08 00');
    expect(parse(new Uint8Array(0)).problem).toBe('the file is empty');
    expect(parse(Uint8Array.of(0xa1, 0xb2)).problem).toBe('the file is 2 bytes long, too short to be a capture file');
    const p = new CaptureFileParser();
    p.push(new TextEncoder().encode('hello world'));
    expect(p.format).toBeNull();
    expect(p.problem).toMatch(/^not a pcap or pcapng file/);
  });

  it('stops on damage at once, ignores later bytes, and end() repeats the same problem', () => {
    const damaged = at(good, firstEpb + 4, (v) => v.setUint32(0, 30, true));
    const p = new CaptureFileParser();
    p.push(damaged.subarray(0, firstEpb + 8));
    expect(p.problem).toMatch(/^the block at byte \d+ says it is 30 bytes long/);
    expect(p.push(good)).toEqual([]);
    expect(p.end()).toBe(p.problem);
    expect(p.end()).toBe(p.problem);
    expect(p.bytesConsumed).toBe(firstEpb);
  });
});

describe('readCaptureFile', () => {
  function bigFile(dir: string): { path: string; count: number; size: number } {
    const random = seeded(30);
    const packets: FilePacket[] = [];
    for (let i = 0; i < 2000; i++) packets.push({ seconds: SECOND + i, fraction: i, data: frame.ethernet(tcp(i % 50, [...randomBytes(random, (random() * 1400) | 0)])) });
    const bytes = pcapFile(1, packets);
    const path = join(dir, 'big.pcap');
    writeFileSync(path, bytes);
    return { path, count: packets.length, size: bytes.length };
  }

  it('reads in pieces, waits for each batch, and reports progress up to the file size', async () => {
    const { path, count, size } = bigFile(tempDir());
    const progress: Array<[number, number]> = [];
    let busy = false;
    let seen = 0;
    const result = await readCaptureFile(
      path,
      async (packets) => {
        expect(busy).toBe(false);
        busy = true;
        await new Promise((r) => setTimeout(r, 1));
        seen += packets.length;
        busy = false;
      },
      { chunkSize: 64 * 1024, onProgress: (read, total) => progress.push([read, total]) },
    );
    expect(result).toEqual({ packets: count, bytes: size });
    expect(seen).toBe(count);
    expect(progress.length).toBeGreaterThan(size / (64 * 1024) - 1);
    expect(progress.at(-1)).toEqual([size, size]);
    expect(progress.every(([read], i) => i === 0 || read > progress[i - 1]![0])).toBe(true);
  });

  it('stops when the signal aborts, with what it read so far', async () => {
    const { path, count } = bigFile(tempDir());
    const abort = new AbortController();
    let seen = 0;
    const result = await readCaptureFile(
      path,
      (packets) => {
        seen += packets.length;
        abort.abort();
      },
      { chunkSize: 16 * 1024, signal: abort.signal },
    );
    expect(result.problem).toBe('cancelled');
    expect(result.packets).toBe(seen);
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(count);
  });

  it('says why a damaged file stopped', async () => {
    const dir = tempDir();
    const path = join(dir, 'cut.pcapng');
    const { bytes } = pcapngFixture();
    writeFileSync(path, bytes.subarray(0, bytes.length - 3));
    const result = await readCaptureFile(path, () => {});
    expect(result.packets).toBe(6);
    expect(result.problem).toMatch(/^the block at byte \d+ says it is \d+ bytes long but the file ends \d+ bytes later$/);
  });
});
