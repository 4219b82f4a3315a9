/**
 * Damaged capture files, seeded so every run tries the same cases: truncations at every kind of
 * place and random byte changes. The reader never throws, always stops, says where it stopped, and
 * returns every packet before the damage; decoding and reassembling what it returns never throws.
 */
import { describe, expect, it } from 'vitest';
import { decodePacket } from './packets';
import { pcapngHeader, TcpFlowWriter, udpPacket } from './pcapng-writer';
import { Reassembler } from './reassembly';
import { CaptureFileParser, type RawPacket } from './reader';
import { concat, frame, ipv4Packet, ipv6Packet, pcapFile, pcapngSection, randomBytes, seeded, tcpSegment, udpDatagram } from './testing';

function validFiles(): Array<[string, Uint8Array]> {
  const random = seeded(100);
  const payload = (n: number) => [...randomBytes(random, n)];
  const tcp4 = (n: number) => ipv4Packet('10.0.0.1', '10.0.0.2', 6, tcpSegment('10.0.0.1', '10.0.0.2', 1234, 80, { seq: n * 100, ack: 1, flags: 0x18 }, payload(n * 13)));
  const udp6 = (n: number) => ipv6Packet('::1', '::2', 17, udpDatagram('::1', '::2', 53, 5353, payload(n * 7)));
  const packets = (make: (n: number) => Uint8Array, wrap: (ip: Uint8Array) => Uint8Array) =>
    [1, 2, 3, 4, 5, 6].map((n) => ({ seconds: 1_700_000_000 + n, fraction: n * 1000, data: wrap(make(n)) }));
  const pcapng = concat([
    pcapngSection(
      [{ linkType: 1 }, { linkType: 101, tsresol: 9 }],
      [
        { epb: { seconds: 0, fraction: 0, data: frame.ethernet(tcp4(1)), comment: 'one' }, units: 1_700_000_000_000_000n },
        { raw: { type: 5, body: new Uint8Array(20) } },
        { epb: { seconds: 0, fraction: 0, data: udp6(2), interfaceId: 1 }, units: 1_700_000_000_000_000_000n },
        { spb: frame.ethernet(tcp4(3)) },
        { pb: { seconds: 0, fraction: 0, data: frame.ethernet(udp6(4)) }, units: 1_700_000_001_000_000n },
      ],
    ),
    pcapngSection([{ linkType: 276 }], [{ epb: { seconds: 0, fraction: 0, data: frame.sll2(tcp4(5)) }, units: 1_700_000_002_000_000n }], { bigEndian: true }),
  ]);
  const w = new TcpFlowWriter({ transport: 'tcp', family: 'IPv6', client: { address: '::1', port: 1 }, server: { address: '::1', port: 2 } }, { comment: 'export' });
  const exported = concat([
    pcapngHeader({ application: 'fuzz' }),
    ...w.handshake(1),
    ...w.data(true, 2, 0, randomBytes(random, 300), 'chunk'),
    ...w.data(false, 3, 0, randomBytes(random, 5)),
    ...w.data(true, 4, 400, randomBytes(random, 50)),
    ...udpPacket('IPv4', { address: '127.0.0.1', port: 9 }, { address: '127.0.0.1', port: 10 }, 5, randomBytes(random, 40)),
    ...w.fin(true, 6),
    ...w.reset(false, 7),
  ]);
  return [
    ['pcapng of two sections', pcapng],
    ['exported pcapng', exported],
    ['little-endian pcap', pcapFile(1, packets(tcp4, frame.ethernet))],
    ['big-endian nanosecond pcap', pcapFile(113, packets(udp6, frame.sll), { bigEndian: true, nanoseconds: true })],
  ];
}

/** The problems that name no byte offset: they are about the file as a whole or its first bytes. */
const WHOLE_FILE = /^(not a pcap or pcapng file|the file is empty|the file is \d+ bytes long, too short|the pcap file header says version|the pcapng file does not start with a section header block|the file ends before its pcap file header is complete)/;

function parseAll(bytes: Uint8Array, pieces?: () => number): { packets: RawPacket[]; problem: string | undefined; parser: CaptureFileParser } {
  const parser = new CaptureFileParser();
  const packets: RawPacket[] = [];
  if (!pieces) packets.push(...parser.push(bytes));
  else for (let at = 0; at < bytes.length; ) {
    const n = Math.max(1, pieces());
    packets.push(...parser.push(bytes.subarray(at, at + n)));
    at += n;
  }
  const problem = parser.end();
  return { packets, problem, parser };
}

