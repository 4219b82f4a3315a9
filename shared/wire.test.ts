import { describe, expect, it } from 'vitest';
import { decodeFrame, decodeWire, encodeFrame, encodeWire } from './wire';

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

describe('encodeFrame / decodeFrame', () => {
  it('round-trips a batch with many payloads, keeping bytes out of the JSON', () => {
    const payloads = Array.from({ length: 50 }, (_, i) => Uint8Array.from({ length: i * 7 }, (_, k) => (k * 31 + i) & 0xff));
    const message = { kind: 'batch', batch: { id: 3, events: payloads.map((data, seq) => ({ type: 'chunk', chunk: { seq, data } })) } };
    const frame = encodeFrame(message);
    const headerLength = new DataView(frame.buffer).getUint32(0, true);
    expect(headerLength).toBeLessThan(50 * 80);
    const back = decodeFrame(frame) as typeof message;
    expect(back.batch.id).toBe(3);
    back.batch.events.forEach((e, i) => expectBytes(e.chunk.data, [...payloads[i]!]));
  });

  it('handles Node Buffers, subarrays, bytes at the top level and messages without bytes', () => {
    const whole = Uint8Array.from([9, 9, 1, 2, 3, 9]);
    expectBytes((decodeFrame(encodeFrame({ a: whole.subarray(2, 5), b: Buffer.from('hi') })) as { a: unknown }).a, [1, 2, 3]);
    expectBytes(decodeFrame(encodeFrame(Uint8Array.from([5, 6]))), [5, 6]);
    expect(decodeFrame(encodeFrame({ kind: 'result', id: 1, result: { ok: true, value: [1, 'x', null] } }))).toEqual({
      kind: 'result',
      id: 1,
      result: { ok: true, value: [1, 'x', null] },
    });
  });

  it('refuses malformed frames', () => {
    const good = encodeFrame({ data: Uint8Array.from([1, 2, 3]) });
    expect(() => decodeFrame(good.subarray(0, 4))).toThrow(/too short/);
    expect(() => decodeFrame(good.subarray(0, good.byteLength - 1))).toThrow(/add up/);
    const bad = good.slice();
    new DataView(bad.buffer).setUint32(0, 10_000, true);
    expect(() => decodeFrame(bad)).toThrow(/overruns/);
  });
});
