import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePacket, type DecodedPacket } from './packets';
import { CaptureFileParser } from './reader';
import { frame, ipv4Packet, ipv6Packet, missingTools, pcapngSection, randomBytes, seeded, skipNote, tcpSegment, tempDir, tshark, udpDatagram, type PcapngItem } from './testing';

const random = seeded(40);
const payload = (n: number) => [...randomBytes(random, n)];

const A4 = '192.0.2.10';
const B4 = '198.51.100.20';
const A6 = 'fe80::1';
const B6 = '2001:db8::1:0:0:1';

function tcp4(flags: number, data: number[], o: { options?: number[]; tcpOptions?: number[] } = {}) {
  return ipv4Packet(A4, B4, 6, tcpSegment(A4, B4, 40000, 40001, { seq: 0xfffffff0, ack: 12345, flags, window: 501, options: o.tcpOptions }, data), { options: o.options });
}
function udp4(data: number[]) {
  return ipv4Packet(B4, A4, 17, udpDatagram(B4, A4, 5353, 40002, data));
}
function tcp6(data: number[], extensions: Array<[number, number[]]> = []) {
  return ipv6Packet(A6, B6, 6, tcpSegment(A6, B6, 40003, 40004, { seq: 7, ack: 8, flags: 0x11, window: 65535 }, data), extensions);
}
function udp6(data: number[], src = B6, dst = A6) {
  return ipv6Packet(src, dst, 17, udpDatagram(src, dst, 40005, 40006, data));
}

const hopByHop: [number, number[]] = [0, [0, 0, 1, 4, 0, 0, 0, 0]];
const routing: [number, number[]] = [43, [0, 0, 0, 0, 0, 0, 0, 0]];
const destination: [number, number[]] = [60, [0, 0, 1, 4, 0, 0, 0, 0]];

/** Frames of every link type, each with what it carries. */
function decodable(): Array<{ linkType: number; data: Uint8Array }> {
  const mss = [2, 4, 0x05, 0xb4, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]; // MSS, NOP, NOP, timestamps
  return [
    { linkType: 1, data: frame.ethernet(tcp4(0x18, payload(100))) },
    { linkType: 1, data: frame.ethernet(tcp4(0x02, [], { tcpOptions: mss })) }, // SYN with options
    { linkType: 1, data: frame.ethernet(udp4(payload(3))) }, // padded to Ethernet's 60 bytes below
    { linkType: 1, data: frame.ethernet(tcp4(0x18, payload(2))) }, // padded too
    { linkType: 1, data: frame.ethernet(tcp6(payload(50)), [0x8100]) },
    { linkType: 1, data: frame.ethernet(udp4(payload(20)), [0x88a8, 0x8100]) },
    { linkType: 1, data: frame.ethernet(tcp4(0x10, payload(10), { options: [0x94, 4, 0, 0] })) }, // IPv4 router alert option
    { linkType: 101, data: tcp6(payload(30), [hopByHop, routing, destination]) },
    { linkType: 101, data: udp6(payload(0), '::ffff:10.0.0.1', '::1') },
    { linkType: 0, data: frame.null(tcp4(0x04, []), true) },
    { linkType: 0, data: frame.null(udp6(payload(8)), false) },
    { linkType: 108, data: frame.loop(tcp6(payload(5))) },
    { linkType: 113, data: frame.sll(udp4(payload(64))) },
    { linkType: 276, data: frame.sll2(tcp6(payload(64))) },
    { linkType: 228, data: tcp4(0x19, payload(1)) },
    { linkType: 229, data: udp6(payload(1000)) },
  ];
}

function pad60(data: Uint8Array): Uint8Array {
  if (data.length >= 60) return data;
  const out = new Uint8Array(60);
  out.set(data);
  return out;
}

/** One pcapng holding the frames, an interface per link type. */
function fileOf(frames: Array<{ linkType: number; data: Uint8Array; originalLength?: number }>): Uint8Array {
  const types = [...new Set(frames.map((f) => f.linkType))];
  const items: PcapngItem[] = frames.map((f, i) => ({
    epb: { seconds: 0, fraction: 0, data: f.linkType === 1 ? pad60(f.data) : f.data, originalLength: f.originalLength, interfaceId: types.indexOf(f.linkType) },
    units: 1_700_000_000_000_000n + BigInt(i),
  }));
  return pcapngSection(types.map((linkType) => ({ linkType })), items);
}

const toolsMissing = missingTools('tshark');

