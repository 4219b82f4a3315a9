import { describe, expect, it } from 'vitest';
import { decodeWire, encodeWire } from './wire';

function expectBytes(value: unknown, expected: number[]): void {
  expect(value).toBeInstanceOf(Uint8Array);
  expect(Buffer.isBuffer(value)).toBe(false);
  expect([...(value as Uint8Array)]).toEqual(expected);
}

describe('encodeWire / decodeWire', () => {
  it('round-trips bytes nested in objects and arrays', () => {
    const message = {
      kind: 'batch',
      batch: {
        id: 7,
        events: [
          { type: 'chunk', chunk: { seq: 0, data: Uint8Array.from([0, 1, 254, 255]) } },
          { type: 'chunk', chunk: { seq: 1, data: new Uint8Array(0) } },
        ],
        list: [Uint8Array.from([104, 105]), 'text', 3],
      },
    };
    const text = encodeWire(message);
    expect(text).toContain('"$b64":"AAH+/w=="');
    const back = decodeWire(text) as typeof message;
    expect(back.kind).toBe('batch');
    expect(back.batch.id).toBe(7);
    expectBytes(back.batch.events[0]!.chunk.data, [0, 1, 254, 255]);
    expectBytes(back.batch.events[1]!.chunk.data, []);
    expectBytes(back.batch.list[0], [104, 105]);
    expect(back.batch.list.slice(1)).toEqual(['text', 3]);
  });

  it('sends a Node Buffer as bytes, not as {type: "Buffer", data: [...]}', () => {
    const text = encodeWire({ args: { data: Buffer.from('hello') }, inList: [Buffer.from([1, 2])] });
    expect(text).not.toContain('"type":"Buffer"');
    const back = decodeWire(text) as { args: { data: unknown }; inList: unknown[] };
    expectBytes(back.args.data, [...Buffer.from('hello')]);
    expectBytes(back.inList[0], [1, 2]);
  });

  it('encodes only the viewed bytes of a subarray', () => {
    const whole = Uint8Array.from([9, 9, 1, 2, 3, 9]);
    const back = decodeWire(encodeWire({ data: whole.subarray(2, 5) })) as { data: unknown };
    expectBytes(back.data, [1, 2, 3]);
    const pooled = Buffer.from('xyz'); // small Buffers share a larger pool
    expectBytes((decodeWire(encodeWire({ data: pooled })) as { data: unknown }).data, [0x78, 0x79, 0x7a]);
  });

  it('handles bytes at the top level', () => {
    expectBytes(decodeWire(encodeWire(Uint8Array.from([5, 6, 7]))), [5, 6, 7]);
    expectBytes(decodeWire(encodeWire(Buffer.from([8]))), [8]);
  });

  it('leaves plain objects and values untouched', () => {
    const plain = {
      kind: 'command',
      id: 1,
      name: 'startListener',
      args: { host: '127.0.0.1', port: 0, nested: { a: [1, 'two', null, true], empty: {} } },
      lookalikes: [{ $b64: 'AAE=', extra: 1 }, { $b64: 5 }, { b64: 'AAE=' }],
    };
    expect(decodeWire(encodeWire(plain))).toEqual(plain);
    expect(decodeWire(encodeWire(null))).toBeNull();
    expect(decodeWire(encodeWire('just text'))).toBe('just text');
    expect(decodeWire(encodeWire(42))).toBe(42);
  });

  it('throws on malformed JSON and on bad base64 inside a byte value', () => {
    expect(() => decodeWire('{not json')).toThrow();
    expect(() => decodeWire('')).toThrow();
    expect(() => decodeWire('{"data":{"$b64":"@@@@"}}')).toThrow(/base64/);
  });
});
