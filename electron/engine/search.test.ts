import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Direction } from '../../shared/model';
import { CaptureStore, ConnectionCapture, type CaptureStoreOptions } from './capture';
import type { EngineCore } from './engine-core';
import { compileQuery, REGEX_SPAN_BYTES, runSearch, type Matcher, type SearchOptions, type SearchProgress, type SearchQuery } from './search';
import { makeEngine, onCleanup, until, value } from './testing/helpers';

const KiB = 1024;
const MiB = 1024 * KiB;
const T0 = 1_700_000_000_000;

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

/** A store that spills to disk early: small segments and a small write buffer. */
function makeStore(budget = 512 * MiB, options: CaptureStoreOptions = {}): CaptureStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'search-test-'));
  const store = new CaptureStore(budget, { dir, segmentBytes: 64 * KiB, bufferBytes: 4 * KiB, ...options });
  cleanups.push(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

const totals = new WeakMap<ConnectionCapture, { in: number; out: number }>();

/** Records a chunk as the engine does: next seq, stream offset of its direction; time T0 + seq unless given. */
function add(store: CaptureStore, cap: ConnectionCapture, data: Uint8Array | string, direction: Direction = 'in', time?: number): number {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const seq = cap.nextSeq++;
  const t = totals.get(cap) ?? { in: 0, out: 0 };
  totals.set(cap, t);
  store.add(cap, { connectionId: cap.connectionId, seq, direction, time: time ?? T0 + seq, offset: t[direction], size: bytes.byteLength, data: bytes });
  t[direction] += bytes.byteLength;
  return seq;
}

/** Bytes that hold no letters, so no text needle is found in them by chance. */
function filler(size: number, byte = 0x2e): Buffer {
  return Buffer.alloc(size, byte);
}

function compile(query: Partial<SearchQuery> & Pick<SearchQuery, 'kind' | 'pattern'>): Matcher {
  const c = compileQuery({ caseSensitive: true, direction: 'both', ...query });
  if (!c.ok) throw new Error(c.message);
  return c.matcher;
}

async function find(store: CaptureStore, caps: ConnectionCapture[], query: Partial<SearchQuery> & Pick<SearchQuery, 'kind' | 'pattern'>, opts?: SearchOptions) {
  return runSearch(store, caps, compile(query), opts);
}

function compileError(query: Partial<SearchQuery> & Pick<SearchQuery, 'kind' | 'pattern'>): string {
  const c = compileQuery({ caseSensitive: true, direction: 'both', ...query });
  if (c.ok) throw new Error(`expected ${query.pattern} to be refused`);
  return c.message;
}

describe('matches across chunk boundaries', () => {
  /** 40 KiB of filler, then "...HELLO_", then "WORLD..." and more filler: on disk, split in two. */
  function splitCapture() {
    const store = makeStore();
    const cap = new ConnectionCapture('C1');
    add(store, cap, filler(40 * KiB));
    add(store, cap, Buffer.concat([filler(10 * KiB), Buffer.from('xxHELLO_')]));
    add(store, cap, Buffer.concat([Buffer.from('WORLDyy'), filler(30 * KiB)]));
    add(store, cap, filler(100 * KiB));
    expect(store.mode).toBe('disk');
    expect(store.diskBytes).toBeGreaterThan(100 * KiB);
    return { store, cap, offset: 40 * KiB + 10 * KiB + 2 };
  }

  it('finds a needle split across two chunks as text, hex, regex and case-insensitive text', async () => {
    const { store, cap, offset } = splitCapture();
    const expected = { connectionId: 'C1', direction: 'in', offset, length: 11, seq: 1, time: T0 + 1 };
    for (const query of [
      { kind: 'text', pattern: 'HELLO_WORLD' },
      { kind: 'hex', pattern: Buffer.from('HELLO_WORLD').toString('hex').replace(/(..)/g, '$1 ') },
      { kind: 'hex', pattern: `0x${Buffer.from('HELLO_WORLD').toString('hex')}` },
      { kind: 'regex', pattern: 'HEL+O_W[A-Z]+D' },
      { kind: 'text', pattern: 'hello_world', caseSensitive: false },
      { kind: 'regex', pattern: 'hel+o_w[a-z]+d', caseSensitive: false },
    ] as const) {
      const { matches, progress } = await find(store, [cap], query);
      expect(matches, query.pattern).toEqual([expected]);
      expect(progress).toMatchObject({ matches: 1, done: true, searchedBytes: progress.totalBytes });
    }
    expect((await find(store, [cap], { kind: 'text', pattern: 'hello_world' })).matches).toEqual([]);
  });

  it('finds a needle spread over many one-byte chunks, naming the chunk of its first byte', async () => {
    const store = makeStore();
    const cap = new ConnectionCapture('C1');
    add(store, cap, filler(20 * KiB));
    for (const c of 'abNEEDLEcd') add(store, cap, c);
    add(store, cap, filler(20 * KiB));
    for (const kind of ['text', 'regex'] as const) {
      const { matches } = await find(store, [cap], { kind, pattern: 'NEEDLE' });
      expect(matches).toEqual([{ connectionId: 'C1', direction: 'in', offset: 20 * KiB + 2, length: 6, seq: 3, time: T0 + 3 }]);
    }
  });

  it('does not join a direction change, but joins a direction across the other one', async () => {
    const store = makeStore();
    const cap = new ConnectionCapture('C1');
    add(store, cap, filler(8 * KiB));
    add(store, cap, 'HELLO_', 'in');
    add(store, cap, 'WORLD', 'out');
    add(store, cap, filler(8 * KiB), 'out');
    add(store, cap, 'WORLD', 'in');
    for (const kind of ['text', 'regex'] as const) {
      const { matches } = await find(store, [cap], { kind, pattern: 'HELLO_WORLD' });
      // The in stream is "...HELLO_WORLD": found there, with the chunk of its first byte.
      expect(matches).toEqual([{ connectionId: 'C1', direction: 'in', offset: 8 * KiB, length: 11, seq: 1, time: T0 + 1 }]);
    }
    expect((await find(store, [cap], { kind: 'text', pattern: '_WORLD', direction: 'out' })).matches).toEqual([]);
  });

  it('finds nothing across bytes evicted while the search runs, and goes on after the gap', async () => {
    // Room for ten chunks: five more evict the oldest five.
    const store = makeStore(10 * MiB + 4 * KiB, { segmentBytes: 1 * MiB, bufferBytes: 64 * KiB });
    const cap = new ConnectionCapture('C1');
    const other = new ConnectionCapture('C2');
    // Ten 1 MiB chunks; the first batch read is 4 MiB (seqs 0-3), the next one (4-7) is read
    // while the first is searched, then 0-4 are evicted before it is used.
    for (let i = 0; i < 10; i++) {
      const chunk = filler(MiB);
      if (i === 3) chunk.write('HELLO_', MiB - 6, 'latin1');
      if (i === 5) chunk.write('WORLD', 0, 'latin1');
      if (i === 6) chunk.write('HELLO_WORLD', 1000, 'latin1');
      add(store, cap, chunk);
    }
    let evicted = false;
    const { matches, progress } = await find(
      store,
      [cap],
      { kind: 'text', pattern: 'HELLO_WORLD' },
      {
        progressEveryMs: 0,
        onProgress: (p) => {
          if (evicted || p.done) return;
          evicted = true;
          for (let i = 0; i < 5; i++) add(store, other, filler(MiB));
        },
      },
    );
    expect(evicted).toBe(true);
    expect(cap.firstKeptSeq).toBe(5);
    expect(matches).toEqual([{ connectionId: 'C1', direction: 'in', offset: 6 * MiB + 1000, length: 11, seq: 6, time: T0 + 6 }]);
    expect(progress.done).toBe(true);
  });

  it('finds a regex match across a window edge whole, up to the span it guarantees', async () => {
    const store = makeStore(512 * MiB, { segmentBytes: 4 * MiB, bufferBytes: 256 * KiB });
    const cap = new ConnectionCapture('C1');
    const stream = filler(3 * MiB);
    const long = `START${'x'.repeat(REGEX_SPAN_BYTES - 20)}END`;
    // One every 100,000 bytes: some of them straddle the edges of the windows a regex runs on.
    const at = Array.from({ length: 31 }, (_, i) => 1000 + i * 100_000);
    for (const a of at) stream.write(long, a, 'latin1');
    for (let i = 0; i < stream.length; i += 96 * KiB) add(store, cap, stream.subarray(i, i + 96 * KiB));
    const { matches } = await find(store, [cap], { kind: 'regex', pattern: 'STARTx+END' });
    expect(matches.map((m) => [m.offset, m.length])).toEqual(at.map((a) => [a, long.length]));
    // Zero-length matches are passed over, not reported and not looped on.
    const empty = await find(store, [cap], { kind: 'regex', pattern: 'Q*' });
    expect(empty.matches).toEqual([]);
    const some = await find(store, [cap], { kind: 'regex', pattern: 'ST?ART' });
    expect(some.progress.matches).toBe(31);
  });

  it('reads chunks still in the write buffer and a store that keeps payloads in memory', async () => {
    for (const store of [
      makeStore(512 * MiB, { segmentBytes: MiB, bufferBytes: 64 * KiB }),
      makeStore(512 * MiB, {
        openSegment: () => {
          throw Object.assign(new Error('no disk'), { code: 'ENOSPC' });
        },
      }),
    ]) {
      const cap = new ConnectionCapture('C1');
      add(store, cap, filler(100));
      add(store, cap, 'abc HELLO_');
      add(store, cap, 'WORLD def');
      const { matches } = await find(store, [cap], { kind: 'text', pattern: 'HELLO_WORLD' });
      expect(matches).toEqual([{ connectionId: 'C1', direction: 'in', offset: 104, length: 11, seq: 1, time: T0 + 1 }]);
    }
  });

  it('matches non-ASCII text in any case, as UTF-8', async () => {
    const store = makeStore();
    const cap = new ConnectionCapture('C1');
    add(store, cap, Buffer.from('une école, '));
    add(store, cap, Buffer.from('UNE ÉCOLE, Écoles'));
    const ci = await find(store, [cap], { kind: 'text', pattern: 'École', caseSensitive: false });
    expect(ci.matches.map((m) => [m.offset, m.length])).toEqual([
      [4, 6],
      [Buffer.byteLength('une école, UNE '), 6],
      [Buffer.byteLength('une école, UNE ÉCOLE, '), 6],
    ]);
    const exact = await find(store, [cap], { kind: 'text', pattern: 'École' });
    expect(exact.progress.matches).toBe(1);
    const regex = await find(store, [cap], { kind: 'regex', pattern: 'é+cole' });
    expect(regex.matches.map((m) => m.offset)).toEqual([4]);
  });
});

describe('against a plain search of each whole direction', () => {
  /** Leftmost non-overlapping matches in each direction's whole stream, named by chunk, in seq order. */
  function reference(chunks: Array<{ data: Buffer; direction: Direction }>, find: (stream: string) => Array<[number, number]>) {
    const out: Array<{ direction: Direction; offset: number; length: number; seq: number }> = [];
    for (const direction of ['in', 'out'] as const) {
      const mine = chunks.flatMap((c, seq) => (c.direction === direction ? [{ seq, size: c.data.length }] : []));
      const stream = Buffer.concat(chunks.filter((c) => c.direction === direction).map((c) => c.data)).toString('latin1');
      const starts: number[] = [];
      let at = 0;
      for (const c of mine) starts.push((at += c.size) - c.size);
      for (const [offset, length] of find(stream)) {
        let k = starts.length - 1;
        while (starts[k]! > offset || mine[k]!.size === 0) k -= 1;
        out.push({ direction, offset, length, seq: mine[k]!.seq });
      }
    }
    return out.sort((a, b) => a.seq - b.seq || a.offset - b.offset);
  }

  it('finds the same matches over random cuts: tiny and large chunks, directions taking turns', async () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let round = 0; round < 6; round++) {
      const store = makeStore(512 * MiB, { segmentBytes: 256 * KiB, bufferBytes: 8 * KiB });
      const cap = new ConnectionCapture('C1');
      const chunks: Array<{ data: Buffer; direction: Direction }> = [];
      for (let total = 0; total < (round === 0 ? 2500 : 600) * KiB; ) {
        const size = rand(10) === 0 ? 16 * KiB + rand(80 * KiB) : rand(4) === 0 ? rand(3) : rand(300);
        const data = Buffer.alloc(size);
        for (let i = 0; i < size; i++) data[i] = rand(5000) === 0 ? 0x5a : 'abAB.'.charCodeAt(rand(round % 2 ? 3 : 5));
        const direction: Direction = rand(3) === 0 ? 'out' : 'in';
        chunks.push({ data, direction });
        add(store, cap, data, direction);
        total += size;
      }
      for (const needle of ['abab', 'aBaaB', 'Z', 'bbbbbb', 'ab.Ab.bA']) {
        const literal = (stream: string): Array<[number, number]> => {
          const found: Array<[number, number]> = [];
          for (let p = stream.indexOf(needle); p >= 0; p = stream.indexOf(needle, p + needle.length)) found.push([p, needle.length]);
          return found;
        };
        const expected = reference(chunks, literal);
        const got = (await find(store, [cap], { kind: 'text', pattern: needle })).matches;
        expect(got.map((m) => ({ direction: m.direction, offset: m.offset, length: m.length, seq: m.seq })), needle).toEqual(expected);
        const asRegex = (await find(store, [cap], { kind: 'regex', pattern: needle.replace('.', '\\.') })).matches;
        expect(asRegex.length, needle).toBe(expected.length);
      }
      const folded = reference(chunks, (stream) => [...stream.matchAll(/ab{4,}\.?a/gi)].map((m) => [m.index, m[0].length]));
      const gotFolded = (await find(store, [cap], { kind: 'regex', pattern: 'ab{4,}\\.?a', caseSensitive: false })).matches;
      expect(gotFolded.map((m) => ({ direction: m.direction, offset: m.offset, length: m.length, seq: m.seq }))).toEqual(folded);
    }
  });
});

