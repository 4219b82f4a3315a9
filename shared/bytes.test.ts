import { describe, expect, it } from 'vitest';
import {
  firstLineOf,
  hexBytesPerLine,
  hexLineChars,
  formatEscaped,
  fromBase64,
  hexDump,
  parseEscapes,
  parseHex,
  toBase64,
  toHex,
  withLineEnding,
  type ParseOutcome,
} from './bytes';

/** A small seeded generator, so a failing random case can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomInt(next: () => number, maxExclusive: number): number {
  return Math.floor(next() * maxExclusive);
}

const utf8 = (s: string) => new TextEncoder().encode(s);

function bytesOf(outcome: ParseOutcome): number[] {
  if (!outcome.ok) throw new Error(`expected bytes, got error: ${outcome.error}`);
  return [...outcome.bytes];
}

function errorOf(outcome: ParseOutcome): { error: string; index: number } {
  if (outcome.ok) throw new Error(`expected an error, got bytes ${toHex(outcome.bytes)}`);
  return { error: outcome.error, index: outcome.index };
}

describe('parseEscapes', () => {
  it('interprets each supported escape', () => {
    expect(bytesOf(parseEscapes('a\\rb'))).toEqual([0x61, 0x0d, 0x62]);
    expect(bytesOf(parseEscapes('\\n'))).toEqual([0x0a]);
    expect(bytesOf(parseEscapes('\\t'))).toEqual([0x09]);
    expect(bytesOf(parseEscapes('\\0'))).toEqual([0x00]);
    expect(bytesOf(parseEscapes('\\\\'))).toEqual([0x5c]);
    expect(bytesOf(parseEscapes('\\x41\\xff\\x00\\xAb'))).toEqual([0x41, 0xff, 0x00, 0xab]);
    expect(bytesOf(parseEscapes('GET / HTTP/1.0\\r\\n\\r\\n'))).toEqual([...utf8('GET / HTTP/1.0\r\n\r\n')]);
  });

  it('keeps plain text as UTF-8, including multibyte and astral characters', () => {
    expect(bytesOf(parseEscapes(''))).toEqual([]);
    expect(bytesOf(parseEscapes('é'))).toEqual([0xc3, 0xa9]);
    expect(bytesOf(parseEscapes('€'))).toEqual([0xe2, 0x82, 0xac]);
    expect(bytesOf(parseEscapes('a😀b'))).toEqual([0x61, 0xf0, 0x9f, 0x98, 0x80, 0x62]);
    expect(bytesOf(parseEscapes('é\\n'))).toEqual([0xc3, 0xa9, 0x0a]);
  });

  it('treats an escaped backslash as a backslash, not the start of another escape', () => {
    expect(bytesOf(parseEscapes('\\\\n'))).toEqual([0x5c, 0x6e]);
    expect(bytesOf(parseEscapes('\\\\x41'))).toEqual([0x5c, 0x78, 0x34, 0x31]);
  });

  it('refuses an unknown escape and says where it is', () => {
    const { error, index } = errorOf(parseEscapes('ab\\q'));
    expect(index).toBe(2);
    expect(error).toContain('\\q');
    expect(error).toContain('position 3');
    expect(errorOf(parseEscapes('\\N')).error).toContain('Unknown escape');
  });

  it('refuses \\x without two hex digits', () => {
    const short = errorOf(parseEscapes('\\x4'));
    expect(short.index).toBe(0);
    expect(short.error).toContain('two hex digits');
    const bad = errorOf(parseEscapes('ok\\xZZ'));
    expect(bad.index).toBe(2);
    expect(bad.error).toContain('position 3');
    expect(errorOf(parseEscapes('\\x')).error).toContain('two hex digits');
    expect(errorOf(parseEscapes('\\x4g')).error).toContain('two hex digits');
  });

  it('refuses a trailing lone backslash', () => {
    const { error, index } = errorOf(parseEscapes('abc\\'));
    expect(index).toBe(3);
    expect(error).toContain('lone backslash');
    expect(error).toContain('position 4');
  });
});

describe('parseHex', () => {
  const hello = [0x48, 0x65, 0x6c, 0x6c, 0x6f];

  it('accepts spaced, packed, prefixed and multi-line hex', () => {
    expect(bytesOf(parseHex('48 65 6c 6c 6f'))).toEqual(hello);
    expect(bytesOf(parseHex('48656c6c6f'))).toEqual(hello);
    expect(bytesOf(parseHex('48656C6C6F'))).toEqual(hello);
    expect(bytesOf(parseHex('0x48,0x65,0x6c,0x6c,0x6f'))).toEqual(hello);
    expect(bytesOf(parseHex('0x48, 0X65'))).toEqual([0x48, 0x65]);
    expect(bytesOf(parseHex('48 65\n6c\r\n6c\t6f\n'))).toEqual(hello);
    expect(bytesOf(parseHex('48:65-6c;6c 6f'))).toEqual(hello);
    expect(bytesOf(parseHex(''))).toEqual([]);
    expect(bytesOf(parseHex('00 ff'))).toEqual([0x00, 0xff]);
  });

  it('refuses an odd number of digits', () => {
    const { error } = errorOf(parseHex('48 6'));
    expect(error).toContain('odd number');
    expect(error).toContain('3 digits');
    expect(errorOf(parseHex('486')).error).toContain('odd number');
  });

  it('refuses a non-hex character with its position', () => {
    const { error, index } = errorOf(parseHex('48 g5'));
    expect(index).toBe(3);
    expect(error).toContain('"g"');
    expect(error).toContain('position 4');
    expect(errorOf(parseHex('48 65 zz')).index).toBe(6);
  });

  it('refuses "10x": 0x is a prefix only at the start of a token', () => {
    const { error, index } = errorOf(parseHex('10x'));
    expect(index).toBe(2);
    expect(error).toContain('"x"');
    expect(parseHex('0x').ok).toBe(true);
    expect(parseHex('1 0x').ok).toBe(false);
  });
});

describe('withLineEnding', () => {
  const base = Uint8Array.from([0x61, 0x62]);

  it('appends nothing, LF, or CR LF', () => {
    expect([...withLineEnding(base, 'none')]).toEqual([0x61, 0x62]);
    expect([...withLineEnding(base, 'lf')]).toEqual([0x61, 0x62, 0x0a]);
    expect([...withLineEnding(base, 'crlf')]).toEqual([0x61, 0x62, 0x0d, 0x0a]);
    expect([...withLineEnding(new Uint8Array(0), 'crlf')]).toEqual([0x0d, 0x0a]);
  });

  it('does not modify its input', () => {
    withLineEnding(base, 'crlf');
    expect([...base]).toEqual([0x61, 0x62]);
  });
});

describe('formatEscaped', () => {
  it('makes control bytes visible', () => {
    expect(formatEscaped(Uint8Array.from([0x0d, 0x0a, 0x09, 0x00]))).toBe('\\r\\n\\t\\0');
    expect(formatEscaped(Uint8Array.from([0x01, 0x1b, 0x7f]))).toBe('\\x01\\x1b\\x7f');
    expect(formatEscaped(utf8('hi\r\n'))).toBe('hi\\r\\n');
  });

  it('doubles a backslash so it cannot be mistaken for an escape', () => {
    expect(formatEscaped(utf8('a\\nb'))).toBe('a\\\\nb');
  });

  it('shows an invalid UTF-8 byte as \\xNN', () => {
    expect(formatEscaped(Uint8Array.from([0xff]))).toBe('\\xff');
    expect(formatEscaped(Uint8Array.from([0x61, 0xe9, 0x62]))).toBe('a\\xe9b');
    // Truncated sequence, overlong encoding, and an encoded surrogate.
    expect(formatEscaped(Uint8Array.from([0xe2, 0x82]))).toBe('\\xe2\\x82');
    expect(formatEscaped(Uint8Array.from([0xc0, 0xaf]))).toBe('\\xc0\\xaf');
    expect(formatEscaped(Uint8Array.from([0xed, 0xa0, 0x80]))).toBe('\\xed\\xa0\\x80');
  });

  it('shows valid multibyte characters as themselves', () => {
    expect(formatEscaped(utf8('café €5 😀'))).toBe('café €5 😀');
  });

  it('shows C1 controls and invisible code points as bytes', () => {
    expect(formatEscaped(Uint8Array.from([0xc2, 0x85]))).toBe('\\xc2\\x85');
    expect(formatEscaped(Uint8Array.from([0xc2, 0x9f]))).toBe('\\xc2\\x9f');
    expect(formatEscaped(utf8('\ufeff'))).toBe('\\xef\\xbb\\xbf');
    expect(formatEscaped(utf8('\u200b'))).toBe('\\xe2\\x80\\x8b');
    // The first printable code point after the C1 block is shown.
    expect(formatEscaped(utf8('\u00a0'))).toBe('\u00a0');
  });

  it('round-trips every single byte value through parseEscapes', () => {
    const broken: string[] = [];
    for (let b = 0; b < 256; b++) {
      const back = parseEscapes(formatEscaped(Uint8Array.of(b)));
      if (!back.ok || back.bytes.length !== 1 || back.bytes[0] !== b) broken.push(toHex(Uint8Array.of(b)));
    }
    expect(broken).toEqual([]);
  });

  it('round-trips random byte arrays through parseEscapes', () => {
    const next = rng(0x5eed);
    // Pieces that exercise the multibyte path, which uniform random bytes rarely reach.
    const special = [
      ...[0xe9, 0x20ac, 0x1f600, 0x85, 0xa0, 0xfeff, 0x200b, 0x2028, 0x202e, 0x202f, 0x10ffff, 0x7ff, 0x800, 0xffff].map(
        (cp) => [...utf8(String.fromCodePoint(cp))],
      ),
      [0xe2, 0x82],
      [0xf0, 0x9f, 0x98],
      [0xf4, 0x90, 0x80, 0x80],
      [0xc0, 0x80],
      [0x5c, 0x78, 0x34],
      [0x5c],
    ];
    const failures: string[] = [];
    for (let round = 0; round < 3000; round++) {
      const parts: number[] = [];
      const pieces = randomInt(next, 24);
      for (let p = 0; p < pieces; p++) {
        const r = next();
        if (r < 0.5) parts.push(randomInt(next, 256));
        else if (r < 0.75) parts.push(...special[randomInt(next, special.length)]!);
        else parts.push(...utf8(String.fromCodePoint(randomInt(next, 0xd800))));
      }
      const bytes = Uint8Array.from(parts);
      const shown = formatEscaped(bytes);
      const back = parseEscapes(shown);
      if (!back.ok || toHex(back.bytes) !== toHex(bytes)) failures.push(toHex(bytes));
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });
});

describe('hexDump', () => {
  it('returns no lines for no bytes', () => {
    expect(hexDump(new Uint8Array(0))).toEqual([]);
  });

  it('writes offsets, hex with a gap after eight bytes, and ASCII with dots', () => {
    const bytes = Uint8Array.from([...utf8('Hello, world!\r\n'), 0x00, 0x41]);
    const lines = hexDump(bytes);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      offset: '00000000',
      hex: '48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0d 0a 00',
      ascii: 'Hello, world!...',
    });
    expect(lines[1]!.offset).toBe('00000010');
    expect(lines[1]!.ascii).toBe('A');
  });

  it('pads a short last line so its ASCII column lines up with full lines', () => {
    const lines = hexDump(Uint8Array.from({ length: 20 }, (_, i) => 0x30 + i));
    expect(lines).toHaveLength(2);
    expect(lines[1]!.hex.startsWith('40 41 42 43')).toBe(true);
    expect(lines[1]!.hex.trim()).toBe('40 41 42 43');
    expect(lines[1]!.hex).toHaveLength(lines[0]!.hex.length);
    expect(lines[0]!.hex).toHaveLength(48);
    expect(lines[1]!.ascii).toBe('@ABC');
  });

  it('counts offsets from startOffset', () => {
    const lines = hexDump(new Uint8Array(33), 0x100);
    expect(lines.map((l) => l.offset)).toEqual(['00000100', '00000110', '00000120']);
  });

  it('shows non-ASCII and DEL as dots', () => {
    expect(hexDump(Uint8Array.from([0x7f, 0x80, 0xff, 0x1f, 0x20, 0x7e]))[0]!.ascii).toBe('.... ~');
  });
});

describe('base64', () => {
  it('matches Node for random lengths 0..300', () => {
    const next = rng(42);
    for (let len = 0; len <= 300; len++) {
      const bytes = Uint8Array.from({ length: len }, () => randomInt(next, 256));
      const expected = Buffer.from(bytes).toString('base64');
      expect(toBase64(bytes)).toBe(expected);
      expect([...fromBase64(expected)]).toEqual([...bytes]);
    }
  });

  it('matches Node on a payload larger than one internal chunk', () => {
    const next = rng(7);
    const bytes = Uint8Array.from({ length: 100_001 }, () => randomInt(next, 256));
    const encoded = toBase64(bytes);
    expect(encoded).toBe(Buffer.from(bytes).toString('base64'));
    expect(Buffer.from(fromBase64(encoded)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('decodes unpadded input', () => {
    expect([...fromBase64('YQ')]).toEqual([0x61]);
    expect([...fromBase64('YWI')]).toEqual([0x61, 0x62]);
  });

  it('rejects characters outside the alphabet', () => {
    expect(() => fromBase64('ab$d')).toThrow(/invalid base64 character at 2/);
    expect(() => fromBase64('YW I=')).toThrow(/invalid base64/);
    expect(() => fromBase64('YW-_')).toThrow(/invalid base64/);
    expect(() => fromBase64('YQ==YQ==')).toThrow(/invalid base64/);
    expect(() => fromBase64('é')).toThrow(/invalid base64/);
  });
});

describe('firstLineOf', () => {
  const enc = (t: string) => new TextEncoder().encode(t);
  it('stops at the first line end, CRLF or LF', () => {
    expect(firstLineOf(enc('GET / HTTP/1.1\r\nHost: x\r\n'))).toBe('GET / HTTP/1.1');
    expect(firstLineOf(enc('hello\nworld'))).toBe('hello');
    expect(firstLineOf(enc('no end'))).toBe('no end');
  });
  it('escapes bytes that are not text and cuts long lines', () => {
    expect(firstLineOf(Uint8Array.from([1, 0x41, 0]))).toBe('\\x01A\\0');
    const long = firstLineOf(enc('x'.repeat(500)), 20);
    expect(long).toHaveLength(20);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('hex dump widths', () => {
  it('puts 8 or 4 bytes on a line when asked, offsets counting on', () => {
    const bytes = Uint8Array.from({ length: 10 }, (_, i) => 0x41 + i);
    const eight = hexDump(bytes, 0, 8);
    expect(eight.map((l) => l.offset)).toEqual(['00000000', '00000008']);
    expect(eight[0]!.hex).toBe('41 42 43 44  45 46 47 48');
    expect(eight[0]!.ascii).toBe('ABCDEFGH');
    const four = hexDump(bytes, 0x10, 4);
    expect(four.map((l) => l.offset)).toEqual(['00000010', '00000014', '00000018']);
    expect(four[0]!.hex).toBe('41 42 43 44');
    expect(four[2]!.hex).toBe('49 4a      ');
  });
  it('chooses the widest that fits', () => {
    expect(hexBytesPerLine(200)).toBe(16);
    expect(hexBytesPerLine(hexLineChars(16))).toBe(16);
    expect(hexBytesPerLine(hexLineChars(16) - 1)).toBe(8);
    expect(hexBytesPerLine(hexLineChars(8) - 1)).toBe(4);
    expect(hexBytesPerLine(3)).toBe(4);
  });
});