describe.skipIf(toolsMissing !== '')(`decodePacket agrees with tshark${skipNote(toolsMissing)}`, () => {
  it('on every link type: Ethernet (VLAN, QinQ, padding), RAW, NULL both byte orders, LOOP, SLL, SLL2, IPv4, IPv6; IP options; IPv6 extension headers', () => {
    const frames = decodable();
    const file = join(tempDir(), 'links.pcapng');
    writeFileSync(file, fileOf(frames));
    const fields = ['ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'tcp.srcport', 'udp.srcport', 'tcp.dstport', 'udp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags', 'tcp.window_size_value', 'tcp.payload', 'udp.payload'];
    const rows = tshark(file, '-o', 'tcp.analyze_sequence_numbers:FALSE', '-T', 'fields', '-E', 'separator=/t', ...fields.flatMap((f) => ['-e', f]))
      .split('\n')
      .slice(0, -1)
      .map((l) => l.split('\t'));
    expect(rows).toHaveLength(frames.length);
    const parser = new CaptureFileParser();
    const packets = parser.push(fileOf(frames));
    expect(packets).toHaveLength(frames.length);
    packets.forEach((raw, i) => {
      const d = decodePacket(raw.linkType, raw.data);
      expect('skipped' in d ? d.skipped : '', `frame ${i}`).toBe('');
      const p = d as DecodedPacket;
      const [ip4src, ip6src, ip4dst, ip6dst, tsport, usport, tdport, udport, seq, ack, flags, win, tpay, upay] = rows[i]!;
      expect(p.src, `frame ${i}`).toBe(ip4src || ip6src);
      expect(p.dst, `frame ${i}`).toBe(ip4dst || ip6dst);
      expect(p.family).toBe(ip4src ? 'IPv4' : 'IPv6');
      expect(p.transport).toBe(tsport ? 'tcp' : 'udp');
      expect(String(p.srcPort)).toBe(tsport || usport);
      expect(String(p.dstPort)).toBe(tdport || udport);
      expect(Buffer.from(p.payload).toString('hex'), `payload of frame ${i}`).toBe(tpay || upay);
      expect(p.missing).toBe(0);
      if (p.tcp) {
        expect(String(p.tcp.seq)).toBe(seq);
        expect(String(p.tcp.ack)).toBe(ack);
        expect(p.tcp.flags).toBe(Number(flags));
        expect(String(p.tcp.window)).toBe(win);
      }
    });
  });

  it('a packet cut by the snap length: the payload captured, the rest counted as missing', () => {
    const whole = frame.ethernet(tcp4(0x18, payload(1000)));
    const cut = whole.subarray(0, 14 + 20 + 20 + 100);
    const file = join(tempDir(), 'cut.pcapng');
    writeFileSync(file, fileOf([{ linkType: 1, data: cut, originalLength: whole.length }]));
    expect(tshark(file, '-T', 'fields', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'ip.len')).toBe(`${whole.length}\t${cut.length}\t1040\n`);
    const d = decodePacket(1, cut) as DecodedPacket;
    expect(d.payload).toEqual(whole.subarray(54, 154));
    expect(d.missing).toBe(900);
    const u = udp6(payload(500));
    const du = decodePacket(101, u.subarray(0, 40 + 8 + 10)) as DecodedPacket;
    expect([du.payload.length, du.missing]).toEqual([10, 490]);
  });
});

describe('what decodePacket skips, and why', () => {
  const reasons: Array<[string, number, Uint8Array, string]> = [
    ['ICMP', 101, ipv4Packet(A4, B4, 1, [8, 0, 0, 0, 0, 1, 0, 1]), 'IP protocol 1 (ICMP) is not TCP or UDP'],
    ['ICMPv6', 101, ipv6Packet(A6, B6, 58, [128, 0, 0, 0, 0, 1, 0, 1]), 'IP protocol 58 (ICMPv6) is not TCP or UDP'],
    ['an IPv4 fragment (more fragments)', 101, ipv4Packet(A4, B4, 17, udpDatagram(A4, B4, 1, 2, payload(16)), { flagsFragment: 0x2000 }), 'fragmented IP packet, not reassembled'],
    ['an IPv4 fragment (offset)', 101, ipv4Packet(A4, B4, 17, payload(16), { flagsFragment: 0x0002 }), 'fragmented IP packet, not reassembled'],
    ['an IPv6 fragment', 101, ipv6Packet(A6, B6, 17, payload(16), [hopByHop, [44, [0, 0, 0, 1, 0, 0, 0, 9]]]), 'fragmented IPv6 packet, not reassembled'],
    ['ARP', 1, frame.ethernet(new Uint8Array(28), [], 0x0806), 'ARP is not IP'],
    ['an unknown EtherType', 1, frame.ethernet(new Uint8Array(28), [0x8100], 0x1234), 'EtherType 0x1234 is not IP'],
    ['802.3 with LLC', 1, frame.ethernet(new Uint8Array(28), [], 28), 'an 802.3/LLC frame, not IP'],
    ['a link type not decoded', 105, new Uint8Array(40), 'link type 105 is not one this reader decodes (Ethernet, Linux cooked, loopback or raw IP)'],
    ['a short Ethernet header', 1, new Uint8Array(10), 'Ethernet header not captured'],
    ['a cut IPv4 header', 101, tcp4(0x10, []).subarray(0, 12), 'IPv4 header not captured'],
    ['a cut TCP header', 228, tcp4(0x10, payload(100)).subarray(0, 30), 'TCP header not captured'],
    ['a bad IPv4 header length', 228, Uint8Array.from([0x42, ...tcp4(0x10, []).subarray(1)]), 'bad IPv4 header length 8'],
    ['IP version 5', 101, Uint8Array.of(0x50, 0, 0, 0), 'IP version 5 is neither 4 nor 6'],
    ['IPv6 on the IPv4 link type', 228, udp6([1]), 'IP version 6 where IPv4 was expected'],
    ['a loopback family that is not IP', 0, Uint8Array.of(7, 0, 0, 0, 1, 2, 3), 'loopback address family 7 is not IP'],
    ['no next header', 229, ipv6Packet(A6, B6, 59, []), 'IPv6 packet with no next header'],
  ];
  for (const [what, linkType, data, reason] of reasons) {
    it(what, () => expect(decodePacket(linkType, data)).toEqual({ skipped: reason }));
  }

  it('never throws on random bytes of any link type', () => {
    const r = seeded(41);
    const valid = decodable();
    for (let n = 0; n < 20_000; n++) {
      const linkType = [0, 1, 101, 108, 113, 276, 228, 229][n % 8]!;
      const base = (n % 2 ? randomBytes(r, (r() * 120) | 0) : valid[n % valid.length]!.data).slice();
      for (let k = 0; k < 3; k++) base[(r() * base.length) | 0] = (r() * 256) | 0;
      const d = decodePacket(linkType, base.subarray(0, (r() * (base.length + 1)) | 0));
      if (!('skipped' in d)) expect(d.payload.length + d.missing).toBeGreaterThanOrEqual(0);
    }
  });
});
