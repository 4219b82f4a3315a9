import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PREVIEW_BYTES, type Chunk, type Direction } from '../../shared/model';
import { CaptureStore, ConnectionCapture, type CaptureStoreOptions } from './capture';

const KiB = 1024;
const MiB = 1024 * 1024;

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function makeStore(budget: number, options?: CaptureStoreOptions): CaptureStore {
  const store = new CaptureStore(budget, options);
  cleanups.push(() => store.close());
  return store;
}

/** Records data the way the engine does: the next seq of the capture, its full bytes. */
const streamTotals = new WeakMap<ConnectionCapture, { in: number; out: number }>();

function add(store: CaptureStore, cap: ConnectionCapture, data: Uint8Array, direction: Direction = 'in', auto = false) {
  const seq = cap.nextSeq++;
  const totals = streamTotals.get(cap) ?? { in: 0, out: 0 };
  streamTotals.set(cap, totals);
  const offset = totals[direction];
  totals[direction] += data.byteLength;
  const chunk: Chunk = { connectionId: cap.connectionId, seq, direction, time: 1_700_000_000_000 + seq / 8, offset, size: data.byteLength, data };
  if (auto) chunk.auto = true;
  return store.add(cap, chunk);
}

/** Deterministic bytes, different for every (n, size). */
function bytesFor(n: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = (n * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function segmentFiles(store: CaptureStore): string[] {
  return fs.readdirSync(store.directory!).filter((f) => f.startsWith('segment-')).sort();
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

describe('capture store on disk', () => {
  it('reads back every chunk in order with exact bytes, across segments, direct writes and the write buffer', () => {
    const store = makeStore(64 * MiB, { segmentBytes: 64 * KiB, bufferBytes: 8 * KiB });
    expect(store.mode).toBe('disk');
    expect(store.reason).toBeUndefined();
    const a = new ConnectionCapture('C1');
    const b = new ConnectionCapture('C2');
    const sent = new Map<ConnectionCapture, Uint8Array[]>([
      [a, []],
      [b, []],
    ]);
    // Tiny, medium, preview-sized and larger-than-buffer chunks, interleaved on two connections.
    const sizes = [1, 7, 300, 4095, 4096, 4097, 8191, 8192, 20_000, 65_536, 100_000, 0, 2, 5000];
    for (let n = 0; n < 400; n++) {
      const cap = n % 3 === 0 ? b : a;
      const data = bytesFor(n, sizes[n % sizes.length]! + (n % 5));
      sent.get(cap)!.push(data);
      expect(add(store, cap, data, n % 2 ? 'out' : 'in', n % 7 === 0)).toEqual([]);
    }
    const last = bytesFor(400, 10);
    sent.get(a)!.push(last);
    add(store, a, last);
    // The last chunks are still in the write buffer, the rest in several segment files.
    expect(segmentFiles(store).length).toBeGreaterThan(5);
    const total = sum([...sent.values()].flat().map((d) => d.byteLength));
    expect(store.diskBytes).toBeLessThan(total);
    expect(store.usedBytes).toBeGreaterThan(total);

    for (const [cap, datas] of sent) {
      expect(cap.keptCount).toBe(datas.length);
      expect(cap.firstKeptSeq).toBe(0);
      const page = store.read(cap, 0, 10_000);
      expect(page.map((c) => c.seq)).toEqual(datas.map((_, i) => i));
      // Each chunk keeps its stream offset: the bytes its direction carried before it.
      const before = { in: 0, out: 0 };
      for (const c of page) {
        expect(c.offset).toBe(before[c.direction]);
        before[c.direction] += c.size;
      }
      expect(before.in + before.out).toBe(sum(datas.map((d) => d.byteLength)));
      for (const c of page) {
        const data = datas[c.seq]!;
        expect(c.connectionId).toBe(cap.connectionId);
        expect(c.size).toBe(data.byteLength);
        expect(c.data.byteLength).toBe(Math.min(data.byteLength, PREVIEW_BYTES));
        expect(Buffer.from(c.data).equals(Buffer.from(data.subarray(0, PREVIEW_BYTES)))).toBe(true);
        expect(Buffer.from(store.readData(cap, c.seq)!).equals(Buffer.from(data))).toBe(true);
      }
      // Same view through the capture itself, and pages from the middle.
      expect(cap.read(5, 3).map((c) => c.seq)).toEqual([5, 6, 7]);
      expect(store.read(cap, datas.length - 2, 10).map((c) => c.seq)).toEqual([datas.length - 2, datas.length - 1]);
      expect(store.read(cap, datas.length, 10)).toEqual([]);
      expect(store.readData(cap, datas.length)).toBeUndefined();
      expect(store.readData(cap, -1)).toBeUndefined();
    }
    // Direction, time and auto survive the compact index.
    const [first] = store.read(b, 0, 1);
    expect(first).toMatchObject({ seq: 0, direction: 'in', auto: true, time: 1_700_000_000_000 });
    const second = store.read(a, 0, 1)[0]!;
    expect(second.direction).toBe('out');
    expect(second.auto).toBeUndefined();
  });

  it('reads back ranges of one direction\'s stream across chunks, segments and the write buffer, with chunk boundaries', () => {
    const store = makeStore(64 * MiB, { segmentBytes: 16 * KiB, bufferBytes: 4 * KiB });
    const cap = new ConnectionCapture('C1');
    const streams = { in: [] as number[], out: [] as number[] };
    const cuts = { in: [] as number[], out: [] as number[] };
    for (let n = 0; n < 300; n++) {
      const dir: Direction = n % 3 === 0 ? 'out' : 'in';
      const data = bytesFor(n, 1 + ((n * 37) % 900));
      if (streams[dir].length) cuts[dir].push(streams[dir].length);
      streams[dir].push(...data);
      add(store, cap, data, dir);
    }
    for (const dir of ['in', 'out'] as const) {
      const all = Uint8Array.from(streams[dir]);
      for (const [from, to] of [[0, all.length], [1, 2], [500, 20_000], [all.length - 3, all.length + 50], [all.length, all.length + 1]] as const) {
        const r = store.readRange(cap, dir, 0, from, to);
        expect(r.start).toBe(from);
        expect(Buffer.from(r.data).equals(Buffer.from(all.subarray(from, Math.min(to, all.length))))).toBe(true);
        expect(r.boundaries).toEqual(cuts[dir].filter((c) => c > from && c < Math.min(to, all.length)));
      }
      // maxBytes bounds what one read returns.
      expect(store.readRange(cap, dir, 0, 10, all.length, 100).data.byteLength).toBe(100);
    }
    // Evicted bytes are not invented: the range starts where the kept stream does.
    const small = makeStore(3000);
    const c2 = new ConnectionCapture('C2');
    for (let n = 0; n < 10; n++) add(small, c2, bytesFor(n, 1000));
    const kept = small.readRange(c2, 'in', 0, 0, 10_000);
    expect(kept.start).toBe(c2.droppedBytes);
    expect(kept.start + kept.data.byteLength).toBe(10_000);
  });

  it('reads pages of many tiny chunks from disk, interleaved between connections', () => {
    const store = makeStore(64 * MiB, { segmentBytes: 256 * KiB, bufferBytes: 4 * KiB });
    const caps = [new ConnectionCapture('C1'), new ConnectionCapture('C2'), new ConnectionCapture('C3')];
    const texts = caps.map(() => [] as string[]);
    for (let n = 0; n < 30_000; n++) {
      const k = (n * 7) % 3;
      const text = `#${n}:${'x'.repeat(n % 11)}`;
      texts[k]!.push(text);
      add(store, caps[k]!, new TextEncoder().encode(text));
    }
    caps.forEach((cap, k) => {
      const got = store.read(cap, 0, 100_000).map((c) => Buffer.from(c.data).toString());
      expect(got).toEqual(texts[k]);
      expect(Buffer.from(store.readData(cap, 1234)!).toString()).toBe(texts[k]![1234]);
    });
  });

  it('evicts the oldest chunks across connections past the budget, keeps counters exact and deletes old segment files', () => {
    const budget = 256 * KiB;
    const store = makeStore(budget, { segmentBytes: 32 * KiB, bufferBytes: 4 * KiB });
    const a = new ConnectionCapture('C1');
    const b = new ConnectionCapture('C2');
    let totalA = 0;
    let touchedA = 0;
    const sizesA: number[] = [];
    for (let n = 0; n < 2000; n++) {
      const size = 100 + ((n * 37) % 900);
      const cap = n % 4 === 0 ? b : a;
      const touched = add(store, cap, bytesFor(n, size));
      if (touched.includes(a)) touchedA += 1;
      if (cap === a) {
        totalA += size;
        sizesA.push(size);
      }
      expect(store.usedBytes).toBeLessThanOrEqual(budget);
    }
    expect(touchedA).toBeGreaterThan(0);
    expect(a.droppedChunks).toBeGreaterThan(0);
    expect(a.droppedChunks + a.keptCount).toBe(sizesA.length);
    expect(a.firstKeptSeq).toBe(a.droppedChunks);
    expect(a.droppedBytes).toBe(sum(sizesA.slice(0, a.droppedChunks)));
    const kept = store.read(a, 0, 100_000);
    expect(kept[0]!.seq).toBe(a.droppedChunks);
    expect(sum(kept.map((c) => c.size)) + a.droppedBytes).toBe(totalA);
    expect(store.readData(a, a.droppedChunks - 1)).toBeUndefined();
    expect(store.readData(a, a.firstKeptSeq)!.byteLength).toBe(sizesA[a.firstKeptSeq]);
    // Oldest first across both connections: b lost chunks too, from the same era.
    expect(b.droppedChunks).toBeGreaterThan(0);
    // Only the files still holding kept chunks remain (about budget / segment size of them).
    const files = segmentFiles(store);
    expect(files).not.toContain('segment-0.bin');
    expect(files.length).toBeLessThanOrEqual(budget / (32 * KiB) + 2);
    // At most two emptied files wait for reuse; the rest are deleted.
    expect(fs.readdirSync(store.directory!).filter((f) => !files.includes(f)).length).toBeLessThanOrEqual(2);
    expect(store.diskBytes).toBeLessThanOrEqual(budget + 4 * 32 * KiB);
  });

  it('release forgets one connection and deletes the files only it used', () => {
    const store = makeStore(64 * MiB, { segmentBytes: 16 * KiB, bufferBytes: 4 * KiB });
    const a = new ConnectionCapture('C1');
    const b = new ConnectionCapture('C2');
    for (let n = 0; n < 100; n++) add(store, a, bytesFor(n, 1000));
    const onlyA = segmentFiles(store);
    for (let n = 0; n < 50; n++) add(store, b, bytesFor(1000 + n, 1000));
    const usedBefore = store.usedBytes;
    store.release(a);
    expect(a.released).toBe(true);
    expect(a.keptCount).toBe(0);
    expect(a.droppedChunks).toBe(100);
    expect(a.droppedBytes).toBe(100_000);
    expect(store.read(a, 0, 10)).toEqual([]);
    expect(store.usedBytes).toBeLessThan(usedBefore - 100_000);
    const left = segmentFiles(store);
    // Every file filled by a alone is gone; the one shared at the switch may stay.
    expect(onlyA.filter((f) => left.includes(f)).length).toBeLessThanOrEqual(1);
    expect(Buffer.from(store.readData(b, 49)!).equals(Buffer.from(bytesFor(1049, 1000)))).toBe(true);
    // Evictions later skip the released connection's queued entries.
    expect(store.setBudget(10_000)).toEqual([b]);
    expect(a.droppedChunks).toBe(100);
    expect(b.droppedChunks).toBeGreaterThan(0);
  });

  it('setBudget shrinks at once, evicting the oldest', () => {
    const store = makeStore(16 * MiB, { segmentBytes: 64 * KiB, bufferBytes: 16 * KiB });
    const a = new ConnectionCapture('C1');
    for (let n = 0; n < 1000; n++) add(store, a, bytesFor(n, 4000));
    expect(a.droppedChunks).toBe(0);
    const filesBefore = segmentFiles(store).length;
    expect(store.setBudget(100 * KiB)).toEqual([a]);
    expect(store.budgetBytes).toBe(100 * KiB);
    expect(store.usedBytes).toBeLessThanOrEqual(100 * KiB);
    expect(a.keptCount).toBe(Math.floor((100 * KiB) / (4000 + 96)));
    expect(a.firstKeptSeq).toBe(1000 - a.keptCount);
    expect(a.droppedBytes).toBe(a.droppedChunks * 4000);
    expect(segmentFiles(store).length).toBeLessThan(filesBefore / 10);
    expect(Buffer.from(store.readData(a, 999)!).equals(Buffer.from(bytesFor(999, 4000)))).toBe(true);
    // Growing again keeps what is there and evicts nothing.
    expect(store.setBudget(1 * MiB)).toEqual([]);
  });

  it('close removes the folder and the exit handler; later chunks are kept in memory', () => {
    const exitHandlers = process.listenerCount('exit');
    const store = new CaptureStore(1 * MiB, { segmentBytes: 16 * KiB, bufferBytes: 4 * KiB });
    const other = makeStore(1 * MiB);
    const dir = store.directory!;
    expect(fs.existsSync(dir)).toBe(true);
    expect(path.basename(dir)).toMatch(/^socket-inspector-capture-/);
    expect(process.listenerCount('exit')).toBe(exitHandlers === 0 ? 1 : exitHandlers);
    const a = new ConnectionCapture('C1');
    for (let n = 0; n < 50; n++) add(store, a, bytesFor(n, 1000));
    store.close();
    store.close();
    expect(fs.existsSync(dir)).toBe(false);
    expect(store.directory).toBeUndefined();
    expect(store.mode).toBe('memory');
    // Counters and the index stay; new chunks still record and read.
    expect(a.keptCount).toBe(50);
    add(store, a, bytesFor(50, 10));
    expect(Buffer.from(store.readData(a, 50)!).equals(Buffer.from(bytesFor(50, 10)))).toBe(true);
    other.close();
    expect(process.listenerCount('exit')).toBe(exitHandlers);
  });

  it('a process exiting without close leaves no folder behind', async () => {
    const { buildSync } = await import('esbuild');
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'capture-exit-test-')), 'capture.mjs');
    cleanups.push(() => fs.rmSync(path.dirname(out), { recursive: true, force: true }));
    buildSync({ entryPoints: [path.join(import.meta.dirname, 'capture.ts')], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'silent' });
    const script = `
      const { CaptureStore, ConnectionCapture } = await import(${JSON.stringify(out)});
      const store = new CaptureStore(1 << 20, { segmentBytes: 4096, bufferBytes: 1024 });
      const cap = new ConnectionCapture('C1');
      for (let seq = 0; seq < 20; seq++) store.add(cap, { connectionId: 'C1', seq, direction: 'in', time: 0, size: 1000, data: new Uint8Array(1000) });
      console.log(store.directory);
      process.exit(3);
    `;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(3);
    const dir = res.stdout.trim();
    expect(dir).toMatch(/socket-inspector-capture-/);
    expect(fs.existsSync(dir)).toBe(false);
  });
});

