/**
 * Readings and inspection commands end to end: a real Engine, real loopback peers (Python,
 * TCP_NODELAY, one write per command so each arrives as its own read), and the commands run
 * as a host runs them (parsed by the contract's schema, then executed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseCommand, type CommandInput, type CommandName, type CommandResults } from '../../shared/contract';
import type { SocketEvent } from '../../shared/model';
import type { ReadingSpec, RowPage, ViewRow } from '../../shared/reading';
import type { Result } from '../../shared/result';
import type { Engine } from './engine';
import type { Inspection } from './inspection';
import { client, conn, makeEngine, onCleanup, until, value } from './testing/helpers';

// ---------------------------------------------------------------------------------------------
// Helpers

/** Parses a command with the contract's schema (so defaults fill in), then runs it. */
async function cmd<K extends CommandName>(engine: Engine, name: K, input: CommandInput<K>): Promise<Result<CommandResults[K]>> {
  const parsed = parseCommand(name, input);
  if (!parsed.ok) throw new Error(`${name} was refused by its schema: ${parsed.message}`);
  return engine.execute(name, parsed.args);
}

/** A reading's rows, once the reading has caught up with the capture. */
async function rowsOf(engine: Engine, connectionId: string, reading: ReadingSpec, extra: Partial<CommandInput<'getRows'>> = {}): Promise<RowPage> {
  for (let i = 0; i < 500; i++) {
    const page = value(await cmd(engine, 'getRows', { connectionId, reading, limit: 2000, ...extra }));
    if (page.caughtUp) return page;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('the reading never caught up');
}

const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const bytes = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const cat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

/** The fields of a row a test compares; flags only when set. */
function brief(r: ViewRow) {
  const b: Record<string, unknown> = { n: r.n, dir: r.direction, from: r.from, to: r.to, seq: [r.seqFrom, r.seqTo], text: latin1(r.data), bounds: r.boundaries };
  for (const k of ['end', 'cut', 'continued', 'pending', 'need'] as const) if (r[k] !== undefined) b[k] = r[k];
  return b;
}

function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGKILL');
  });
}

/**
 * A Python peer that sends exactly what it is told, one sendall (TCP, TCP_NODELAY) or one
 * datagram (UDP) per command read from its stdin, and answers "ok" once it has.
 */
const PEER = `
import socket, sys
kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
if kind == 'tcp':
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.connect((host, port))
else:
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((host, 0))
print('ready', s.getsockname()[1], flush=True)
for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    if words[0] == 'end':
        s.shutdown(socket.SHUT_WR)
    else:
        data = bytes.fromhex(words[1]) if len(words) > 1 else b''
        if kind == 'tcp':
            s.sendall(data)
        else:
            s.sendto(data, (host, port))
    print('ok', flush=True)
`;

interface Peer {
  /** The peer's own port. */
  port: number;
  send(data: Uint8Array): Promise<void>;
}