describe('filters', () => {
  function conversation() {
    const store = makeStore();
    const cap = new ConnectionCapture('C1');
    // Times 100, 200, ... per chunk; "ping" out and "PONG" in, five of each.
    for (let i = 0; i < 5; i++) {
      add(store, cap, `${'.'.repeat(3000)}ping${i}`, 'out', T0 + 100 * (2 * i));
      add(store, cap, `${'.'.repeat(3000)}pong${i}`, 'in', T0 + 100 * (2 * i + 1));
    }
    return { store, cap };
  }

  it('searches one direction or both', async () => {
    const { store, cap } = conversation();
    const both = await find(store, [cap], { kind: 'regex', pattern: 'p[io]ng' });
    expect(both.matches.map((m) => m.direction)).toEqual(['out', 'in', 'out', 'in', 'out', 'in', 'out', 'in', 'out', 'in']);
    const out = await find(store, [cap], { kind: 'regex', pattern: 'p[io]ng', direction: 'out' });
    expect(out.matches.map((m) => [m.direction, m.seq])).toEqual([0, 2, 4, 6, 8].map((s) => ['out', s]));
    const inOnly = await find(store, [cap], { kind: 'text', pattern: 'pong', direction: 'in' });
    expect(inOnly.matches.map((m) => [m.direction, m.seq, m.offset])).toEqual([1, 3, 5, 7, 9].map((s, i) => ['in', s, 3000 + i * 3005]));
    expect(inOnly.progress.totalBytes).toBe(5 * 3005);
  });

  it("keeps matches whose first byte's chunk is in the time range, even when the match ends after it", async () => {
    const { store, cap } = conversation();
    const ranged = await find(store, [cap], { kind: 'text', pattern: 'ping', fromTime: T0 + 200, toTime: T0 + 600 });
    expect(ranged.matches.map((m) => m.time)).toEqual([T0 + 200, T0 + 400, T0 + 600]);
    // A needle that starts in the last chunk in range and ends in the next one (out of range).
    const store2 = makeStore();
    const cap2 = new ConnectionCapture('C2');
    add(store2, cap2, 'early HELLO_WORLD ', 'in', T0);
    add(store2, cap2, 'in range HELLO_', 'in', T0 + 10);
    add(store2, cap2, 'WORLD late HELLO_WORLD', 'in', T0 + 20);
    for (const kind of ['text', 'regex'] as const) {
      const { matches } = await find(store2, [cap2], { kind, pattern: 'HELLO_WORLD', fromTime: T0 + 5, toTime: T0 + 15 });
      expect(matches).toEqual([{ connectionId: 'C2', direction: 'in', offset: 27, length: 11, seq: 1, time: T0 + 10 }]);
    }
    expect(compileError({ kind: 'text', pattern: 'x', fromTime: 10, toTime: 5 })).toMatch(/ends before it starts/);
  });

  it('searches many connections, in the order given, and one alone', async () => {
    const store = makeStore();
    const caps = Array.from({ length: 40 }, (_, i) => new ConnectionCapture(`C${i + 1}`));
    for (let round = 0; round < 3; round++) {
      for (const [i, cap] of caps.entries()) add(store, cap, `${'-'.repeat(500 + i)}${round === 1 && i % 2 === 0 ? 'NEEDLE' : 'needle'}`);
    }
    const all = await find(store, caps, { kind: 'text', pattern: 'NEEDLE' });
    expect(all.matches.map((m) => [m.connectionId, m.seq])).toEqual(caps.filter((_, i) => i % 2 === 0).map((c) => [c.connectionId, 1]));
    const folded = await find(store, caps, { kind: 'text', pattern: 'NEEDLE', caseSensitive: false });
    expect(folded.progress.matches).toBe(120);
    const one = await find(store, [caps[3]!], { kind: 'text', pattern: 'needle' });
    expect(one.matches.map((m) => [m.connectionId, m.seq])).toEqual([
      ['C4', 0],
      ['C4', 1],
      ['C4', 2],
    ]);
  });

  it('lists maxMatches and counts all, saying the list is truncated', async () => {
    const store = makeStore();
    const cap = new ConnectionCapture('C1');
    for (let i = 0; i < 10; i++) add(store, cap, 'ab'.repeat(1000));
    const { matches, progress } = await find(store, [cap], { kind: 'text', pattern: 'ba' }, { maxMatches: 50 });
    expect(matches).toHaveLength(50);
    expect(progress).toMatchObject({ matches: 9999, truncated: true, done: true });
    const hex = await find(store, [cap], { kind: 'hex', pattern: '6162' }, { maxMatches: 0 });
    expect(hex.matches).toEqual([]);
    expect(hex.progress).toMatchObject({ matches: 10_000, truncated: true });
  });
});

