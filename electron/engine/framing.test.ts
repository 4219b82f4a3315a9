import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkFraming, Framer, type Frame, type FramingConfig } from './framing';
import { makeEngine, onCleanup, until, value } from './testing/helpers';

/** Runs a Python peer against a port; resolves when it exits 0. */
function python(code: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const py = spawn('python3', ['-c', code, String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    onCleanup(() => py.kill('SIGKILL'));
    let err = '';
    py.stderr.on('data', (d: Buffer) => (err += d));
    py.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`python exited ${code}: ${err}`))));
  });
}

/** What a connection received, chunk by chunk, as the engine recorded it; and those chunks framed. */
async function receivedAndFramed(code: string, config: FramingConfig, expectedBytes: number) {
  const { engine, events } = makeEngine();
  const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
  await python(code, l.port);
  const chunks = () => events.flatMap((e) => (e.type === 'chunk' && e.chunk.direction === 'in' ? [e.chunk.data] : []));
  await until(() => chunks().reduce((n, c) => n + c.byteLength, 0) === expectedBytes, 'all bytes');
  const all = Buffer.concat(chunks());
  const framer = new Framer(config);
  const frames = chunks().flatMap((c) => framer.push(c));
  return { reads: chunks().length, frames: frames.map((f) => all.subarray(f.start, f.end).toString('latin1')), framer };
}

const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const LF: FramingConfig = { kind: 'delimiter', delimiter: enc('\n'), maxFrameBytes: 1 << 20 };
const CRLF: FramingConfig = { kind: 'delimiter', delimiter: enc('\r\n'), maxFrameBytes: 1 << 20 };
const BE16: FramingConfig = { kind: 'length', lengthBytes: 2, endian: 'big', lengthOffset: 0, includesHeader: false, adjustment: 0, maxFrameBytes: 1 << 20 };

function frame(config: FramingConfig, chunks: string[]): { frames: Frame[]; framer: Framer } {
  const framer = new Framer(config);
  const frames = chunks.flatMap((c) => framer.push(enc(c)));
  return { frames, framer };
}

/** The same stream cut at random places, for a property: the frames never depend on the cuts. */
function randomCuts(bytes: Uint8Array, seed: number): Uint8Array[] {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) % 7) + 1;
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.byteLength; ) {
    const n = Math.min(rnd(), bytes.byteLength - i);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

describe('delimiter framing', () => {
  it('ends a frame at each LF, several in one chunk and one across chunks, with what is left pending', () => {
    const { frames, framer } = frame(LF, ['a\nbc', 'd\ne']);
    expect(frames).toEqual([
      { start: 0, end: 2 },
      { start: 2, end: 6 },
    ]);
    expect(framer.pending()).toEqual({ start: 6, have: 1 });
  });

  it('finds a CRLF split between two chunks, and a longer delimiter split across three', () => {
    expect(frame(CRLF, ['abc\r', '\ndef\r\n']).frames).toEqual([
      { start: 0, end: 5 },
      { start: 5, end: 10 },
    ]);
    const end: FramingConfig = { kind: 'delimiter', delimiter: enc('END!'), maxFrameBytes: 100 };
    expect(frame(end, ['xxEN', 'D', '!yyE', 'ND', '!']).frames).toEqual([
      { start: 0, end: 6 },
      { start: 6, end: 12 },
    ]);
    // A lone \r is not half a line end that is remembered forever.
    expect(frame(CRLF, ['a\r', 'b\r\n']).frames).toEqual([{ start: 0, end: 5 }]);
  });

  it('frames NUL-terminated messages', () => {
    const nul: FramingConfig = { kind: 'delimiter', delimiter: Uint8Array.of(0), maxFrameBytes: 100 };
    expect(frame(nul, ['one\0two', '\0']).frames).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 8 },
    ]);
  });

  it('cuts a frame that passes the size limit without a delimiter, says so, and goes on', () => {
    const small: FramingConfig = { kind: 'delimiter', delimiter: enc('\n'), maxFrameBytes: 4 };
    expect(frame(small, ['abcdefg\n', 'hi\n']).frames).toEqual([
      { start: 0, end: 4, cut: true },
      { start: 4, end: 8 },
      { start: 8, end: 11 },
    ]);
  });

  it('counts a long frame without holding it, and cuts it at the limit', () => {
    const framer = new Framer(CRLF);
    for (let i = 0; i < 255; i++) expect(framer.push(new Uint8Array(4096).fill(0x41))).toEqual([]);
    expect(framer.pending()).toEqual({ start: 0, have: 255 * 4096 });
    // The 1 MiB limit is reached inside the next chunk.
    expect(framer.push(new Uint8Array(4096 + 2).fill(0x41))).toEqual([{ start: 0, end: 1 << 20, cut: true }]);
    expect(framer.pending()).toEqual({ start: 1 << 20, have: 2 });
  });
});

