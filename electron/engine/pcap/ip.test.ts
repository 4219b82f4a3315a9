import { SocketAddress } from 'node:net';
import { describe, expect, it } from 'vitest';
import { fold, formatIPv4, formatIPv6, onesSum, parseAddress } from './ip';
import { seeded } from './testing';

/** The checksum sum the plain way, byte pairs big-endian. */
function plainSum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  return fold(sum);
}

describe('onesSum', () => {
  it('equals the plain sum for every length and memory alignment', () => {
    const random = seeded(7);
    const backing = new Uint8Array(200_000 + 8);
    for (let i = 0; i < backing.length; i++) backing[i] = (random() * 256) | 0;
    const lengths = [0, 1, 2, 3, 4, 5, 63, 64, 65, 66, 67, 127, 1000, 1001, 65_495, 65_536, 200_000];
    for (const length of lengths) {
      for (let offset = 0; offset < 8; offset++) {
        const view = backing.subarray(offset, offset + length);
        expect(onesSum(view), `length ${length} at offset ${offset}`).toBe(plainSum(view));
      }
    }
  });

  it('sums all-ones data without overflowing (the largest words, many of them)', () => {
    const b = new Uint8Array(9 * 1024 * 1024 + 3).fill(0xff);
    expect(onesSum(b)).toBe(plainSum(b));
  });
});

describe('addresses', () => {
  it('formats IPv6 as Node prints it, for addresses with and without runs of zeros', () => {
    const random = seeded(11);
    for (let n = 0; n < 3000; n++) {
      const bytes = new Uint8Array(16);
      for (let g = 0; g < 8; g++) {
        // Mostly zero groups, so runs of every length and position come up.
        const word = random() < 0.55 ? 0 : random() < 0.2 ? 0xffff : (random() * 0x10000) | 0;
        bytes[g * 2] = word >> 8;
        bytes[g * 2 + 1] = word & 0xff;
      }
      const full = [...Array(8).keys()].map((g) => ((bytes[g * 2]! << 8) | bytes[g * 2 + 1]!).toString(16)).join(':');
      const expected = new SocketAddress({ address: full, family: 'ipv6' }).address;
      expect(formatIPv6(bytes, 0), full).toBe(expected);
      expect(parseAddress(expected, 'IPv6')).toEqual(bytes);
    }
  });

  it('parses IPv4, IPv6 with a dotted tail, and strips an IPv6 zone', () => {
    expect(parseAddress('192.168.1.20', 'IPv4')).toEqual(Uint8Array.of(192, 168, 1, 20));
    expect(formatIPv4(Uint8Array.of(0, 10, 0, 0, 254), 1)).toBe('10.0.0.254');
    expect(formatIPv6(parseAddress('::ffff:127.0.0.1', 'IPv6'), 0)).toBe('::ffff:127.0.0.1');
    expect(formatIPv6(parseAddress('fe80::1%lo', 'IPv6'), 0)).toBe('fe80::1');
  });

  it('throws an Error that names an address that is not IP, or of the other family', () => {
    expect(() => parseAddress('/tmp/app.sock', 'IPv4')).toThrow(/"\/tmp\/app.sock" is not an IP address/);
    expect(() => parseAddress('localhost', 'IPv6')).toThrow(/"localhost" is not an IP address/);
    expect(() => parseAddress('::1', 'IPv4')).toThrow(/"::1" is an IPv6 address but the flow is IPv4/);
    expect(() => parseAddress('127.0.0.1', 'IPv6')).toThrow(/"127.0.0.1" is an IPv4 address but the flow is IPv6/);
  });
});