describe('capture store without a usable disk', () => {
  it('keeps payloads in memory when its folder cannot be made, and says why', () => {
    const store = makeStore(64 * KiB, { dir: path.join(os.tmpdir(), 'no-such-parent-' + process.pid, 'deeper') });
    expect(store.mode).toBe('memory');
    expect(store.reason).toMatch(/ENOENT/);
    expect(store.directory).toBeUndefined();
    const a = new ConnectionCapture('C1');
    const sizes: number[] = [];
    for (let n = 0; n < 200; n++) {
      const size = n === 50 ? 3 * MiB : 1000 + n;
      sizes.push(size);
      add(store, a, bytesFor(n, size));
    }
    expect(a.droppedChunks + a.keptCount).toBe(200);
    expect(a.droppedBytes).toBe(sum(sizes.slice(0, a.droppedChunks)));
    expect(store.usedBytes).toBeLessThanOrEqual(64 * KiB);
    for (const c of store.read(a, 0, 1000)) {
      const data = bytesFor(c.seq, sizes[c.seq]!);
      expect(Buffer.from(c.data).equals(Buffer.from(data.subarray(0, PREVIEW_BYTES)))).toBe(true);
      expect(Buffer.from(store.readData(a, c.seq)!).equals(Buffer.from(data))).toBe(true);
    }
    // Old arenas are freed as their chunks go.
    expect(store.memoryBytes).toBeLessThan(4 * MiB);
  });

  it('switches to memory when a write fails (disk full), losing no chunk', () => {
    if (!fs.existsSync('/dev/full')) return;
    let opened = 0;
    const store = makeStore(64 * MiB, {
      segmentBytes: 32 * KiB,
      bufferBytes: 8 * KiB,
      // The first two files are real; then the disk is "full".
      openSegment: (file) => (opened++ < 2 ? fs.openSync(file, 'w+') : fs.openSync('/dev/full', 'r+')),
    });
    const a = new ConnectionCapture('C1');
    const datas: Uint8Array[] = [];
    for (let n = 0; n < 300; n++) {
      const data = bytesFor(n, n % 10 === 0 ? 20_000 : 700 + n);
      datas.push(data);
      add(store, a, data);
    }
    expect(store.mode).toBe('memory');
    expect(store.reason).toMatch(/ENOSPC/);
    expect(a.keptCount).toBe(300);
    datas.forEach((data, seq) => expect(Buffer.from(store.readData(a, seq)!).equals(Buffer.from(data))).toBe(true));
    expect(store.read(a, 0, 1000).map((c) => c.data.byteLength)).toEqual(datas.map((d) => Math.min(d.byteLength, PREVIEW_BYTES)));
  });

  it('switches to memory when its folder disappears', () => {
    const store = makeStore(64 * MiB, { segmentBytes: 16 * KiB, bufferBytes: 4 * KiB });
    const a = new ConnectionCapture('C1');
    const datas: Uint8Array[] = [];
    for (let n = 0; n < 200; n++) {
      if (n === 60) fs.rmSync(store.directory!, { recursive: true, force: true });
      const data = bytesFor(n, 900 + n);
      datas.push(data);
      add(store, a, data);
    }
    expect(store.mode).toBe('memory');
    expect(store.reason).toMatch(/ENOENT/);
    // Files already open stay readable after their names are gone.
    datas.forEach((data, seq) => expect(Buffer.from(store.readData(a, seq)!).equals(Buffer.from(data))).toBe(true));
  });
});

