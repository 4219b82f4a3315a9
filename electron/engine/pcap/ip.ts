/**
 * IP address text <-> bytes, and the Internet checksum (RFC 1071), shared by the pcapng writer and
 * the packet decoder.
 */
import { isIP } from 'node:net';

/** Parses an IPv4 or IPv6 literal into 4 or 16 bytes; throws an Error that names the address. */
export function parseAddress(address: string, family: 'IPv4' | 'IPv6'): Uint8Array {
  // A zone ("fe80::1%lo") names an interface on this host; it is not part of the address on the wire.
  const bare = family === 'IPv6' ? address.replace(/%.*$/, '') : address;
  const version = isIP(bare);
  if (version === 0) {
    throw new Error(`"${address}" is not an IP address; a capture file needs IPv4 or IPv6 addresses (pass a synthetic loopback address for a Unix socket)`);
  }
  if ((version === 4) !== (family === 'IPv4')) {
    throw new Error(`"${address}" is an IPv${version} address but the flow is ${family}`);
  }
  return version === 4 ? parseIPv4(bare) : parseIPv6(bare);
}

function parseIPv4(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map((p) => Number(p)));
}

function parseIPv6(text: string): Uint8Array {
  const out = new Uint8Array(16);
  let body = text;
  // An embedded dotted quad ("::ffff:127.0.0.1") fills the last 32 bits.
  const dot = body.lastIndexOf('.');
  let tail: Uint8Array | undefined;
  if (dot >= 0) {
    const colon = body.lastIndexOf(':');
    tail = parseIPv4(body.slice(colon + 1));
    body = body.slice(0, colon + 1) + '0:0';
  }
  const [head, rest] = body.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - restGroups.length).fill('0'), ...restGroups];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  if (tail) out.set(tail, 12);
  return out;
}

/** a.b.c.d from 4 bytes at offset. */
export function formatIPv4(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/**
 * IPv6 text as Node prints socket addresses (inet_ntop: lower-case hex, the longest run of two or
 * more zero groups as "::", the first on a tie; IPv4-mapped and IPv4-compatible addresses end in
 * a dotted quad, as "::ffff:127.0.0.1").
 */
export function formatIPv6(b: Uint8Array, o: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[o + i * 2]! << 8) | b[o + i * 2 + 1]!);
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += formatIPv4(b, o + 12);
      break;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}

/**
 * The ones' complement sum of bytes taken as big-endian 16-bit words, folded to 16 bits (not yet
 * inverted). Adds one to the next with `fold(a + b)` when the first piece has an even length.
 *
 * Most of the time goes here when a large export is checksummed, so the bulk of the bytes is read
 * as native 32-bit words: summing little-endian 32-bit words and folding gives the byte-swapped
 * 16-bit sum (2^16 ≡ 1 modulo 2^16 - 1), which one swap at the end puts right.
 */
export function onesSum(b: Uint8Array): number {
  const len = b.length;
  if (len < 64) return fold(slowSum(b, 0, len, 0));
  const head = (4 - (b.byteOffset & 3)) & 3;
  let sum = slowSum(b, 0, head, 0);
  const words = (len - head) >>> 2;
  const u32 = new Uint32Array(b.buffer, b.byteOffset + head, words);
  let wide = 0;
  // A double holds 2^53: 2^21 words of 2^32 at most before it must be folded.
  for (let k = 0; k < words; ) {
    const stop = Math.min(words, k + 0x100000);
    // Four independent sums run about three times faster than one (no chain of dependent adds).
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (; k + 3 < stop; k += 4) {
      s0 += u32[k]!;
      s1 += u32[k + 1]!;
      s2 += u32[k + 2]!;
      s3 += u32[k + 3]!;
    }
    for (; k < stop; k++) s0 += u32[k]!;
    wide += fold(s0) + fold(s1) + fold(s2) + fold(s3);
  }
  let w = fold(wide);
  // Each aligned little-endian word put its even-position bytes (relative to head) low: that matches
  // the big-endian frame when head is odd, and is the byte-swapped sum when head is even.
  if ((head & 1) === 0) w = ((w & 0xff) << 8) | (w >> 8);
  sum += w;
  sum = slowSum(b, head + words * 4, len, sum);
  return fold(sum);
}

/** Adds bytes [from, to) to sum, each byte weighted by its position's parity in the big-endian frame. */
function slowSum(b: Uint8Array, from: number, to: number, sum: number): number {
  let i = from;
  if (i & 1 && i < to) sum += b[i++]!;
  for (; i + 1 < to; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < to) sum += b[i]! << 8;
  return sum;
}

/** Folds a non-negative sum (below 2^53) to 16 bits with end-around carry. */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}