describe('reading payloads back to back', () => {
  it('copies from a byte of a chunk on, stops where asked, and says where it stopped', async () => {
    const store = makeStore(200 * KiB + 5 * 96, { segmentBytes: 16 * KiB, bufferBytes: 4 * KiB });
    const cap = new ConnectionCapture('C1');
    const parts = [Buffer.alloc(10, 'a'), Buffer.alloc(20 * KiB, 'b'), Buffer.alloc(30, 'c'), Buffer.alloc(9 * KiB, 'd')];
    for (const p of parts) add(store, cap, p);
    const into = Buffer.alloc(64 * KiB);
    const whole = Buffer.concat(parts);
    expect(await store.readPayloads(cap, 0, 4, 5, into.subarray(0, 20 * KiB))).toEqual({ bytes: 20 * KiB, seq: 1, skip: 20 * KiB - 5, unreadable: false });
    expect(into.subarray(0, 20 * KiB)).toEqual(whole.subarray(5, 5 + 20 * KiB));
    expect(await store.readPayloads(cap, 1, 3, 3, into)).toEqual({ bytes: 20 * KiB - 3 + 30, seq: 3, skip: 0, unreadable: false });
    expect(into.subarray(0, 20 * KiB + 27)).toEqual(whole.subarray(13, 10 + 20 * KiB + 30));
    expect(await store.readPayloads(cap, 0, 99, 0, into)).toMatchObject({ bytes: whole.length, seq: 4, skip: 0 });
    expect(into.subarray(0, whole.length)).toEqual(whole);
    // Chunk 0 evicted: nothing is read from it.
    add(store, cap, Buffer.alloc(180 * KiB, 'e'));
    expect(cap.firstKeptSeq).toBeGreaterThan(0);
    expect(await store.readPayloads(cap, 0, 99, 0, into)).toEqual({ bytes: 0, seq: 0, skip: 0, unreadable: false });
    // Closed: what was on disk cannot be read back, and says so.
    store.close();
    expect(await store.readPayloads(cap, cap.firstKeptSeq, 99, 0, into)).toMatchObject({ bytes: 0, seq: cap.firstKeptSeq, unreadable: true });
  });
});