async function pyPeer(kind: 'tcp' | 'udp', port: number, host = '127.0.0.1'): Promise<Peer> {
  const py = spawn('python3', ['-u', '-c', PEER, kind, host, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  onCleanup(() => killChild(py));
  let stderr = '';
  py.stderr!.on('data', (d) => (stderr += d));
  const lines = readline.createInterface({ input: py.stdout! });
  const queue: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  lines.on('line', (line) => {
    const w = waiters.shift();
    if (w) w(line);
    else queue.push(line);
  });
  const next = (what: string) =>
    new Promise<string>((resolve, reject) => {
      if (queue.length) return resolve(queue.shift()!);
      const timer = setTimeout(() => reject(new Error(`the Python peer did not answer (${what}): ${stderr}`)), 10_000);
      waiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  const ready = (await next('start')).split(' ');
  expect(ready[0]).toBe('ready');
  return {
    port: Number(ready[1]),
    send: async (data) => {
      py.stdin!.write(`send ${Buffer.from(data).toString('hex')}\n`);
      expect(await next('send')).toBe('ok');
    },
  };
}

/**
 * Sends each piece from the peer and waits until the engine has read it, as one chunk: the
 * next piece leaves only after, so every piece is a read of its own.
 */
async function feed(engine: Engine, id: string, peer: Peer, pieces: Array<Uint8Array | string>): Promise<void> {
  for (const piece of pieces) {
    const data = typeof piece === 'string' ? bytes(piece) : piece;
    const before = conn(engine, id);
    await peer.send(data);
    await until(() => conn(engine, id).bytesIn === before.bytesIn + data.byteLength, `${data.byteLength} bytes on ${id}`);
    expect(conn(engine, id).chunksIn, 'each write arrives as one read').toBe(before.chunksIn + 1);
  }
}

/** The engine sends on a connection (one out chunk). */
async function send(engine: Engine, id: string, text: string | Uint8Array): Promise<void> {
  const data = typeof text === 'string' ? bytes(text) : text;
  expect(value(await cmd(engine, 'send', { connectionId: id, data }))).toEqual({ bytes: data.byteLength });
}

/** A listener with one Python client connected; its connection id. */
async function accepted(engine: Engine): Promise<{ id: string; peer: Peer }> {
  const l = value(await cmd(engine, 'startListener', { host: '127.0.0.1', port: 0 }));
  const peer = await pyPeer('tcp', l.port);
  await until(() => engine.snapshot().connections.some((c) => c.listenerId === l.id && c.remote.port === peer.port), 'accept');
  const id = engine.snapshot().connections.find((c) => c.listenerId === l.id && c.remote.port === peer.port)!.id;
  return { id, peer };
}

/** Waits for a search's last progress report. */
async function searchDone(events: SocketEvent[], searchId: string) {
  await until(() => events.some((e) => e.type === 'search-progress' && e.searchId === searchId && e.progress.done), `search ${searchId} to finish`);
  const last = events.filter((e) => e.type === 'search-progress' && e.searchId === searchId).at(-1)!;
  return last.type === 'search-progress' ? last.progress : null;
}

const LINES: ReadingSpec = { view: 'lines' };
const lengthFraming = (over: Partial<Extract<Extract<ReadingSpec, { view: 'frames' }>['framing'], { kind: 'length' }>> = {}): ReadingSpec => ({
  view: 'frames',
  framing: { kind: 'length', lengthBytes: 2, endian: 'big', lengthOffset: 0, includesHeader: false, adjustment: 0, maxFrameBytes: 1000, ...over },
});
const delimiterFraming = (delimiterHex: string, maxFrameBytes = 1000): ReadingSpec => ({ view: 'frames', framing: { kind: 'delimiter', delimiterHex, maxFrameBytes } });

// ---------------------------------------------------------------------------------------------

describe('lines', () => {
  it('merges and splits JSON lines across reads, each direction on its own, with a pending last line', async () => {
    const { engine } = makeEngine();
    const { id, peer } = await accepted(engine);
    await feed(engine, id, peer, ['{"a":1}\n{"b":2}\n{"c":']); // seq 0, in [0,21)
    await send(engine, id, 'hello\nwor'); // seq 1, out [0,9)
    await feed(engine, id, peer, ['3', '}\n']); // seq 2 [21,22), seq 3 [22,24)
    await send(engine, id, 'ld\r\n'); // seq 4, out [9,13)
    await feed(engine, id, peer, ['{"d":4}\r', '\n{"e":5}\r\n', '{"f":6}']); // seq 5 [24,32), 6 [32,42), 7 [42,49)

    const page = await rowsOf(engine, id, LINES);
    expect(page.rows.map(brief)).toEqual([
      { n: 0, dir: 'in', from: 0, to: 8, seq: [0, 0], text: '{"a":1}\n', bounds: [], end: 'lf' },
      { n: 1, dir: 'in', from: 8, to: 16, seq: [0, 0], text: '{"b":2}\n', bounds: [], end: 'lf' },
      { n: 2, dir: 'out', from: 0, to: 6, seq: [1, 1], text: 'hello\n', bounds: [], end: 'lf' },
      { n: 3, dir: 'in', from: 16, to: 24, seq: [0, 3], text: '{"c":3}\n', bounds: [21, 22], end: 'lf' },
      { n: 4, dir: 'out', from: 6, to: 13, seq: [1, 4], text: 'world\r\n', bounds: [9], end: 'crlf' },
      { n: 5, dir: 'in', from: 24, to: 33, seq: [5, 6], text: '{"d":4}\r\n', bounds: [32], end: 'crlf' },
      { n: 6, dir: 'in', from: 33, to: 42, seq: [6, 6], text: '{"e":5}\r\n', bounds: [], end: 'crlf' },
    ]);
    expect(page.pending.map(brief)).toEqual([{ n: 7, dir: 'in', from: 42, to: 49, seq: [7, 7], text: '{"f":6}', bounds: [], pending: true }]);
    expect(page).toMatchObject({ total: 7, firstRow: 0, errors: [], caughtUp: true, droppedBytes: 0 });
    // Every line is exactly what was sent, in order, per direction.
    expect(page.rows.filter((r) => r.direction === 'in').map((r) => JSON.parse(latin1(r.data)))).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }, { d: 4 }, { e: 5 }]);
    // A row's time is its first chunk's.
    const chunks = value(await cmd(engine, 'getChunks', { connectionId: id })).chunks;
    for (const r of page.rows) expect(r.time).toBe(chunks[r.seqFrom]!.time);

    // The pending line becomes a row once its LF comes.
    await feed(engine, id, peer, ['\n']); // seq 8 [49,50)
    const after = await rowsOf(engine, id, LINES, { fromRow: 7 });
    expect(after.rows.map(brief)).toEqual([{ n: 7, dir: 'in', from: 42, to: 50, seq: [7, 8], text: '{"f":6}\n', bounds: [49], end: 'lf' }]);
    expect(after.pending).toEqual([]);
    expect(after.total).toBe(8);

    // Paging: fromRow and limit pick rows by number.
    const paged = value(await cmd(engine, 'getRows', { connectionId: id, reading: LINES, fromRow: 2, limit: 2 }));
    expect(paged.rows.map((r) => r.n)).toEqual([2, 3]);
    expect(paged.total).toBe(8);
  });

  // Bug: a pending row's seqTo is the last chunk of the connection (either direction), not the
  // last chunk holding its bytes. Here the in line's last byte is in chunk 0, yet seqTo is 1
  // (the out chunk sent after it). ViewRow.seqTo: "the chunks holding its first and last bytes".
  it('a pending line ends at the last chunk of its own direction', async () => {
    const { engine } = makeEngine();
    const { id, peer } = await accepted(engine);
    await feed(engine, id, peer, ['no end yet']); // seq 0
    await send(engine, id, 'out\n'); // seq 1
    const page = await rowsOf(engine, id, LINES);
    expect(page.rows.map(brief)).toEqual([{ n: 0, dir: 'out', from: 0, to: 4, seq: [1, 1], text: 'out\n', bounds: [], end: 'lf' }]);
    expect(page.pending.map(brief)).toEqual([{ n: 1, dir: 'in', from: 0, to: 10, seq: [0, 0], text: 'no end yet', bounds: [], pending: true }]);
  });
});

describe('length-prefixed frames', () => {
  it('2-byte big-endian: headers split across reads, an empty payload, 300 bytes; pending need; a length over the limit stops framing', async () => {
    const { engine } = makeEngine();
    const { id, peer } = await accepted(engine);
    const spec = lengthFraming();
    const payload = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
    // F0 = 00 03 "abc" [0,5); F1 = 00 00 [5,7); F2 = 01 2c + 300 bytes [7,309); F3 = 00 04 "wxyz" [309,315)
    await feed(engine, id, peer, [hex('0003 616263 00')]); // seq 0 [0,6): F0 and 1 byte of F1's header
    let page = await rowsOf(engine, id, spec);
    expect(page.rows.map(brief)).toEqual([{ n: 0, dir: 'in', from: 0, to: 5, seq: [0, 0], text: '\x00\x03abc', bounds: [] }]);
    expect(page.pending.map(brief)).toEqual([{ n: 1, dir: 'in', from: 5, to: 6, seq: [0, 0], text: '\x00', bounds: [], pending: true }]);

    await feed(engine, id, peer, [hex('00 01')]); // seq 1 [6,8): F1's second header byte, F2's first
    await feed(engine, id, peer, [cat(hex('2c'), payload.subarray(0, 100))]); // seq 2 [8,109)
    page = await rowsOf(engine, id, spec);
    expect(page.rows.map(brief).slice(1)).toEqual([{ n: 1, dir: 'in', from: 5, to: 7, seq: [0, 1], text: '\x00\x00', bounds: [6] }]);
    expect(page.pending.map(brief)).toEqual([{ n: 2, dir: 'in', from: 7, to: 109, seq: [1, 2], text: '\x01\x2c' + latin1(payload.subarray(0, 100)), bounds: [8], pending: true, need: 302 }]);

    await feed(engine, id, peer, [cat(payload.subarray(100), hex('0004'), bytes('wxyz'))]); // seq 3 [109,315)
    page = await rowsOf(engine, id, spec);
    expect(page.rows.map(brief)).toEqual([
      { n: 0, dir: 'in', from: 0, to: 5, seq: [0, 0], text: '\x00\x03abc', bounds: [] },
      { n: 1, dir: 'in', from: 5, to: 7, seq: [0, 1], text: '\x00\x00', bounds: [6] },
      { n: 2, dir: 'in', from: 7, to: 309, seq: [1, 3], text: '\x01\x2c' + latin1(payload), bounds: [8, 109] },
      { n: 3, dir: 'in', from: 309, to: 315, seq: [3, 3], text: '\x00\x04wxyz', bounds: [] },
    ]);
    expect(page.pending).toEqual([]);
    expect(page.errors).toEqual([]);

    // 65535 bytes announced, 1000 allowed: framing stops at that frame, and says why.
    await feed(engine, id, peer, [cat(hex('ffff'), bytes('junk'))]); // seq 4 [315,321)
    await feed(engine, id, peer, [cat(hex('0001'), bytes('a'))]); // seq 5: would be a frame, is not framed
    page = await rowsOf(engine, id, spec);
    const error = {
      direction: 'in',
      at: 315,
      message: 'The length field says 65535 bytes (a 65,537-byte frame), over the 1,000-byte limit: the framing does not fit this stream, or the limit is too low.',
    };
    expect(page.errors).toEqual([error]);
    expect(page.rows.map((r) => [r.from, r.to])).toEqual([
      [0, 5],
      [5, 7],
      [7, 309],
      [309, 315],
    ]);
    expect(page.total).toBe(4);
    expect(page.pending).toEqual([]);
    // The engine's own sends are framed on their own and do not fail with the stream that did.
    await send(engine, id, cat(hex('0002'), bytes('ok')));
    page = await rowsOf(engine, id, spec);
    expect(page.rows.map(brief).slice(4)).toEqual([{ n: 4, dir: 'out', from: 0, to: 4, seq: [6, 6], text: '\x00\x02ok', bounds: [] }]);
    expect(page.errors).toEqual([error]);
  });

  it('4-byte little-endian at offset 2 counting the header; and an adjustment', async () => {
    const { engine } = makeEngine();
    const le32 = (n: number) => Uint8Array.of(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
    const f1 = cat(bytes('T1'), le32(9), bytes('abc'));
    const f2 = cat(bytes('T2'), le32(6));
    const f3 = cat(bytes('T3'), le32(10), bytes('wxyz'));
    const a = await accepted(engine);
    await feed(engine, a.id, a.peer, [f1.subarray(0, 4), cat(f1.subarray(4), f2, f3.subarray(0, 1)), f3.subarray(1)]);
    const spec = lengthFraming({ lengthBytes: 4, endian: 'little', lengthOffset: 2, includesHeader: true });
    let page = await rowsOf(engine, a.id, spec);
    expect(page.rows.map(brief)).toEqual([
      { n: 0, dir: 'in', from: 0, to: 9, seq: [0, 1], text: latin1(f1), bounds: [4] },
      { n: 1, dir: 'in', from: 9, to: 15, seq: [1, 1], text: latin1(f2), bounds: [] },
      { n: 2, dir: 'in', from: 15, to: 25, seq: [1, 2], text: latin1(f3), bounds: [16] },
    ]);
    expect(page.pending).toEqual([]);
    // A length smaller than the header it is part of is not a frame of this layout.
    await feed(engine, a.id, a.peer, [cat(bytes('T4'), le32(3))]);
    page = await rowsOf(engine, a.id, spec);
    expect(page.errors).toEqual([{ direction: 'in', at: 25, message: 'The length field says 3, less than the 6-byte header it is part of: this is not a frame of this layout.' }]);
    expect(page.total).toBe(3);

    // A 2-byte CRC after the payload that the length does not count: adjustment +2.
    const b = await accepted(engine);
    await feed(engine, b.id, b.peer, [hex('0003 6162'), hex('63 5859 0000 5a5a 00')]);
    const adjusted = await rowsOf(engine, b.id, lengthFraming({ adjustment: 2 }));
    expect(adjusted.rows.map(brief)).toEqual([
      { n: 0, dir: 'in', from: 0, to: 7, seq: [0, 1], text: '\x00\x03abcXY', bounds: [4] },
      { n: 1, dir: 'in', from: 7, to: 11, seq: [1, 1], text: '\x00\x00ZZ', bounds: [] },
    ]);
    expect(adjusted.pending.map(brief)).toEqual([{ n: 2, dir: 'in', from: 11, to: 12, seq: [1, 1], text: '\x00', bounds: [], pending: true }]);
    // The same stream without the adjustment frames differently: readings of one capture are independent.
    const plain = await rowsOf(engine, b.id, lengthFraming());
    expect(plain.rows.map((r) => latin1(r.data))).toEqual(['\x00\x03abc']);
    expect(plain.errors).toEqual([{ direction: 'in', at: 5, message: 'The length field says 22617 bytes (a 22,619-byte frame), over the 1,000-byte limit: the framing does not fit this stream, or the limit is too low.' }]);
  });
});

describe('delimiter and fixed frames', () => {
  it('a multi-byte delimiter split across reads ends one frame; a frame past the limit is cut', async () => {
    const { engine } = makeEngine();
    const a = await accepted(engine);
    await feed(engine, a.id, a.peer, ['abc\r', '\ndef\r\n', 'g']);
    const crlf = await rowsOf(engine, a.id, delimiterFraming('0d 0a'));
    expect(crlf.rows.map(brief)).toEqual([
      { n: 0, dir: 'in', from: 0, to: 5, seq: [0, 1], text: 'abc\r\n', bounds: [4] },
      { n: 1, dir: 'in', from: 5, to: 10, seq: [1, 1], text: 'def\r\n', bounds: [] },
    ]);
    expect(crlf.pending.map(brief)).toEqual([{ n: 2, dir: 'in', from: 10, to: 11, seq: [2, 2], text: 'g', bounds: [], pending: true }]);

    // A 3-byte delimiter arriving a byte per read, and a near miss (ff 00 then not ff).
    const b = await accepted(engine);
    await feed(engine, b.id, b.peer, ['one\xff', '\x00', '\xfftwo\xff\x00', 'q\xff\x00', '\xff', 'x']);
    const custom = await rowsOf(engine, b.id, delimiterFraming('FF:00:FF'));
    expect(custom.rows.map(brief)).toEqual([
      { n: 0, dir: 'in', from: 0, to: 6, seq: [0, 2], text: 'one\xff\x00\xff', bounds: [4, 5] },
      { n: 1, dir: 'in', from: 6, to: 15, seq: [2, 4], text: 'two\xff\x00q\xff\x00\xff', bounds: [11, 14] },
    ]);
    expect(custom.pending.map(brief)).toEqual([{ n: 2, dir: 'in', from: 15, to: 16, seq: [5, 5], text: 'x', bounds: [], pending: true }]);
    expect(custom.errors).toEqual([]);

    // 8 bytes at most: "abcdefgh" has no CRLF within the limit, so it is cut there.
    const c = await accepted(engine);
    await feed(engine, c.id, c.peer, ['abcdef', 'gh\r', '\nxy\r\n']);
    const cut = await rowsOf(engine, c.id, delimiterFraming('0d0a', 8));
    expect(cut.rows.map(brief)).toEqual([
      { n: 0, dir: 'in', from: 0, to: 8, seq: [0, 1], text: 'abcdefgh', bounds: [6], cut: true },
      { n: 1, dir: 'in', from: 8, to: 10, seq: [1, 2], text: '\r\n', bounds: [9] },
      { n: 2, dir: 'in', from: 10, to: 14, seq: [2, 2], text: 'xy\r\n', bounds: [] },
    ]);
    expect(cut.pending).toEqual([]);
    expect(cut.errors).toEqual([]);
  });

  it('fixed-size frames', async () => {
    const { engine } = makeEngine();
    const { id, peer } = await accepted(engine);
    await feed(engine, id, peer, ['ab', 'cdefg', 'h', 'ij']);
    const page = await rowsOf(engine, id, { view: 'frames', framing: { kind: 'fixed', size: 4 } });
    expect(page.rows.map(brief)).toEqual([
      { n: 0, dir: 'in', from: 0, to: 4, seq: [0, 1], text: 'abcd', bounds: [2] },
      { n: 1, dir: 'in', from: 4, to: 8, seq: [1, 2], text: 'efgh', bounds: [7] },
    ]);
    expect(page.pending.map(brief)).toEqual([{ n: 2, dir: 'in', from: 8, to: 10, seq: [3, 3], text: 'ij', bounds: [], pending: true, need: 4 }]);
    const ones = await rowsOf(engine, id, { view: 'frames', framing: { kind: 'fixed', size: 1 } });
    expect(ones.total).toBe(10);
    expect(ones.pending).toEqual([]);
  });
});

describe('stream view', () => {
  it('merges reads of one direction with boundaries; a direction change starts a row; long runs continue', async () => {
    const { engine } = makeEngine();
    const { id, peer } = await accepted(engine);
    const spec: ReadingSpec = { view: 'stream', mergeMs: null };
    await feed(engine, id, peer, ['ab', 'cd']); // seq 0, 1
    await send(engine, id, 'XY'); // seq 2
    await feed(engine, id, peer, ['ef']); // seq 3
    let page = await rowsOf(engine, id, spec);
    expect(page.rows.map(brief)).toEqual([
      { n: 0, dir: 'in', from: 0, to: 4, seq: [0, 1], text: 'abcd', bounds: [2] },
      { n: 1, dir: 'out', from: 0, to: 2, seq: [2, 2], text: 'XY', bounds: [] },
    ]);
    expect(page.pending.map(brief)).toEqual([{ n: 2, dir: 'in', from: 4, to: 6, seq: [3, 3], text: 'ef', bounds: [], pending: true }]);

    // STREAM_ROW_BYTES (512) per row: ef + 300 + 400 + 600 bytes = 1302 bytes from offset 4.
    const fill = (n: number, c: string) => c.repeat(n);
    await feed(engine, id, peer, [fill(300, 'a'), fill(400, 'b'), fill(600, 'c')]); // seq 4, 5, 6
    await send(engine, id, 'Z'); // seq 7
    page = await rowsOf(engine, id, spec);
    const all = 'ef' + fill(300, 'a') + fill(400, 'b') + fill(600, 'c');
    expect(page.rows.map(brief).slice(2)).toEqual([
      { n: 2, dir: 'in', from: 4, to: 516, seq: [3, 5], text: all.slice(0, 512), bounds: [6, 306] },
      { n: 3, dir: 'in', from: 516, to: 1028, seq: [5, 6], text: all.slice(512, 1024), bounds: [706], continued: true },
      { n: 4, dir: 'in', from: 1028, to: 1306, seq: [6, 6], text: all.slice(1024), bounds: [], continued: true },
    ]);
    expect(page.pending.map(brief)).toEqual([{ n: 5, dir: 'out', from: 2, to: 3, seq: [7, 7], text: 'Z', bounds: [], pending: true }]);
  });

  it('mergeMs splits a run where reads are further apart than it', async () => {
    const { engine } = makeEngine();
    const { id, peer } = await accepted(engine);
    await feed(engine, id, peer, ['a', 'b']);
    await new Promise((r) => setTimeout(r, 1200));
    await feed(engine, id, peer, ['c']);
    const times = value(await cmd(engine, 'getChunks', { connectionId: id })).chunks.map((c) => c.time);
    // The premise: a and b close together, c long after.
    expect(times[1]! - times[0]!).toBeLessThanOrEqual(500);
    expect(times[2]! - times[1]!).toBeGreaterThan(500);
    const split = await rowsOf(engine, id, { view: 'stream', mergeMs: 500 });
    expect(split.rows.map(brief)).toEqual([{ n: 0, dir: 'in', from: 0, to: 2, seq: [0, 1], text: 'ab', bounds: [1] }]);
    expect(split.pending.map(brief)).toEqual([{ n: 1, dir: 'in', from: 2, to: 3, seq: [2, 2], text: 'c', bounds: [], pending: true }]);
    expect(split.rows[0]!.time).toBe(times[0]);
    expect(split.pending[0]!.time).toBe(times[2]);
    const merged = await rowsOf(engine, id, { view: 'stream', mergeMs: null });
    expect(merged.rows).toEqual([]);
    expect(merged.pending.map(brief)).toEqual([{ n: 0, dir: 'in', from: 0, to: 3, seq: [0, 2], text: 'abc', bounds: [1, 2], pending: true }]);
  });
});

describe('UDP', () => {
  it('each datagram is one frame; lines split inside a datagram and never join two; rows carry the peer', async () => {
    const { engine } = makeEngine();
    const u = value(await cmd(engine, 'bindUdp', { host: '127.0.0.1', port: 0 }));
    const peer = await pyPeer('udp', u.local!.port);
    const datagrams = ['a\nb\nc', 'd\n', '\x00\x09xyz'];
    for (const d of datagrams) {
      const before = conn(engine, u.id).chunksIn;
      await peer.send(bytes(d));
      await until(() => conn(engine, u.id).chunksIn === before + 1, 'datagram');
    }
    value(await cmd(engine, 'sendUdp', { connectionId: u.id, host: '127.0.0.1', port: peer.port, data: bytes('r1\nr2') })); // seq 3
    const from = { address: '127.0.0.1', port: peer.port, family: 'IPv4' };

    const frames = await rowsOf(engine, u.id, lengthFraming());
    expect(frames.rows.map((r) => ({ ...brief(r), peer: r.peer }))).toEqual([
      { n: 0, dir: 'in', from: 0, to: 5, seq: [0, 0], text: 'a\nb\nc', bounds: [], peer: from },
      { n: 1, dir: 'in', from: 5, to: 7, seq: [1, 1], text: 'd\n', bounds: [], peer: from },
      { n: 2, dir: 'in', from: 7, to: 12, seq: [2, 2], text: '\x00\x09xyz', bounds: [], peer: from },
      { n: 3, dir: 'out', from: 0, to: 5, seq: [3, 3], text: 'r1\nr2', bounds: [], peer: from },
    ]);
    expect(frames.pending).toEqual([]);
    expect(frames.errors).toEqual([]);

    const lines = await rowsOf(engine, u.id, LINES);
    expect(lines.rows.map((r) => ({ ...brief(r), peer: r.peer }))).toEqual([
      { n: 0, dir: 'in', from: 0, to: 2, seq: [0, 0], text: 'a\n', bounds: [], end: 'lf', peer: from },
      { n: 1, dir: 'in', from: 2, to: 4, seq: [0, 0], text: 'b\n', bounds: [], end: 'lf', peer: from },
      { n: 2, dir: 'in', from: 4, to: 5, seq: [0, 0], text: 'c', bounds: [], peer: from },
      { n: 3, dir: 'in', from: 5, to: 7, seq: [1, 1], text: 'd\n', bounds: [], end: 'lf', peer: from },
      { n: 4, dir: 'in', from: 7, to: 12, seq: [2, 2], text: '\x00\x09xyz', bounds: [], peer: from },
      { n: 5, dir: 'out', from: 0, to: 3, seq: [3, 3], text: 'r1\n', bounds: [], end: 'lf', peer: from },
      { n: 6, dir: 'out', from: 3, to: 5, seq: [3, 3], text: 'r2', bounds: [], peer: from },
    ]);
    expect(lines.pending).toEqual([]);

    const stream = await rowsOf(engine, u.id, { view: 'stream', mergeMs: null });
    expect(stream.rows.map((r) => [r.direction, latin1(r.data), r.peer?.port])).toEqual([
      ['in', 'a\nb\nc', peer.port],
      ['in', 'd\n', peer.port],
      ['in', '\x00\x09xyz', peer.port],
      ['out', 'r1\nr2', peer.port],
    ]);
    expect(stream.pending).toEqual([]);
  });
});

describe('relay', () => {
  it('frames each direction of a relay pair on its own', async () => {
    const { engine } = makeEngine();
    const echo = spawn(
      'python3',
      ['-c', `import socket, time\nsrv = socket.socket()\nsrv.bind(('127.0.0.1', 0))\nsrv.listen()\nprint(srv.getsockname()[1], flush=True)\nc, _ = srv.accept()\nc.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)\ntry:\n    while True:\n        d = c.recv(65536)\n        if not d: break\n        c.sendall(d)\nexcept OSError:\n    pass\ntime.sleep(1)`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    onCleanup(() => killChild(echo));
    const target = await new Promise<number>((r) => echo.stdout!.once('data', (d) => r(Number(String(d).trim()))));
    const relay = value(await cmd(engine, 'startRelay', { host: '127.0.0.1', port: 0, targetHost: '127.0.0.1', targetPort: target }));
    const peer = await pyPeer('tcp', relay.port);
    await until(() => engine.snapshot().connections.some((c) => c.origin === 'relay' && c.state === 'open'), 'the relay pair');
    const id = engine.snapshot().connections.find((c) => c.origin === 'relay')!.id;
    let total = 0;
    for (const piece of ['ab', 'c\nd', 'e\n']) {
      total += piece.length;
      await peer.send(bytes(piece));
      await until(() => conn(engine, id).bytesIn === total && conn(engine, id).bytesOut === total, 'the piece and its echo');
    }
    // Chunks: in 0, out 1, in 2, out 3, in 4, out 5.
    const chunks = value(await cmd(engine, 'getChunks', { connectionId: id })).chunks;
    expect(chunks.map((c) => `${c.direction}:${latin1(c.data)}`)).toEqual(['in:ab', 'out:ab', 'in:c\nd', 'out:c\nd', 'in:e\n', 'out:e\n']);
    const page = await rowsOf(engine, id, LINES);
    expect(page.rows.map(brief)).toEqual([
      { n: 0, dir: 'in', from: 0, to: 4, seq: [0, 2], text: 'abc\n', bounds: [2], end: 'lf' },
      { n: 1, dir: 'out', from: 0, to: 4, seq: [1, 3], text: 'abc\n', bounds: [2], end: 'lf' },
      { n: 2, dir: 'in', from: 4, to: 7, seq: [2, 4], text: 'de\n', bounds: [5], end: 'lf' },
      { n: 3, dir: 'out', from: 4, to: 7, seq: [3, 5], text: 'de\n', bounds: [5], end: 'lf' },
    ]);
    expect(page.pending).toEqual([]);
  });
});

describe('eviction', () => {
  const line = (i: number) => `line ${String(i).padStart(3, '0')} `.padEnd(99, '.') + '\n';

  it('rows of dropped chunks are forgotten; a reading started later counts what it never saw; dropped offsets are EVICTED', async () => {
    const { engine } = makeEngine({ captureBudgetBytes: 8 * 1024 });
    const { id, peer } = await accepted(engine);
    // A reading kept up to date while the capture fills and drops its oldest chunks.
    for (let i = 0; i < 60; i++) {
      await feed(engine, id, peer, [line(i)]);
      await rowsOf(engine, id, LINES);
    }
    const info = conn(engine, id);
    const dropped = info.droppedChunks;
    expect(dropped).toBeGreaterThan(0);
    expect(info.droppedBytes).toBe(dropped * 100);
    const kept = Array.from({ length: 60 - dropped }, (_, k) => line(dropped + k));

    const live = await rowsOf(engine, id, LINES);
    expect(live.firstRow).toBe(dropped);
    expect(live.total).toBe(60);
    expect(live.droppedBytes).toBe(dropped * 100); // what the capture dropped, read before or not
    expect(live.rows.map((r) => r.n)).toEqual(kept.map((_, k) => dropped + k));
    expect(live.rows.map((r) => latin1(r.data))).toEqual(kept);
    expect(live.rows.every((r) => r.seqFrom >= dropped && r.from >= dropped * 100)).toBe(true);
    // Rows before firstRow are not given, even when asked for.
    expect(value(await cmd(engine, 'getRows', { connectionId: id, reading: LINES, fromRow: 0, limit: 3 })).rows.map((r) => r.n)).toEqual([]);

    // A reading opened now starts at the first kept chunk and says how many bytes it never saw.
    const fresh = await rowsOf(engine, id, { view: 'stream', mergeMs: null });
    expect(fresh.droppedBytes).toBe(dropped * 100);
    expect(fresh.firstRow).toBe(0);
    // One run of 100-byte reads from the first kept byte, cut into rows of 512.
    const start = dropped * 100;
    const full = Math.floor((6000 - start) / 512);
    expect(fresh.rows.map((r) => [r.from, r.to, r.seqFrom, r.seqTo, r.continued ?? false])).toEqual(
      Array.from({ length: full }, (_, k) => {
        const from = start + 512 * k;
        return [from, from + 512, Math.floor(from / 100), Math.floor((from + 511) / 100), k > 0];
      }),
    );
    const rest = start + full * 512;
    expect(fresh.pending.map((r) => [r.from, r.to, r.seqFrom, r.seqTo, r.continued ?? false])).toEqual(rest < 6000 ? [[rest, 6000, Math.floor(rest / 100), 59, full > 0]] : []);
    expect(fresh.rows.every((r) => latin1(r.data) === kept.join('').slice(r.from - start, r.to - start))).toBe(true);
    const framed = await rowsOf(engine, id, delimiterFraming('0a'));
    expect(framed.droppedBytes).toBe(dropped * 100);
    expect(framed.rows.map((r) => [r.n, r.from, r.seqFrom, latin1(r.data)])).toEqual(kept.map((t, k) => [k, (dropped + k) * 100, dropped + k, t]));

    // Dropped bytes cannot be read back; kept ones can.
    const gone = await cmd(engine, 'readStream', { connectionId: id, direction: 'in', from: 0, to: 10 });
    expect(gone).toEqual({ ok: false, code: 'EVICTED', message: 'Stream offset 0 is no longer kept: the capture budget was reached and older bytes were dropped.' });
    const stillThere = value(await cmd(engine, 'readStream', { connectionId: id, direction: 'in', from: dropped * 100, to: dropped * 100 + 100, fromSeq: dropped }));
    expect(stillThere).toEqual({ start: dropped * 100, data: bytes(line(dropped)), boundaries: [] });
    const past = await cmd(engine, 'readStream', { connectionId: id, direction: 'in', from: 6000, to: 6010 });
    expect(past).toMatchObject({ ok: false, code: 'NOT_FOUND', message: 'The received stream has 6,000 bytes; offset 6,000 is past its end.' });
    const sum = await cmd(engine, 'checksumRange', { connectionId: id, direction: 'in', from: 0, to: 6000 });
    expect(sum).toMatchObject({ ok: false, code: 'EVICTED', message: 'Bytes from stream offset 0 are no longer kept: a checksum needs every byte of the selection.' });
  });

  // Bug: a row whose first chunk was dropped but whose last chunk is kept stays in the reading
  // (only rows with seqTo < firstKeptSeq are forgotten), so it claims bytes that are gone: its
  // `from` is the dropped start of the line, while its `data` begins at the first kept chunk.
  it('a line whose first part was dropped is not shown as if whole', async () => {
    const { engine } = makeEngine({ captureBudgetBytes: 8 * 1024 });
    const { id, peer } = await accepted(engine);
    // Each line in two reads of 50 bytes (seq 2k and 2k + 1); the reading kept up to date.
    const pieces = Array.from({ length: 60 }, (_, i) => [line(i).slice(0, 50), line(i).slice(50)]).flat();
    for (const piece of pieces) {
      await feed(engine, id, peer, [piece]);
      await rowsOf(engine, id, LINES);
      // Stop once the first kept chunk is the second half of a line.
      if (conn(engine, id).droppedChunks % 2 === 1) break;
    }
    const firstKept = conn(engine, id).droppedChunks;
    expect(firstKept % 2).toBe(1);
    const page = await rowsOf(engine, id, LINES);
    // That line's bytes from the first kept chunk on are still kept; its start is not.
    expect(value(await cmd(engine, 'readStream', { connectionId: id, direction: 'in', from: (firstKept - 1) * 50, to: firstKept * 50 + 50 }))).toMatchObject({ start: firstKept * 50 });
    // Expected: the first row is the first line whose reads are both kept. Got: the cut line,
    // [(firstKept - 1) * 50, (firstKept + 1) * 50) from chunk firstKept - 1, with only 50 bytes of data.
    expect([page.rows[0]!.seqFrom, page.rows[0]!.from, page.rows[0]!.data.byteLength]).toEqual([firstKept + 1, (firstKept + 1) * 50, 100]);
    for (const r of page.rows) {
      expect(r.seqFrom).toBeGreaterThanOrEqual(firstKept);
      expect(r.data.byteLength).toBe(r.to - r.from);
    }
  });
});

describe('decoders', () => {
  const MSGPACK = hex('82 a7 636f6d70616374 c3 a6 736368656d61 00');
  const CBOR = hex('a2 61 61 01 61 62 82 02 03');
  const PROTOBUF = hex('08 96 01 12 07 74 65 73 74 69 6e 67');
  const be16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);

  it('summaries on rows (auto and chosen), trees from decodeRange, errors on the row without a throw', async () => {
    const { engine } = makeEngine();
    const { id, peer } = await accepted(engine);
    await feed(engine, id, peer, [MSGPACK, CBOR, PROTOBUF, 'hello']);
    const auto = await rowsOf(engine, id, { view: 'chunks' }, { decoder: 'auto' });
    expect(auto.rows.map((r) => [r.decoder, r.summary, r.decodeError])).toEqual([
      ['msgpack', 'map(2) {compact: true, schema: 0}', undefined],
      ['cbor', 'map(2) {a: 1, b: [2, 3]}', undefined],
      ['protobuf', '#1 varint 150, #2 "testing"', undefined],
      [undefined, undefined, undefined],
    ]);
    const none = await rowsOf(engine, id, { view: 'chunks' });
    expect(none.rows.every((r) => r.summary === undefined && r.decoder === undefined)).toBe(true);

    const chosen = await rowsOf(engine, id, { view: 'chunks' }, { decoder: 'cbor' });
    const notCbor = 'Not CBOR: the data ends before the value does (in the value that starts at byte 0).';
    expect(chosen.rows.map((r) => [r.decoder, r.summary, r.decodeError])).toEqual([
      ['cbor', notCbor, notCbor],
      ['cbor', 'map(2) {a: 1, b: [2, 3]}', undefined],
      ['cbor', 'Not CBOR: the data ends before the value does (in the value that starts at byte 1).', 'Not CBOR: the data ends before the value does (in the value that starts at byte 1).'],
      ['cbor', notCbor, notCbor],
    ]);
    const pb = await rowsOf(engine, id, { view: 'chunks' }, { decoder: 'protobuf' });
    expect(pb.rows[2]).toMatchObject({ decoder: 'protobuf', summary: '#1 varint 150, #2 "testing"' });
    expect(pb.rows[3]).toMatchObject({ decoder: 'protobuf', decodeError: 'Not Protocol Buffers: at byte 2, end of group 13 without its start.' });

    // The trees, from the stream ranges of each message.
    const at = [0, MSGPACK.length, MSGPACK.length + CBOR.length, MSGPACK.length + CBOR.length + PROTOBUF.length];
    const mp = value(await cmd(engine, 'decodeRange', { connectionId: id, direction: 'in', from: at[0]!, to: at[1]!, decoder: 'auto' }));
    expect(mp).toEqual({
      bytes: 18,
      decoded: {
        decoder: 'msgpack',
        summary: 'map(2) {compact: true, schema: 0}',
        tree: { type: 'map', value: '2 entries', children: [{ key: 'compact', type: 'boolean', value: 'true' }, { key: 'schema', type: 'number', value: '0' }] },
      },
    });
    const cb = value(await cmd(engine, 'decodeRange', { connectionId: id, direction: 'in', from: at[1]!, to: at[2]!, fromSeq: 1, decoder: 'cbor' }));
    expect(cb.decoded?.tree).toEqual({
      type: 'map',
      value: '2 entries',
      children: [
        { key: 'a', type: 'number', value: '1' },
        { key: 'b', type: 'array', value: '2 items', children: [{ key: '0', type: 'number', value: '2' }, { key: '1', type: 'number', value: '3' }] },
      ],
    });
    const pt = value(await cmd(engine, 'decodeRange', { connectionId: id, direction: 'in', from: at[2]!, to: at[3]!, decoder: 'protobuf' }));
    expect(pt.decoded?.tree).toEqual({
      type: 'message',
      value: '2 fields, 12 B',
      children: [
        { key: '1', type: 'varint', value: '150 (zigzag 75)' },
        { key: '2', type: 'string', value: '"testing"' },
      ],
    });
    // A range across two chunks is decoded as one stream of bytes: msgpack then cbor is no single value.
    const both = value(await cmd(engine, 'decodeRange', { connectionId: id, direction: 'in', from: at[1]!, to: at[2]!, decoder: 'msgpack' }));
    expect(both.decoded?.error).toBe('Not MessagePack: the data ends before the value does (in the value that starts at byte 6).');
    expect((await cmd(engine, 'decodeRange', { connectionId: id, direction: 'out', from: 0, to: 4, decoder: 'auto' })).ok).toBe(false);
  });

  it('decodes the payload of length-prefixed frames, not their length header', async () => {
    const { engine } = makeEngine();
    const { id, peer } = await accepted(engine);
    await feed(engine, id, peer, [cat(be16(MSGPACK.length), MSGPACK, be16(CBOR.length)), cat(CBOR, be16(PROTOBUF.length), PROTOBUF)]);
    const page = await rowsOf(engine, id, lengthFraming(), { decoder: 'auto' });
    expect(page.rows.map((r) => [r.from, r.to])).toEqual([
      [0, 20],
      [20, 31],
      [31, 45],
    ]);
    expect(page.rows.map((r) => [r.decoder, r.summary])).toEqual([
      ['msgpack', 'map(2) {compact: true, schema: 0}'],
      ['cbor', 'map(2) {a: 1, b: [2, 3]}'],
      ['protobuf', '#1 varint 150, #2 "testing"'],
    ]);
    // A chosen decoder that cannot read a frame says why on that row.
    const chosen = await rowsOf(engine, id, lengthFraming(), { decoder: 'cbor' });
    expect(chosen.rows.map((r) => [r.decoder, r.decodeError])).toEqual([
      ['cbor', 'Not CBOR: the data ends before the value does (in the value that starts at byte 0).'],
      ['cbor', undefined],
      ['cbor', 'Not CBOR: the data ends before the value does (in the value that starts at byte 1).'],
    ]);
    // The payload of a frame, decoded in full.
    const row = page.rows[1]!;
    const tree = value(await cmd(engine, 'decodeRange', { connectionId: id, direction: 'in', from: row.from + 2, to: row.to, fromSeq: row.seqFrom, decoder: 'auto' }));
    expect(tree).toMatchObject({ bytes: 9, decoded: { decoder: 'cbor', summary: 'map(2) {a: 1, b: [2, 3]}' } });
  });
});

describe('checksums', () => {
  it('CRC-32 and friends of "123456789" read from several chunks, skipping the other direction', async () => {
    const { engine } = makeEngine();
    const { id, peer } = await accepted(engine);
    await feed(engine, id, peer, ['xx123', '45']);
    await send(engine, id, 'between');
    await feed(engine, id, peer, ['6', '789yy']);
    const r = value(await cmd(engine, 'checksumRange', { connectionId: id, direction: 'in', from: 2, to: 11 }));
    expect(r).toEqual({ bytes: 9, checksums: { crc32: 0xcbf43926, crc16modbus: 0x4b37, crc16ccittFalse: 0x29b1, sum8: 0xdd, xor8: 0x31 } });
    const out = value(await cmd(engine, 'checksumRange', { connectionId: id, direction: 'out', from: 0, to: 7 }));
    expect(out.checksums.crc32).toBe(zlib.crc32 ? zlib.crc32(Buffer.from('between')) : out.checksums.crc32);
    expect(await cmd(engine, 'checksumRange', { connectionId: id, direction: 'in', from: 2, to: 100 })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('a 20 MiB range matches node:zlib crc32', async () => {
    const crc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
    if (!crc32) {
      console.warn(`node:zlib has no crc32 in Node ${process.version} (it came in 20.15 and 22.2): the 20 MiB CRC-32 is not compared.`);
    }
    const { engine } = makeEngine();
    const l = value(await cmd(engine, 'startListener', { host: '127.0.0.1', port: 0 }));
    const s = await client(l.port);
    await until(() => engine.snapshot().connections.length === 1, 'accept');
    const id = engine.snapshot().connections[0]!.id;
    const data = Buffer.alloc(20 * 1024 * 1024);
    let x = 12345;
    for (let i = 0; i < data.length; i += 4) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      data.writeUInt32LE(x, i);
    }
    s.write(data);
    await until(() => conn(engine, id).bytesIn === data.length, '20 MiB', 30_000);
    expect(conn(engine, id).chunksIn).toBeGreaterThan(1);
    const r = value(await cmd(engine, 'checksumRange', { connectionId: id, direction: 'in', from: 0, to: data.length }));
    expect(r.bytes).toBe(data.length);
    if (crc32) expect(r.checksums.crc32).toBe(crc32(data));
    let sum = 0;
    let xor = 0;
    for (const b of data) {
      sum = (sum + b) & 0xff;
      xor ^= b;
    }
    expect([r.checksums.sum8, r.checksums.xor8]).toEqual([sum, xor]);
  }, 60_000);
});

describe('search', () => {
  it('finds matches across reads, lists them, and filters rows to those holding one', async () => {
    const { engine, events } = makeEngine();
    const { id, peer } = await accepted(engine);
    await feed(engine, id, peer, ['first line\n', 'has a nee', 'dle here\n']); // seq 0 [0,11), 1 [11,20), 2 [20,29)
    await send(engine, id, 'needle out\n'); // seq 3, out [0,11)
    await feed(engine, id, peer, ['nothing\n', 'NEEDLE again\n']); // seq 4 [29,37), 5 [37,50)
    const chunks = value(await cmd(engine, 'getChunks', { connectionId: id })).chunks;

    const { searchId } = value(await cmd(engine, 'startSearch', { query: { kind: 'text', pattern: 'needle' } }));
    const final = await searchDone(events, searchId);
    expect(final).toEqual({ searchedBytes: 61, totalBytes: 61, matches: 3, done: true });
    const found = value(await cmd(engine, 'getSearchMatches', { searchId }));
    expect(found.total).toBe(3);
    expect(found.progress).toEqual(final);
    expect(found.matches).toEqual([
      { connectionId: id, direction: 'in', offset: 17, length: 6, seq: 1, time: chunks[1]!.time },
      { connectionId: id, direction: 'out', offset: 0, length: 6, seq: 3, time: chunks[3]!.time },
      { connectionId: id, direction: 'in', offset: 37, length: 6, seq: 5, time: chunks[5]!.time },
    ]);
    expect(value(await cmd(engine, 'getSearchMatches', { searchId, connectionId: 'C999' })).matches).toEqual([]);

    const lines = await rowsOf(engine, id, LINES, { onlyMatching: true, searchId });
    // Rows keep their numbers in the reading; fromRow and total count matching rows.
    expect(lines.rows.map((r) => [r.n, r.direction, latin1(r.data)])).toEqual([
      [1, 'in', 'has a needle here\n'],
      [2, 'out', 'needle out\n'],
      [4, 'in', 'NEEDLE again\n'],
    ]);
    expect(lines).toMatchObject({ total: 3, firstRow: 0, pending: [] });
    const second = value(await cmd(engine, 'getRows', { connectionId: id, reading: LINES, onlyMatching: true, searchId, fromRow: 1, limit: 1 }));
    expect(second.rows.map((r) => latin1(r.data))).toEqual(['needle out\n']);
    // Both reads holding part of the match across them are kept.
    const chunkRows = await rowsOf(engine, id, { view: 'chunks' }, { onlyMatching: true, searchId });
    expect(chunkRows.rows.map((r) => r.seqFrom)).toEqual([1, 2, 3, 5]);

    // Case and direction.
    const exact = value(await cmd(engine, 'startSearch', { query: { kind: 'hex', pattern: '6e 65 65 64 6c 65', caseSensitive: true, direction: 'in' }, connectionIds: [id] })).searchId;
    expect(await searchDone(events, exact)).toMatchObject({ matches: 1, done: true });
    expect(value(await cmd(engine, 'getSearchMatches', { searchId: exact })).matches.map((m) => [m.direction, m.offset])).toEqual([['in', 17]]);
    const onlyExact = await rowsOf(engine, id, LINES, { onlyMatching: true, searchId: exact });
    expect(onlyExact.rows.map((r) => latin1(r.data))).toEqual(['has a needle here\n']);


    // Mistakes, in sentences.
    expect(await cmd(engine, 'startSearch', { query: { kind: 'hex', pattern: 'de ad zz' } })).toEqual({
      ok: false,
      code: 'INVALID_INPUT',
      field: 'query.pattern',
      message: '"z" (character 7) is not a hex digit: type bytes as pairs of 0-9 and a-f, e.g. de ad be ef.',
    });
    expect(await cmd(engine, 'startSearch', { query: { kind: 'hex', pattern: 'abc' } })).toMatchObject({ ok: false, code: 'INVALID_INPUT', message: 'The hex has an odd number of digits (3): each byte takes two, e.g. 0a rather than a.' });
    expect(await cmd(engine, 'getSearchMatches', { searchId: 'S999' })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await cmd(engine, 'cancelSearch', { searchId: 'S999' })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await cmd(engine, 'getRows', { connectionId: id, reading: LINES, onlyMatching: true })).toMatchObject({ ok: false, code: 'NOT_FOUND', message: 'That search is no longer kept: search again to show only matching rows.' });
  });
});

describe('search cancellation', () => {
  it('cancelSearch stops a running search', async () => {
    const { engine, events } = makeEngine();
    const l = value(await cmd(engine, 'startListener', { host: '127.0.0.1', port: 0 }));
    const s = await client(l.port);
    await until(() => engine.snapshot().connections.length === 1, 'accept');
    const id = engine.snapshot().connections[0]!.id;
    const big = Buffer.alloc(32 * 1024 * 1024, 'x');
    s.write(big);
    await until(() => conn(engine, id).bytesIn === big.length, '32 MiB', 30_000);
    const { searchId } = value(await cmd(engine, 'startSearch', { query: { kind: 'regex', pattern: 'ne+dle' }, connectionIds: [id] }));
    const atCancel = value(await cmd(engine, 'cancelSearch', { searchId }));
    expect(atCancel.done).toBe(false);
    const final = await searchDone(events, searchId);
    expect(final).toMatchObject({ done: true, cancelled: true, totalBytes: big.length, matches: 0 });
    expect(final!.searchedBytes).toBeLessThan(big.length);
    expect(value(await cmd(engine, 'getSearchMatches', { searchId })).progress).toEqual(final);
  }, 60_000);
});

describe('malformed input and bounds', () => {
  it('unknown connections, odd delimiters and other mistakes get clear errors', async () => {
    const { engine } = makeEngine();
    expect(await cmd(engine, 'getRows', { connectionId: 'C999', reading: LINES })).toEqual({ ok: false, code: 'NOT_FOUND', message: 'No connection has id C999.' });
    expect(await cmd(engine, 'readStream', { connectionId: 'C999', direction: 'in', from: 0, to: 1 })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await cmd(engine, 'checksumRange', { connectionId: 'C999', direction: 'in', from: 0, to: 1 })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    const odd = parseCommand('getRows', { connectionId: 'C1', reading: delimiterFraming('0d0') });
    expect(odd.ok).toBe(false);
    if (!odd.ok) {
      expect(odd.code).toBe('INVALID_INPUT');
      expect(odd.message).toContain('Delimiter');
      expect(odd.message).toMatch(/odd number of hex digits/);
    }
    const notHex = parseCommand('getRows', { connectionId: 'C1', reading: delimiterFraming('0g') });
    expect(notHex.ok === false && notHex.message).toMatch(/Delimiter must be hex digits/);
    const backwards = parseCommand('readStream', { connectionId: 'C1', direction: 'in', from: 5, to: 5 });
    expect(backwards.ok === false && backwards.message).toMatch(/to > from/);
    const tooMany = parseCommand('getRows', { connectionId: 'C1', reading: LINES, limit: 2001 });
    expect(tooMany.ok === false && tooMany.message).toMatch(/at most 2000 rows/);
  });

  it('keeps a bounded number of readings', async () => {
    const { engine } = makeEngine();
    const { id, peer } = await accepted(engine);
    await feed(engine, id, peer, ['a\nb']);
    const inspection = (engine as unknown as { inspection?: Inspection }).inspection;
    if (!inspection) return void console.warn('Engine.inspection is not reachable: the bound on readings is not checked.');
    for (let ms = 0; ms < 30; ms++) await rowsOf(engine, id, { view: 'stream', mergeMs: ms });
    expect(inspection.readings.size).toBe(24);
    // A forgotten reading is made again, with the same rows.
    const again = await rowsOf(engine, id, { view: 'stream', mergeMs: 0 });
    expect(again.pending.map((r) => latin1(r.data))).toEqual(['a\nb']);
    expect(inspection.readings.size).toBe(24);
  });
});