/** The file offsets where a unit (header, record, block) ends, found by feeding one byte at a time. */
function boundaries(bytes: Uint8Array): number[] {
  const parser = new CaptureFileParser();
  const out = [0];
  for (let i = 0; i < bytes.length; i++) {
    parser.push(bytes.subarray(i, i + 1));
    if (parser.bytesConsumed !== out.at(-1)) out.push(parser.bytesConsumed);
  }
  return out;
}

const key = (p: RawPacket) => [p.fileOffset, p.linkType, p.time, p.originalLength, p.comment, Buffer.from(p.data).toString('hex')];

describe('fuzz: damaged capture files', () => {
  for (const [name, bytes] of validFiles()) {
    it(`${name}: every truncation keeps every packet before it and says where the file stopped`, () => {
      const whole = parseAll(bytes);
      expect(whole.problem).toBeUndefined();
      expect(whole.packets.length).toBeGreaterThanOrEqual(5);
      const ends = boundaries(bytes);
      expect(ends.at(-1)).toBe(bytes.length);
      for (let cut = 0; cut < bytes.length; cut++) {
        const { packets, problem, parser } = parseAll(bytes.subarray(0, cut));
        const stop = ends.filter((e) => e <= cut).at(-1)!;
        expect(parser.bytesConsumed, `cut at ${cut}`).toBe(stop);
        expect(packets.map(key), `cut at ${cut}`).toEqual(whole.packets.filter((p) => p.fileOffset < stop).map(key));
        if (cut === 0) expect(problem).toBe('the file is empty');
        else if (cut < 4) expect(problem).toMatch(/too short to be a capture file/);
        // Cut between two blocks, the file looks whole: nothing says otherwise.
        else if (cut === stop) expect(problem, `cut at ${cut}`).toBeUndefined();
        else if (stop === 0 && !name.includes('pcapng')) expect(problem).toMatch(/^the file ends before its pcap file header is complete/);
        else expect(problem, `cut at ${cut}`).toMatch(new RegExp(`at byte ${stop}\\b`));
      }
    });

    it(`${name}: thousands of random byte changes never throw, always end, and name where they stopped`, () => {
      const random = seeded(bytes.length);
      for (let n = 0; n < 2500; n++) {
        const damaged = bytes.slice();
        const changes = 1 + ((random() * 6) | 0);
        for (let k = 0; k < changes; k++) {
          const at = (random() * damaged.length) | 0;
          // Bit flips, random bytes, and the values lengths go wrong with.
          const how = random();
          damaged[at] = how < 0.4 ? damaged[at]! ^ (1 << ((random() * 8) | 0)) : how < 0.8 ? (random() * 256) | 0 : [0, 0xff, 0x7f, 0x80][(random() * 4) | 0]!;
        }
        const cut = random() < 0.3 ? damaged.subarray(0, (random() * damaged.length) | 0) : damaged;
        const started = Date.now();
        const one = parseAll(cut);
        const split = parseAll(cut, () => 1 + ((random() * 64) | 0));
        expect(Date.now() - started).toBeLessThan(1000);
        // Any split gives the same reading.
        expect(split.packets.map(key)).toEqual(one.packets.map(key));
        expect(split.problem).toBe(one.problem);
        expect(one.parser.problem).toBe(one.problem);
        if (one.problem !== undefined && !WHOLE_FILE.test(one.problem)) expect(one.problem).toMatch(/at byte \d+/);
        let last = -1;
        for (const p of one.packets) {
          expect(p.fileOffset).toBeGreaterThan(last);
          expect(p.data.length).toBeLessThanOrEqual(cut.length);
          last = p.fileOffset;
        }
        // Whatever came out decodes and reassembles without throwing.
        const r = new Reassembler({ maxBufferedBytes: 1000 });
        for (const p of one.packets) {
          const d = decodePacket(p.linkType, p.data);
          if (!('skipped' in d)) r.push(d, p.time);
        }
        r.finish();
      }
    });
  }

  it('random bytes that start like a capture file', () => {
    const random = seeded(5);
    const magics = [[0xd4, 0xc3, 0xb2, 0xa1], [0xa1, 0xb2, 0x3c, 0x4d], [0x0a, 0x0d, 0x0d, 0x0a]];
    for (let n = 0; n < 3000; n++) {
      const bytes = concat([magics[n % 3]!, randomBytes(random, (random() * 400) | 0)]);
      const { problem, packets } = parseAll(bytes);
      if (problem !== undefined && !WHOLE_FILE.test(problem)) expect(problem).toMatch(/at byte \d+/);
      for (const p of packets) decodePacket(p.linkType, p.data);
    }
  });
});