describe('compiling a query', () => {
  it('explains what is wrong in words', () => {
    expect(compileError({ kind: 'text', pattern: '' })).toMatch(/Type the text/);
    expect(compileError({ kind: 'hex', pattern: '' })).toMatch(/Type the bytes/);
    expect(compileError({ kind: 'regex', pattern: '' })).toMatch(/Type a regular expression/);
    expect(compileError({ kind: 'hex', pattern: 'de ad b' })).toMatch(/odd number of digits \(5\)/);
    expect(compileError({ kind: 'hex', pattern: 'de ag' })).toMatch(/"g" \(character 5\) is not a hex digit/);
    expect(compileError({ kind: 'regex', pattern: '(ab' })).toMatch(/not valid: Unterminated group/);
    expect(compileError({ kind: 'regex', pattern: '(a+)+$' })).toMatch(/could freeze the search: .*catastrophic backtracking/);
  });

  it('reads hex as pairs with or without spaces, commas or 0x', () => {
    for (const pattern of ['de ad be ef', 'deadbeef', 'DE:AD:BE:EF', '0xde, 0xad, 0xbe, 0xef', ' de-ad-be-ef ']) {
      const c = compileQuery({ kind: 'hex', pattern, caseSensitive: true, direction: 'both' });
      expect(c.ok && c.matcher.kind === 'bytes' && [...c.matcher.needle]).toEqual([0xde, 0xad, 0xbe, 0xef]);
    }
  });
});

