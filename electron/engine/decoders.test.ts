import { constants as zlibConstants, crc32, createDeflateRaw, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Decoded, DecodedNode, DecoderChoice } from '../../shared/decoded';
import { DECODER_LABELS, DECODER_NAMES } from '../../shared/decoded';
import { DECODE_LIMITS, decode } from './decoders';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

function ok(bytes: Uint8Array, choice: DecoderChoice): Decoded {
  const d = decode(bytes, choice);
  expect(d).not.toBeNull();
  expect(d!.error).toBeUndefined();
  return d!;
}

function child(node: DecodedNode | undefined, key: string): DecodedNode {
  const found = node?.children?.find((c) => c.key === key);
  if (!found) throw new Error(`no child ${key} in ${JSON.stringify(node)}`);
  return found;
}

function countNodes(node: DecodedNode | undefined): number {
  if (!node) return 0;
  return 1 + (node.children ?? []).reduce((n, c) => n + countNodes(c), 0);
}

function depthOf(node: DecodedNode | undefined): number {
  if (!node) return 0;
  return 1 + Math.max(0, ...(node.children ?? []).map(depthOf));
}

/** A small seeded generator (mulberry32), so "random" bytes are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(seed: number, n: number): Uint8Array {
  const next = seeded(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

describe('shared decoder names', () => {
  it('labels every choice', () => {
    for (const name of [...DECODER_NAMES, 'auto', 'none'] as DecoderChoice[]) expect(DECODER_LABELS[name]).toBeTruthy();
    expect(DECODER_LABELS.protobuf).toBe('Protobuf (no schema)');
    expect(DECODER_LABELS.utf16le).toBe('UTF-16 LE');
  });
});

describe('CBOR (RFC 8949 Appendix A)', () => {
  it('reads integers beyond 2^53 and bignums exactly', () => {
    expect(ok(hex('1b ffffffffffffffff'), 'cbor').tree).toMatchObject({ type: 'integer', value: '18446744073709551615' });
    expect(ok(hex('3b ffffffffffffffff'), 'cbor').tree).toMatchObject({ type: 'integer', value: '-18446744073709551616' });
    expect(ok(hex('c2 49 010000000000000000'), 'cbor').tree).toMatchObject({ value: '18446744073709551616' });
    expect(ok(hex('c3 49 010000000000000000'), 'cbor').tree).toMatchObject({ value: '-18446744073709551617' });
    expect(ok(hex('00'), 'cbor').summary).toBe('0');
    expect(ok(hex('3903e7'), 'cbor').summary).toBe('-1000');
  });

  it('reads half, single and double floats', () => {
    expect(ok(hex('f9 3c00'), 'cbor').tree).toMatchObject({ type: 'number', value: '1' });
    expect(ok(hex('f9 3e00'), 'cbor').summary).toBe('1.5');
    expect(ok(hex('f9 7bff'), 'cbor').summary).toBe('65504');
    expect(ok(hex('f9 0001'), 'cbor').summary).toBe('5.960464477539063e-8');
    expect(ok(hex('f9 8000'), 'cbor').summary).toBe('-0');
    expect(ok(hex('f9 fc00'), 'cbor').summary).toBe('-Infinity');
    expect(ok(hex('fa 47c35000'), 'cbor').summary).toBe('100000');
    expect(ok(hex('fb 7e37e43c8800759c'), 'cbor').summary).toBe('1e+300');
  });

  it('reads nested maps and arrays', () => {
    const d = ok(hex('a2 6161 01 6162 82 02 03'), 'cbor');
    expect(d.summary).toBe('map(2) {a: 1, b: [2, 3]}');
    expect(child(d.tree, 'a')).toMatchObject({ type: 'number', value: '1' });
    expect(child(d.tree, 'b').children?.map((c) => c.value)).toEqual(['2', '3']);
    expect(ok(hex('82 6161 a1 6162 6163'), 'cbor').summary).toBe('array(2) ["a", {b: "c"}]');
    expect(ok(hex('a2 01 02 03 04'), 'cbor').summary).toBe('map(2) {1: 2, 3: 4}');
  });

  it('reads indefinite-length arrays and maps', () => {
    expect(ok(hex('9f 01 82 02 03 9f 04 05 ff ff'), 'cbor').summary).toBe('array(3) [1, [2, 3], [4, 5]]');
    expect(ok(hex('bf 6161 01 6162 9f 02 03 ff ff'), 'cbor').summary).toBe('map(2) {a: 1, b: [2, 3]}');
  });

  it('reads tags', () => {
    const uri = ok(hex('d8 20 76 687474703a2f2f7777772e6578616d706c652e636f6d'), 'cbor');
    expect(uri.summary).toBe('32("http://www.example.com")');
    expect(uri.tree).toMatchObject({ type: 'tag', value: '32', children: [{ type: 'string', value: '"http://www.example.com"' }] });
    expect(ok(hex('d7 44 01020304'), 'cbor').summary).toBe("23(h'01020304')");
    expect(ok(hex('c0 74 323031332d30332d32315432303a30343a30305a'), 'cbor').tree).toMatchObject({ type: 'date', value: '2013-03-21T20:04:00.000Z' });
    expect(ok(hex('c1 1a 514b67b0'), 'cbor').tree).toMatchObject({ type: 'date', value: '2013-03-21T20:04:00.000Z' });
    expect(ok(hex('44 01020304'), 'cbor').tree).toMatchObject({ type: 'bytes', value: '01 02 03 04' });
  });

  it('reads a CBOR sequence when chosen, one value per child', () => {
    const d = ok(hex('01 82 02 03'), 'cbor');
    expect(d.summary).toBe('2 values: 1, [2, 3]');
    expect(d.tree).toMatchObject({ type: 'sequence', children: [{ value: '1' }, { type: 'array' }] });
  });

  it('reports truncated and unsupported input as an error', () => {
    const cut = decode(hex('a2 6161 01 6162 82 02'), 'cbor');
    expect(cut?.error).toMatch(/ends before the value does/);
    expect(cut?.error).toMatch(/byte 0/);
    // cbor-x does not read indefinite-length byte strings; the reason is shown.
    expect(decode(hex('5f 42 0102 43 030405 ff'), 'cbor')?.error).toMatch(/Indefinite length/);
    expect(decode(hex('ff'), 'cbor')?.error).toMatch(/break/);
  });
});

describe('MessagePack (spec examples)', () => {
  it('reads the spec’s {"compact":true,"schema":0}', () => {
    const d = ok(hex('82 a7 636f6d70616374 c3 a6 736368656d61 00'), 'msgpack');
    expect(d.summary).toBe('map(2) {compact: true, schema: 0}');
    expect(child(d.tree, 'compact')).toMatchObject({ type: 'boolean', value: 'true' });
  });

  it('reads fixmap, fixarray and str8', () => {
    const long = 'x'.repeat(40);
    const d = ok(new Uint8Array([0x81, 0xa1, 0x73, 0xd9, 40, ...utf8(long), ]), 'msgpack');
    expect(d.summary).toBe(`map(1) {s: "${long}"}`);
    expect(ok(hex('93 01 02 03'), 'msgpack').summary).toBe('array(3) [1, 2, 3]');
  });

  it('reads bin as bytes', () => {
    const d = ok(hex('81 a1 62 c4 03 010203'), 'msgpack');
    expect(child(d.tree, 'b')).toMatchObject({ type: 'bytes', value: '01 02 03' });
    expect(d.summary).toBe("map(1) {b: h'010203'}");
  });

  it('keeps extension types it has no meaning for, and reads the timestamp', () => {
    const d = ok(hex('82 a1 61 d4 05 2a a1 62 c7 03 11 010203'), 'msgpack');
    expect(child(d.tree, 'a')).toMatchObject({ type: 'ext', value: 'type 5: 2a' });
    expect(child(d.tree, 'b')).toMatchObject({ type: 'ext', value: 'type 17: 01 02 03' });
    expect(d.summary).toBe("map(2) {a: ext(5, h'2a'), b: ext(17, h'010203')}");
    expect(ok(hex('d6 ff 5a4a1b8c'), 'msgpack').tree).toMatchObject({ type: 'date', value: '2018-01-01T11:29:16.000Z' });
  });

  it('reads uint64 and int64 exactly', () => {
    expect(ok(hex('cf ffffffffffffffff'), 'msgpack').tree).toMatchObject({ type: 'integer', value: '18446744073709551615' });
    expect(ok(hex('d3 8000000000000000'), 'msgpack').tree).toMatchObject({ type: 'integer', value: '-9223372036854775808' });
    expect(ok(hex('d3 ffffffffffffffff'), 'msgpack').summary).toBe('-1');
  });

  it('reports truncated input without throwing', () => {
    expect(decode(hex('82 a1 61 01 a1'), 'msgpack')?.error).toMatch(/ends before the value does/);
  });
});

describe('Protocol Buffers without a schema (encoding guide)', () => {
  it('08 96 01 is field 1, varint 150', () => {
    const d = ok(hex('08 96 01'), 'protobuf');
    expect(d.summary).toBe('#1 varint 150');
    expect(child(d.tree, '1')).toMatchObject({ type: 'varint', value: '150 (zigzag 75)' });
  });

  it('12 07 74 65 73 74 69 6e 67 is field 2, "testing"', () => {
    const d = ok(hex('12 07 74 65 73 74 69 6e 67'), 'protobuf');
    expect(d.summary).toBe('#2 "testing"');
    expect(child(d.tree, '2')).toMatchObject({ type: 'string', value: '"testing"' });
  });

  it('1a 03 08 96 01 is field 3, a nested message {1: 150}', () => {
    const d = ok(hex('1a 03 08 96 01'), 'protobuf');
    expect(d.summary).toBe('#3 {#1 varint 150}');
    const nested = child(d.tree, '3');
    expect(nested.type).toBe('message');
    expect(child(nested, '1')).toMatchObject({ type: 'varint', value: '150 (zigzag 75)' });
  });

  it('reads several fields in order', () => {
    expect(ok(hex('08 96 01 12 07 74657374696e67'), 'protobuf').summary).toBe('#1 varint 150, #2 "testing"');
  });

  it('offers a packed repeated field as varints', () => {
    const d = ok(hex('22 06 03 8e 02 9e a7 05'), 'protobuf');
    const field = child(d.tree, '4');
    expect(field).toMatchObject({ type: 'bytes', value: '03 8e 02 9e a7 05' });
    expect(child(field, 'as packed varints').value).toBe('3 values: 3, 270, 86942');
  });

  it('shows fixed64 and fixed32 as integers and as floating point', () => {
    const f64 = ok(hex('09 000000000000f83f'), 'protobuf');
    expect(child(f64.tree, '1')).toMatchObject({ type: 'fixed64', value: '4609434218613702656 (double 1.5)' });
    const neg = ok(hex('09 ffffffffffffffff'), 'protobuf');
    expect(child(neg.tree, '1').value).toBe('18446744073709551615 (int64 -1, double NaN)');
    const f32 = ok(hex('15 cdcc8c3f'), 'protobuf');
    expect(child(f32.tree, '2')).toMatchObject({ type: 'fixed32', value: '1066192077 (float 1.1)' });
  });

  it('shows a negative int32 (a 10-byte varint) exactly, as uint64 and int64', () => {
    const d = ok(hex('08 feffffffffffffffff01'), 'protobuf');
    expect(child(d.tree, '1').value).toBe('18446744073709551614 (int64 -2, zigzag 9223372036854775807)');
    expect(d.summary).toBe('#1 varint 18446744073709551614 (-2)');
  });

  it('shows sint32 zigzag when it differs', () => {
    expect(child(ok(hex('08 03'), 'protobuf').tree, '1').value).toBe('3 (zigzag -2)');
    expect(child(ok(hex('08 00'), 'protobuf').tree, '1').value).toBe('0');
  });

  it('shows a length-delimited field that reads both as text and as a message both ways', () => {
    const d = ok(hex('12 02 68 69'), 'protobuf');
    expect(d.summary).toBe('#2 "hi"');
    expect(child(d.tree, '2')).toMatchObject({ type: 'message', value: '"hi"', children: [{ key: '13', type: 'varint' }] });
    expect(child(ok(hex('12 03 ff 00 01'), 'protobuf').tree, '2')).toMatchObject({ type: 'bytes', value: 'ff 00 01' });
    expect(ok(hex('12 00 08 01'), 'protobuf').summary).toBe('#2 "", #1 varint 1');
  });

  it('reads groups', () => {
    const d = ok(hex('0b 08 01 0c 10 02'), 'protobuf');
    expect(d.summary).toBe('#1 group {#1 varint 1}, #2 varint 2');
    expect(child(d.tree, '1')).toMatchObject({ type: 'group', children: [{ key: '1', type: 'varint' }] });
  });

  it('reports garbage with the offset, without throwing', () => {
    const d = decode(hex('08 96 01 ff ff ff ff 0f'), 'protobuf');
    expect(d?.error).toMatch(/byte 3/);
    expect(d?.error).toMatch(/wire type 7/);
    expect(decode(hex('12 09 74 65'), 'protobuf')?.error).toMatch(/runs past the end/);
    expect(decode(hex('08'), 'protobuf')?.error).toMatch(/varint is cut short/);
    expect(decode(hex('0c'), 'protobuf')?.error).toMatch(/end of group 1 without its start/);
    expect(decode(randomBytes(7, 200), 'protobuf')?.error).toMatch(/^Not Protocol Buffers: at byte \d+/);
  });
});

describe('base64, compression, UTF-16', () => {
  const json = '{"id":7,"name":"x","tags":["a","b"]}';

  it('decodes base64 of JSON and the JSON inside', () => {
    const d = ok(utf8(Buffer.from(json).toString('base64')), 'base64');
    expect(d.inner?.decoder).toBe('json');
    expect(d.inner?.summary).toBe(json);
    expect(d.summary).toBe(`base64 → 36 B: ${json}`);
    expect(ok(utf8(Buffer.from(json).toString('base64url')), 'base64').inner?.decoder).toBe('json');
    expect(ok(utf8(`${Buffer.from(json).toString('base64').slice(0, 20)}\r\n${Buffer.from(json).toString('base64').slice(20)}`), 'base64').inner?.decoder).toBe('json');
  });

  it('shows base64 of text as text, of other bytes as hex', () => {
    expect(ok(utf8('aGVsbG8gd29ybGQ='), 'base64')).toMatchObject({ text: 'hello world', summary: 'base64 → 11 B: "hello world"' });
    expect(ok(utf8('AAEC/w=='), 'base64').tree).toMatchObject({ type: 'bytes', value: '00 01 02 ff' });
  });

  it('reports bad base64 with the offset', () => {
    expect(decode(utf8('aGVs*bG8='), 'base64')?.error).toMatch(/"\*" at byte 4/);
    expect(decode(utf8('aGVsbG8=x'), 'base64')?.error).toMatch(/after the padding at byte 8/);
    expect(decode(utf8('aGVsb'), 'base64')?.error).toMatch(/not a length/);
    expect(decode(utf8('ab+c-d=='), 'base64')?.error).toMatch(/standard base64/);
  });

  it('inflates gzip, zlib and raw deflate of JSON and decodes the JSON', () => {
    for (const [name, bytes] of [
      ['gzip', gzipSync(json)],
      ['zlib', deflateSync(json)],
      ['deflate', deflateRawSync(json)],
    ] as const) {
      const d = ok(new Uint8Array(bytes), name);
      expect(d.decoder).toBe(name);
      expect(d.inner?.decoder).toBe('json');
      expect(child(d.inner?.tree, 'id').value).toBe('7');
      expect(d.summary).toBe(`${name} ${bytes.length} B → 36 B: ${json}`);
    }
  });

  it('shows what a cut gzip stream holds so far, with a warning', () => {
    const text = 'line of text\n'.repeat(2000);
    const whole = gzipSync(text);
    const d = ok(new Uint8Array(whole.subarray(0, Math.floor(whole.length / 2))), 'gzip');
    expect(d.warning).toMatch(/input ends before the gzip stream does/);
    expect(d.text?.startsWith('line of text\n')).toBe(true);
  });

  it('reports invalid gzip without throwing', () => {
    expect(decode(hex('1f 8b 08 00 00000000 00 03 ffffffffffff'), 'gzip')?.error).toMatch(/^Not gzip data: /);
    expect(decode(utf8('not compressed at all'), 'gzip')?.error).toMatch(/incorrect header check/);
    expect(decode(utf8('not compressed at all'), 'zlib')?.error).toMatch(/^Not zlib data/);
  });

  it('reads UTF-16 LE and BE, with and without a BOM', () => {
    const text = 'héllo wörld ✓';
    const le = new Uint8Array(Buffer.from(text, 'utf16le'));
    const be = new Uint8Array(Buffer.from(text, 'utf16le').swap16());
    expect(ok(le, 'utf16le')).toMatchObject({ text, summary: `"${text}"` });
    expect(ok(be, 'utf16be')).toMatchObject({ text });
    expect(ok(new Uint8Array([0xff, 0xfe, ...le]), 'utf16le')).toMatchObject({ text, summary: `BOM "${text}"` });
    expect(ok(new Uint8Array([0xfe, 0xff, ...be]), 'utf16be')).toMatchObject({ text });
    const odd = ok(new Uint8Array([...le, 0x41]), 'utf16le');
    expect(odd.warning).toMatch(/odd last byte/);
    expect(ok(hex('00d8 4100'), 'utf16le').warning).toMatch(/lone surrogate at byte 0/);
  });
});

describe('JSON', () => {
  it('pretty-prints, summarizes on one line and builds a tree', () => {
    const d = ok(utf8(' {"id":7,"name":"x","list":[true,null,1.5]}\n'), 'json');
    expect(d.summary).toBe('{"id":7,"name":"x","list":[true,null,1.5]}');
    expect(d.text).toBe('{\n  "id": 7,\n  "name": "x",\n  "list": [\n    true,\n    null,\n    1.5\n  ]\n}');
    expect(child(d.tree, 'list')).toMatchObject({ type: 'array', children: [{ type: 'boolean' }, { type: 'null' }, { type: 'number', value: '1.5' }] });
  });

  it('reports a syntax error with the byte offset', () => {
    const d = decode(utf8('{"é":1,}'), 'json');
    expect(d?.error).toMatch(/^Not JSON: .*\(at byte 8\)\.$/);
    expect(decode(utf8('{"a":'), 'json')?.error).toMatch(/at byte 5/);
    expect(decode(hex('7b 22 ff 22 7d'), 'json')?.error).toMatch(/not UTF-8 \(at byte 2\)/);
  });

  it.runIf(typeof (JSON as { rawJSON?: unknown }).rawJSON === 'function')('keeps the digits of numbers a double cannot hold', () => {
    const d = ok(utf8('{"id":12345678901234567890,"f":1.0}'), 'json');
    expect(child(d.tree, 'id').value).toBe('12345678901234567890');
    expect(d.summary).toBe('{"id":12345678901234567890,"f":1.0}');
    expect(d.text).toContain('12345678901234567890');
  });
});

describe('auto-detection', () => {
  const json = '{"id":7,"name":"x"}';
  const cases: [string, Uint8Array, string][] = [
    ['JSON object', utf8(json), 'json'],
    ['JSON array after whitespace', utf8('\r\n  [1, 2, 3]\n'), 'json'],
    ['gzip', new Uint8Array(gzipSync(json)), 'gzip'],
    ['zlib', new Uint8Array(deflateSync(json)), 'zlib'],
    ['base64 of JSON', utf8(Buffer.from(json).toString('base64')), 'base64'],
    ['base64 of text, with a line ending', utf8('aGVsbG8gd29ybGQ=\n'), 'base64'],
    ['UTF-16 LE with BOM', new Uint8Array([0xff, 0xfe, ...Buffer.from('héllo', 'utf16le')]), 'utf16le'],
    ['UTF-16 BE with BOM', new Uint8Array([0xfe, 0xff, ...Buffer.from('héllo', 'utf16le').swap16()]), 'utf16be'],
    ['UTF-16 LE without BOM', new Uint8Array(Buffer.from('hello there', 'utf16le')), 'utf16le'],
    ['UTF-16 BE without BOM', new Uint8Array(Buffer.from('hello there', 'utf16le').swap16()), 'utf16be'],
    ['CBOR map', hex('a2 6161 01 6162 82 02 03'), 'cbor'],
    ['CBOR indefinite map', hex('bf 6161 01 6162 9f 02 03 ff ff'), 'cbor'],
    ['CBOR tag', hex('d8 20 76 687474703a2f2f7777772e6578616d706c652e636f6d'), 'cbor'],
    ['self-described CBOR', hex('d9d9f7 83 01 02 03'), 'cbor'],
    ['MessagePack map', hex('82 a7 636f6d70616374 c3 a6 736368656d61 00'), 'msgpack'],
    ['MessagePack array', hex('93 01 02 03'), 'msgpack'],
    ['MessagePack ext', hex('c7 03 11 010203'), 'msgpack'],
    ['protobuf varint', hex('08 96 01'), 'protobuf'],
    ['protobuf string', hex('12 07 74657374696e67'), 'protobuf'],
    ['protobuf nested', hex('1a 03 08 96 01'), 'protobuf'],
    ['protobuf packed', hex('22 06 03 8e 02 9e a7 05'), 'protobuf'],
    ['protobuf fixed64', hex('09 000000000000f83f'), 'protobuf'],
  ];
  for (const [label, bytes, expected] of cases) {
    it(`picks ${expected} for ${label}`, () => {
      const d = decode(bytes, 'auto');
      expect(d?.decoder).toBe(expected);
      expect(d?.error).toBeUndefined();
    });
  }

  it('decodes what base64 and gzip hold, in turn', () => {
    const nested = utf8(gzipSync(JSON.stringify({ a: [1, 2] })).toString('base64'));
    const d = ok(nested, 'auto');
    expect(d.decoder).toBe('base64');
    expect(d.inner?.decoder).toBe('gzip');
    expect(d.inner?.inner?.decoder).toBe('json');
    expect(d.summary).toMatch(/^base64 → \d+ B: gzip \d+ B → 11 B: \{"a":\[1,2\]\}$/);
  });

  it('leaves plain text alone', () => {
    for (const text of ['hello world\n', 'OK\r\n', 'abcdefgh', 'deadbeefcafe', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'true', '12345', '"quoted"', '{not json', 'x^ looks like zlib', 'Ünïcödé text ✓']) {
      expect(decode(utf8(text), 'auto')).toBeNull();
    }
  });

  it('leaves random bytes alone', () => {
    for (let seed = 1; seed <= 50; seed++) {
      for (const n of [16, 64, 256, 1024]) expect(decode(randomBytes(seed, n), 'auto')).toBeNull();
    }
  });

  it('needs at least 2 bytes for a binary guess', () => {
    expect(decode(hex('80'), 'auto')).toBeNull();
    expect(decode(hex('08'), 'auto')).toBeNull();
    expect(decode(new Uint8Array(0), 'auto')).toBeNull();
  });

  it('returns null for none, whatever the bytes', () => {
    expect(decode(utf8(json), 'none')).toBeNull();
  });
});

describe('bounds and failures', () => {
  it('never throws, whatever it is given', () => {
    expect(decode(null as unknown as Uint8Array, 'json')?.error).toBeTruthy();
    expect(decode(null as unknown as Uint8Array, 'auto')).toBeNull();
    expect(decode(utf8('x'), 'bogus' as DecoderChoice)).toBeNull();
    for (const name of DECODER_NAMES) {
      for (let seed = 100; seed < 110; seed++) expect(() => decode(randomBytes(seed, 300), name)).not.toThrow();
      expect(decode(new Uint8Array(0), name)?.error).toMatch(/no bytes/);
    }
  });

  it('refuses input over 16 MiB', () => {
    const d = decode(new Uint8Array(DECODE_LIMITS.maxInputBytes + 1), 'json');
    expect(d?.error).toMatch(/decoders read at most 16\.0 MiB/);
    expect(decode(new Uint8Array(DECODE_LIMITS.maxInputBytes + 1), 'auto')).toBeNull();
  });

  it('keeps trees within 2,000 nodes and depth 32, counting what is left out', () => {
    const wide = ok(utf8(JSON.stringify(Array.from({ length: 10_000 }, (_, i) => i))), 'json');
    expect(countNodes(wide.tree)).toBeLessThanOrEqual(DECODE_LIMITS.maxNodes);
    expect((wide.tree?.children?.length ?? 0) + (wide.tree?.omitted ?? 0)).toBe(10_000);

    const deep = ok(utf8(`${'['.repeat(100)}1${']'.repeat(100)}`), 'json');
    expect(depthOf(deep.tree)).toBe(DECODE_LIMITS.maxDepth + 1);
    let n: DecodedNode | undefined = deep.tree;
    while (n?.children) n = n.children[0];
    expect(n?.omitted).toBe(1);

    let msg = hex('08 01');
    for (let i = 0; i < 50; i++) msg = new Uint8Array([0x0a, msg.length, ...msg]);
    const pb = ok(msg, 'protobuf');
    expect(depthOf(pb.tree)).toBeLessThanOrEqual(DECODE_LIMITS.maxDepth + 1);
    expect(pb.summary.length).toBeLessThanOrEqual(160);

    const cborWide = ok(new Uint8Array([0x99, 0x27, 0x10, ...new Uint8Array(10_000)]), 'cbor');
    expect(countNodes(cborWide.tree)).toBeLessThanOrEqual(DECODE_LIMITS.maxNodes);
    expect(cborWide.tree?.omitted).toBe(10_000 - (cborWide.tree?.children?.length ?? 0));
  });

  it('reports input nested too deeply for the libraries, without throwing', () => {
    const deep = new Uint8Array(200_000).fill(0x81);
    expect(decode(deep, 'cbor')?.error).toBeTruthy();
    expect(decode(deep, 'msgpack')?.error).toBeTruthy();
    expect(decode(deep, 'auto')).toBeNull();
  });

  it('cuts long strings, bytes and summaries', () => {
    const d = ok(utf8(JSON.stringify({ s: 'y'.repeat(5000) })), 'json');
    expect(d.summary.length).toBeLessThanOrEqual(160);
    expect(d.summary.endsWith('…')).toBe(true);
    expect(child(d.tree, 's').value!.length).toBeLessThan(210);
    expect(child(d.tree, 's').value!.endsWith('…')).toBe(true);
    const bin = ok(new Uint8Array([0xc5, 0x03, 0xe8, ...new Uint8Array(1000)]), 'msgpack');
    expect(bin.tree?.value).toMatch(/… \(1000 bytes\)$/);
    const many = ok(new Uint8Array(Array.from({ length: 200 }, (_, i) => [((i % 15) + 1) * 8, 0x01]).flat()), 'protobuf');
    expect(many.summary.length).toBeLessThanOrEqual(160);
  });

  it('cuts a gzip bomb (1 GiB of zeros) at 16 MiB, quickly', async () => {
    const bomb = await gzipBombOfZeros(1024);
    expect(bomb.length).toBeLessThan(1_200_000);
    const before = process.memoryUsage().rss;
    const started = Date.now();
    const d = ok(bomb, 'gzip');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(d.warning).toMatch(/larger than 16\.0 MiB; cut after/);
    expect(d.summary).toMatch(/^gzip 1\.0\d MiB → 1[56]\.\d+ MiB\+: h'0000/);
    expect(d.tree?.type).toBe('bytes');
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
    expect(decode(bomb, 'auto')?.warning).toMatch(/cut after/);
  }, 30_000);

  it('cuts at a lower cap when asked', async () => {
    const bomb = await gzipBombOfZeros(64);
    const d = decode(bomb, 'gzip', { maxOutputBytes: 1024 * 1024 });
    expect(d?.warning).toMatch(/larger than 1\.00 MiB; cut after (\d+\.\d+ KiB|1\.00 MiB)/);
    expect(d?.summary).toMatch(/→ .*\+:/);
  });

  it('gives only a summary when asked', () => {
    const d = decode(utf8('{"a":1}'), 'json', { summaryOnly: true });
    expect(d).toEqual({ decoder: 'json', summary: '{"a":1}' });
    const g = decode(new Uint8Array(gzipSync('{"a":1}')), 'auto', { summaryOnly: true });
    expect(g?.summary).toMatch(/: \{"a":1\}$/);
    expect(g?.inner?.tree).toBeUndefined();
  });
});

/**
 * gzip of `mib` MiB of zeros, made without holding them: deflate compresses each further MiB of
 * zeros (after the first) to the same block, so the stream is the first block, that block
 * repeated, and the trailer.
 */
async function gzipBombOfZeros(mib: number): Promise<Uint8Array> {
  const deflater = createDeflateRaw({ level: 9 });
  const parts: Buffer[] = [];
  deflater.on('data', (c: Buffer) => parts.push(c));
  const zeros = Buffer.alloc(1024 * 1024);
  const flushed = async (): Promise<Buffer> => {
    deflater.write(zeros);
    await new Promise<void>((resolve) => deflater.flush(zlibConstants.Z_SYNC_FLUSH, () => resolve()));
    const out = Buffer.concat(parts);
    parts.length = 0;
    return out;
  };
  const first = await flushed();
  const repeat = await flushed();
  expect(await flushed()).toEqual(repeat);
  const ended = new Promise<void>((resolve) => deflater.on('end', () => resolve()));
  deflater.end();
  await ended;
  const tail = Buffer.concat(parts);
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = crc32(zeros, crc);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE((mib * 1024 * 1024) % 2 ** 32, 4);
  const header = Buffer.from('1f8b08000000000000ff', 'hex');
  return new Uint8Array(Buffer.concat([header, first, ...Array.from({ length: mib - 1 }, () => repeat), tail, trailer]));
}