describe('length-prefix framing', () => {
  it('reads a 2-byte big-endian length whose header comes a byte at a time', () => {
    const stream = enc('\x00\x03abc\x00\x01z\x00\x00');
    const framer = new Framer(BE16);
    const frames = [...stream].flatMap((b) => framer.push(Uint8Array.of(b)));
    expect(frames).toEqual([
      { start: 0, end: 5 },
      { start: 5, end: 8 },
      { start: 8, end: 10 },
    ]);
    expect(framer.pending()).toBeNull();
  });

  it('says how much of a frame has come and how much it needs', () => {
    const { framer } = frame(BE16, ['\x00\x10abc']);
    expect(framer.pending()).toEqual({ start: 0, have: 5, need: 18 });
  });

  it('reads a little-endian length after a type byte, counting the header, with an adjustment', () => {
    // [type][len 4 LE] where len counts the whole frame.
    const whole: FramingConfig = { kind: 'length', lengthBytes: 4, endian: 'little', lengthOffset: 1, includesHeader: true, adjustment: 0, maxFrameBytes: 100 };
    expect(frame(whole, ['\x07\x07\x00\x00\x00hi\x01\x05\x00\x00\x00']).frames).toEqual([
      { start: 0, end: 7 },
      { start: 7, end: 12 },
    ]);
    // A length that counts a 2-byte checksum after the payload: adjust +2.
    const withCrc: FramingConfig = { kind: 'length', lengthBytes: 1, endian: 'big', lengthOffset: 0, includesHeader: false, adjustment: 2, maxFrameBytes: 100 };
    expect(frame(withCrc, ['\x02ab', 'CC\x00', 'DD']).frames).toEqual([
      { start: 0, end: 5 },
      { start: 5, end: 8 },
    ]);
  });

  it('reads an 8-byte length, and refuses one no frame can have', () => {
    const be64: FramingConfig = { kind: 'length', lengthBytes: 8, endian: 'big', lengthOffset: 0, includesHeader: false, adjustment: 0, maxFrameBytes: 1000 };
    expect(frame(be64, ['\0\0\0\0\0\0\0\x02ok']).frames).toEqual([{ start: 0, end: 10 }]);
    const { frames, framer } = frame(be64, ['\0\0\0\0\0\0\0\x01x', '\xff\xff\xff\xff\xff\xff\xff\xff', 'more bytes']);
    expect(frames).toEqual([{ start: 0, end: 9 }]);
    expect(framer.error).toEqual({ at: 9, message: expect.stringMatching(/more than any frame can be/) });
    expect(framer.pending()).toBeNull();
    // Nothing more is framed after the error.
    expect(framer.push(enc('\0\0\0\0\0\0\0\x00'))).toEqual([]);
  });

  it('explains a length over the limit, and one shorter than its own header', () => {
    const limited = { ...BE16, maxFrameBytes: 64 };
    expect(frame(limited, ['\x01\x00']).framer.error?.message).toMatch(/says 256 bytes \(a 258-byte frame\), over the 64-byte limit/);
    const counted: FramingConfig = { ...BE16, includesHeader: true };
    expect(frame(counted, ['\x00\x01']).framer.error?.message).toMatch(/less than the 2-byte header/);
  });
});