/** A capture of `bytes` random bytes in 64 KiB chunks (directions alternating in runs), needles at the given offsets of the whole. */
function bigCapture(store: CaptureStore, bytes: number, needle: string, every: number) {
  const cap = new ConnectionCapture('C1');
  const all = Buffer.allocUnsafe(bytes);
  randomFillSync(all);
  // Letters never appear in random bytes as a 13-byte needle by chance; put one every `every` bytes.
  for (let at = every / 2; at + needle.length < bytes; at += every) all.write(needle, at, 'latin1');
  for (let i = 0, k = 0; i < bytes; i += 64 * KiB, k++) add(store, cap, all.subarray(i, i + 64 * KiB), k % 4 === 3 ? 'out' : 'in');
  return cap;
}

describe('long searches', () => {
  it('reports progress that only grows and ends with done', async () => {
    const store = makeStore(512 * MiB, { segmentBytes: 4 * MiB, bufferBytes: 256 * KiB });
    const cap = bigCapture(store, 32 * MiB, 'SOME_NEEDLE_X', 4 * MiB);
    const seen: SearchProgress[] = [];
    const { progress } = await find(store, [cap], { kind: 'text', pattern: 'SOME_NEEDLE_X' }, { progressEveryMs: 0, onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(3);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]!.searchedBytes).toBeGreaterThanOrEqual(seen[i - 1]!.searchedBytes);
      expect(seen[i]!.matches).toBeGreaterThanOrEqual(seen[i - 1]!.matches);
    }
    expect(seen.slice(0, -1).every((p) => !p.done && p.searchedBytes <= p.totalBytes)).toBe(true);
    expect(seen.at(-1)).toEqual(progress);
    expect(progress).toEqual({ searchedBytes: 32 * MiB, totalBytes: 32 * MiB, matches: 8, done: true });
  });

  it('stops promptly when cancelled, and says so', async () => {
    const store = makeStore(512 * MiB, { segmentBytes: 4 * MiB, bufferBytes: 256 * KiB });
    const cap = bigCapture(store, 64 * MiB, 'SOME_NEEDLE_X', 4 * MiB);
    const abort = new AbortController();
    let abortedAt = 0;
    const seen: SearchProgress[] = [];
    const started = performance.now();
    const result = await find(
      store,
      [cap],
      { kind: 'regex', pattern: 'SOME_[A-Z]+_X' },
      {
        signal: abort.signal,
        progressEveryMs: 0,
        onProgress: (p) => {
          seen.push(p);
          if (seen.length === 2) {
            abort.abort();
            abortedAt = performance.now();
          }
        },
      },
    );
    const ended = performance.now();
    expect(abortedAt).toBeGreaterThan(started);
    expect(ended - abortedAt).toBeLessThan(100);
    expect(result.progress).toMatchObject({ done: true, cancelled: true });
    expect(result.progress.searchedBytes).toBeLessThan(result.progress.totalBytes);
    expect(seen.at(-1)).toEqual(result.progress);
    // Aborted before it starts: nothing searched.
    const early = await find(store, [cap], { kind: 'text', pattern: 'x' }, { signal: AbortSignal.abort() });
    expect(early.progress).toMatchObject({ done: true, cancelled: true, searchedBytes: 0, matches: 0 });
  });

  it('ends with an error when the store is closed under it', async () => {
    const store = makeStore(512 * MiB, { segmentBytes: 4 * MiB, bufferBytes: 256 * KiB });
    const cap = bigCapture(store, 32 * MiB, 'SOME_NEEDLE_X', 4 * MiB);
    const { progress } = await find(store, [cap], { kind: 'text', pattern: 'SOME_NEEDLE_X' }, { progressEveryMs: 0, onProgress: () => store.close() });
    expect(progress).toMatchObject({ done: true, error: expect.stringMatching(/can no longer be read/) });
    expect(progress.searchedBytes).toBeLessThan(progress.totalBytes);
  });

  // A loaded machine can stall any process for tens of milliseconds: retried before it fails.
  it('keeps the event loop turning while searching 64 MiB', { retry: 2 }, async () => {
    const store = makeStore(512 * MiB, { segmentBytes: 16 * MiB, bufferBytes: 1 * MiB });
    const cap = bigCapture(store, 64 * MiB, 'SOME_NEEDLE_X', 4 * MiB);
    for (const query of [
      { kind: 'text', pattern: 'SOME_NEEDLE_X' },
      { kind: 'regex', pattern: 'some_[a-z]+_x', caseSensitive: false },
    ] as const) {
      let last = performance.now();
      let maxGap = 0;
      let ticks = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
        ticks += 1;
      }, 5);
      try {
        const { progress } = await find(store, [cap], query);
        expect(progress.matches).toBe(16);
        maxGap = Math.max(maxGap, performance.now() - last);
      } finally {
        clearInterval(timer);
      }
      expect(maxGap, query.kind).toBeLessThan(50);
      expect(ticks).toBeGreaterThan(0);
    }
  });
});

