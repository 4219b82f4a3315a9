import { describe, expect, it } from 'vitest';
import { ChecksumAccumulator, checksums } from './checksums';

const CHECK = new TextEncoder().encode('123456789');

/** A deterministic generator, so a failing split can be reproduced. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('checksums', () => {
  it('matches the CRC catalogue check values on "123456789"', () => {
    expect(checksums(CHECK)).toEqual({
      crc32: 0xcbf43926, // CRC-32/ISO-HDLC check
      crc16modbus: 0x4b37, // CRC-16/MODBUS check
      crc16ccittFalse: 0x29b1, // CRC-16/IBM-3740 (CCITT-FALSE) check
      // 0x31 + … + 0x39 = 49 + … + 57 = 477 = 0x1DD, so 0xDD modulo 256.
      sum8: 0xdd,
      // The high nibbles are 3 nine times (odd: 3); the low ones 1^2^…^9 = 1. So 0x31.
      xor8: 0x31,
    });
  });

  it('gives the catalogue values for no bytes (init xor xorout)', () => {
    expect(checksums(new Uint8Array())).toEqual({ crc32: 0, crc16modbus: 0xffff, crc16ccittFalse: 0xffff, sum8: 0, xor8: 0 });
  });

  it('computes the sums and XOR by their definitions', () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37 + 11) & 0xff);
    let sum = 0;
    let xor = 0;
    for (const x of bytes) {
      sum += x;
      xor ^= x;
    }
    const c = checksums(bytes);
    expect(c.sum8).toBe(sum % 256);
    expect(c.xor8).toBe(xor);
  });

  it('returns unsigned values', () => {
    const c = checksums(new Uint8Array(64).fill(0xff));
    for (const v of Object.values(c)) expect(v).toBeGreaterThanOrEqual(0);
    expect(c.crc32).toBeLessThanOrEqual(0xffffffff);
  });
});

describe('ChecksumAccumulator', () => {
  it('equals the one-shot result on random splits', () => {
    const rand = random(42);
    for (let round = 0; round < 200; round++) {
      const bytes = Uint8Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256));
      const acc = new ChecksumAccumulator();
      let at = 0;
      while (at < bytes.length) {
        // Pieces of 0 bytes too: they must change nothing.
        const n = Math.floor(rand() * 20);
        acc.update(bytes.subarray(at, at + n));
        at += n;
      }
      expect(acc.result()).toEqual(checksums(bytes));
    }
  });

  it('continues correctly after a piece whose CRC-32 is 0', () => {
    // Four bytes chosen so that CRC-32 of the first piece is exactly 0, the value crc's
    // calculator would otherwise read as "no previous CRC".
    const first = forceCrc32Zero(new TextEncoder().encode('prefix'));
    expect(checksums(first).crc32).toBe(0);
    const second = new TextEncoder().encode('and more');
    const acc = new ChecksumAccumulator();
    acc.update(first);
    acc.update(second);
    const whole = new Uint8Array([...first, ...second]);
    expect(acc.result()).toEqual(checksums(whole));
  });

  it('matches the catalogue when "123456789" arrives a byte at a time', () => {
    const acc = new ChecksumAccumulator();
    for (const x of CHECK) acc.update(Uint8Array.of(x));
    expect(acc.result()).toEqual(checksums(CHECK));
    expect(acc.result().crc32).toBe(0xcbf43926);
  });
});

/**
 * Appends four bytes that make the CRC-32 of the whole 0. For a fixed length, CRC-32 is affine
 * over GF(2) in the appended 32 bits: crc(x) = crc(0) ^ L·x. So solve L·x = crc(0) by
 * Gaussian elimination, with L's columns measured one bit at a time.
 */
function forceCrc32Zero(prefix: Uint8Array): Uint8Array {
  const withTail = (x: number) => {
    const out = new Uint8Array(prefix.length + 4);
    out.set(prefix);
    new DataView(out.buffer).setUint32(prefix.length, x >>> 0, true);
    return out;
  };
  const base = checksums(withTail(0)).crc32;
  // Row r of the augmented system: bits of L's row r over the 32 unknowns, and the target bit.
  const cols = Array.from({ length: 32 }, (_, j) => (checksums(withTail(2 ** j)).crc32 ^ base) >>> 0);
  const rows = Array.from({ length: 32 }, (_, r) => {
    let mask = 0;
    for (let j = 0; j < 32; j++) if ((cols[j]! >>> r) & 1) mask |= 1 << j;
    return { mask: mask >>> 0, target: (base >>> r) & 1 };
  });
  const pivots: number[] = [];
  let row = 0;
  for (let j = 0; j < 32 && row < 32; j++) {
    const p = rows.findIndex((r, i) => i >= row && ((r.mask >>> j) & 1) === 1);
    if (p < 0) continue;
    [rows[row], rows[p]] = [rows[p]!, rows[row]!];
    for (let i = 0; i < 32; i++) {
      if (i !== row && ((rows[i]!.mask >>> j) & 1) === 1) {
        rows[i] = { mask: (rows[i]!.mask ^ rows[row]!.mask) >>> 0, target: rows[i]!.target ^ rows[row]!.target };
      }
    }
    pivots.push(j);
    row++;
  }
  let x = 0;
  pivots.forEach((j, i) => {
    if (rows[i]!.target) x |= 1 << j;
  });
  return withTail(x);
}