describe('capture store memory', () => {
  it('captures 1 GiB of 64 KiB chunks within a 256 MiB budget with flat memory, and reads back the kept part exactly', () => {
    const store = makeStore(256 * MiB);
    const cap = new ConnectionCapture('C1');
    const base = randomBytes(64 * KiB);
    const chunkOf = (n: number) => {
      base.writeUInt32LE(n, 0);
      base.writeUInt32LE(n ^ 0x5a5a5a5a, 60 * KiB);
      return base;
    };
    const count = (1024 * MiB) / (64 * KiB);
    const rss0 = process.memoryUsage().rss;
    let peakRss = rss0;
    let peakStore = 0;
    for (let n = 0; n < count; n++) {
      add(store, cap, chunkOf(n));
      if ((n & 255) === 0) {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        peakStore = Math.max(peakStore, store.memoryBytes);
      }
    }
    expect(store.mode).toBe('disk');
    expect(cap.droppedChunks + cap.keptCount).toBe(count);
    expect(store.usedBytes).toBeLessThanOrEqual(256 * MiB);
    expect(cap.keptCount * 64 * KiB).toBeGreaterThan(255 * MiB);
    expect(store.diskBytes).toBeLessThanOrEqual(256 * MiB + 3 * 16 * MiB);
    expect(segmentFiles(store).length).toBeLessThanOrEqual(18);

    const kept = createHash('sha256');
    const stored = createHash('sha256');
    for (let seq = cap.firstKeptSeq; seq < count; seq++) {
      kept.update(chunkOf(seq));
      stored.update(store.readData(cap, seq)!);
      if ((seq & 255) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    expect(stored.digest('hex')).toBe(kept.digest('hex'));
    peakStore = Math.max(peakStore, store.memoryBytes);
    expect(peakStore).toBeLessThan(32 * MiB);
    expect(peakRss - rss0).toBeLessThan(80 * MiB);
  }, 120_000);

  it('keeps the index of a million tiny chunks within the budget accounting', () => {
    const budget = 64 * MiB;
    const store = makeStore(budget);
    const caps = [new ConnectionCapture('C1'), new ConnectionCapture('C2')];
    const data = new Uint8Array(10);
    for (let n = 0; n < 1_000_000; n++) {
      data[0] = n & 0xff;
      add(store, caps[n & 1]!, data);
      if ((n & 0xffff) === 0) expect(store.memoryBytes).toBeLessThanOrEqual(Math.max(store.usedBytes, 2 * MiB));
    }
    expect(store.memoryBytes).toBeLessThanOrEqual(store.usedBytes);
    expect(store.memoryBytes).toBeLessThan(40 * MiB);
    // A tiny budget bounds them just the same.
    store.setBudget(4 * MiB);
    expect(store.usedBytes).toBeLessThanOrEqual(4 * MiB);
    expect(store.memoryBytes).toBeLessThan(4 * MiB + 1 * MiB + 64 * KiB);
    const last = store.read(caps[1]!, 999_999 >> 1, 1)[0]!;
    expect(last.seq).toBe(499_999);
    expect(last.data[0]).toBe(999_999 & 0xff);
    expect(caps[0]!.droppedChunks + caps[0]!.keptCount).toBe(500_000);
  }, 60_000);
});