describe('through real sockets', () => {
  it('finds a needle a Python client wrote in two pieces', async () => {
    const { engine, events } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const code = [
      'import socket, sys, time',
      "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))",
      's.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)',
      "s.sendall(b'GET /x HTTP/1.1\\r\\nX-Token: SECRET_')",
      'time.sleep(0.2)',
      "s.sendall(b'TOKEN_42\\r\\n\\r\\n')",
      'time.sleep(0.2)',
      's.close()',
    ].join('\n');
    const py = spawn('python3', ['-c', code, String(l.port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    onCleanup(
      () =>
        new Promise<void>((r) => {
          if (py.exitCode !== null || py.signalCode !== null) return r();
          py.once('exit', () => r());
          py.kill('SIGKILL');
        }),
    );
    const chunks = () => events.flatMap((e) => (e.type === 'chunk' && e.chunk.connectionId === 'C1' ? [e.chunk] : []));
    await until(() => chunks().reduce((n, c) => n + c.size, 0) >= 45, 'both pieces captured', 10_000);
    expect(chunks().length).toBeGreaterThanOrEqual(2);
    const core = (engine as unknown as { core: EngineCore }).core;
    const capture = core.connections.get('C1')!.capture;
    const { matches } = await runSearch(core.capture, [capture], compile({ kind: 'text', pattern: 'secret_token_42', caseSensitive: false }), {});
    expect(matches).toEqual([{ connectionId: 'C1', direction: 'in', offset: 26, length: 15, seq: 0, time: chunks()[0]!.time }]);
  });
});