describe('fixed-size framing', () => {
  it('cuts every N bytes, whatever the chunks', () => {
    const { frames, framer } = frame({ kind: 'fixed', size: 3 }, ['ab', 'cdefg']);
    expect(frames).toEqual([
      { start: 0, end: 3 },
      { start: 3, end: 6 },
    ]);
    expect(framer.pending()).toEqual({ start: 6, have: 1, need: 3 });
  });
});

describe('any cut of the stream', () => {
  it('gives the same frames as the stream in one piece, for each kind of framing', () => {
    const lines = enc('alpha\r\nbeta\r\n\r\ngamma\r\nd');
    const prefixed = enc('\x00\x05hello\x00\x00\x00\x03abc\x00\x0a0123456789\x00');
    for (const [config, stream] of [
      [CRLF, lines],
      [{ kind: 'delimiter', delimiter: enc('\r\n\r\n'), maxFrameBytes: 9 }, lines],
      [BE16, prefixed],
      [{ kind: 'fixed', size: 4 }, prefixed],
    ] as const) {
      const whole = new Framer(config).push(stream);
      for (let seed = 1; seed <= 50; seed++) {
        const framer = new Framer(config);
        expect(randomCuts(stream, seed).flatMap((c) => framer.push(c))).toEqual(whole);
      }
    }
  });
});

describe('configurations', () => {
  it('refuses one that cannot frame, with the reason', () => {
    expect(checkFraming({ kind: 'delimiter', delimiter: new Uint8Array(0), maxFrameBytes: 10 })).toMatch(/at least one byte/);
    expect(checkFraming({ kind: 'fixed', size: 0 })).toMatch(/1 or more/);
    expect(checkFraming({ ...BE16, lengthOffset: -1 } as FramingConfig)).toMatch(/offset/);
    expect(checkFraming({ ...BE16, lengthBytes: 3 } as unknown as FramingConfig)).toMatch(/1, 2, 4 or 8/);
    expect(() => new Framer({ kind: 'fixed', size: 1.5 })).toThrow(/whole number/);
    expect(checkFraming(BE16)).toBeNull();
  });
});

describe('framing what real peers send', () => {
  it('JSON lines merged and split across reads come out as exactly the lines sent', async () => {
    // 40 lines written in odd pieces: several lines in one write, a line across two writes.
    const code = `
import socket, sys, time, json
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
data = b''.join(json.dumps({'n': i, 'pad': 'x' * (i % 7)}).encode() + b'\\n' for i in range(40))
i = 0
for size in [5, 60, 1, 200, 33, 7, 400, 3, 10000]:
    s.sendall(data[i:i + size]); i += size
    time.sleep(0.03)
s.close()
`;
    const lines = Array.from({ length: 40 }, (_, i) => `${JSON.stringify({ n: i, pad: 'x'.repeat(i % 7) }).replace(/,/g, ', ').replace(/:/g, ': ')}\n`);
    const total = lines.reduce((n, l) => n + l.length, 0);
    const { reads, frames, framer } = await receivedAndFramed(code, LF, total);
    expect(reads).toBeGreaterThan(3);
    expect(frames).toEqual(lines);
    expect(framer.pending()).toBeNull();
  });

  it('2-byte big-endian length-prefixed frames with headers split across reads come out as sent', async () => {
    const code = `
import socket, sys, time, struct
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
frames = [struct.pack('>H', len(p)) + p for p in (b'hello', b'', b'x' * 300, b'bye')]
data = b''.join(frames)
# Cut inside the first header, inside a payload, and between the two bytes of a later header.
for piece in (data[:1], data[1:4], data[4:8], data[8:8 + 301], data[8 + 301:]):
    s.sendall(piece)
    time.sleep(0.05)
s.close()
`;
    const expected = ['\x00\x05hello', '\x00\x00', `\x01\x2c${'x'.repeat(300)}`, '\x00\x03bye'];
    const total = expected.reduce((n, f) => n + f.length, 0);
    const { reads, frames } = await receivedAndFramed(code, BE16, total);
    expect(reads).toBeGreaterThanOrEqual(4);
    expect(frames).toEqual(expected);
  });
});
