import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PREVIEW_BYTES, type Chunk } from '../../shared/model';
import { makeCaptureFolder, sweepAbandonedCaptureFolders } from './capture-folder';

/**
 * Budget charged per chunk beyond its payload, so tiny chunks still count. It covers what the
 * index really costs in memory (21 bytes a chunk in typed arrays and 4 in the eviction queue,
 * under 80 with growth slack), so memory stays within the budget even for millions of
 * one-byte chunks.
 */
const CHUNK_OVERHEAD = 96;

/** 256 MiB, the default capture budget. */
export const DEFAULT_CAPTURE_BUDGET = 256 * 1024 * 1024;

/** Payloads are appended to files of about this size; a file is deleted once nothing in it is kept. */
const SEGMENT_BYTES = 16 * 1024 * 1024;
/**
 * Emptied segment files kept for the next segments, renamed spare-N: overwriting pages already in
 * the page cache is several times faster than growing new files (block allocation), and a flood
 * retires one file for each one it starts.
 */
const SPARE_FILES = 2;
/** Small chunks are gathered here and written in one call: no syscall per chunk on the hot path. */
const BUFFER_BYTES = 1024 * 1024;
/** Previews of chunks this close together on disk are read with one call (many tiny chunks). */
const COALESCE_GAP = 4096;
const COALESCE_SPAN = 256 * 1024;

/** Bytes of index per chunk: time (8), stream offset (8), size (4), segment (4), offset (4), flags (1). */
const ENTRY_BYTES = 29;
const OUT = 1;
const AUTO = 2;
const NO_BYTES = new Uint8Array(0);

/** Bytes of one direction's stream, read back from the capture. */
export interface StreamRange {
  /** Stream offset of data[0]. */
  start: number;
  data: Uint8Array;
  /** Stream offsets inside the range where one chunk ends and the next begins. */
  boundaries: number[];
  /** The chunk holding the last byte read (where reading the rest of the stream may start), or -1. */
  lastSeq: number;
}

/** Options of a capture store; the defaults suit the app, tests make them small. */
export interface CaptureStoreOptions {
  /**
   * Folder in which the store makes its private folder (default: the OS temp folder). Folders
   * there that stores which died left behind are removed when a store starts.
   */
  dir?: string;
  /** Size at which a segment file is closed and the next one started. */
  segmentBytes?: number;
  /** Write buffer size; larger chunks are written directly. */
  bufferBytes?: number;
  /** Opens a new segment file for reading and writing and returns its descriptor. */
  openSegment?: (file: string) => number;
}

/** Where payloads live: files in a private temp folder, or memory when the disk cannot be used. */
export type CaptureMode = 'disk' | 'memory';

// Stores not closed yet: closed when the process exits, so no temp files are left behind.
const liveStores = new Set<CaptureStore>();

function closeLiveStores(): void {
  for (const store of [...liveStores]) store.close();
}

function track(store: CaptureStore): void {
  if (liveStores.size === 0) process.on('exit', closeLiveStores);
  liveStores.add(store);
}

function untrack(store: CaptureStore): void {
  if (liveStores.delete(store) && liveStores.size === 0) process.removeListener('exit', closeLiveStores);
}

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return typeof e?.code === 'string' ? e.code : typeof e?.message === 'string' ? e.message : String(err);
}

function writeFully(fd: number, data: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = fs.writeSync(fd, data, done, length - done, position + done);
    if (n <= 0) throw Object.assign(new Error('nothing written'), { code: 'EIO' });
    done += n;
  }
}

/**
 * A run of payload bytes: a file with an optional in-memory tail, or (fd -1) memory only.
 * Bytes below `flushed` are in the file; bytes from `flushed` on are in `mem`. A file whose
 * writes failed keeps its unwritten tail in `mem` for good.
 */
interface Segment {
  id: number;
  fd: number;
  file: string | null;
  flushed: number;
  mem: Uint8Array | null;
  memLen: number;
  /** Kept chunks whose bytes are here. */
  refs: number;
}

/** Ring of capture slots in arrival order, 4 bytes an entry: who owns the oldest chunk. */
class SlotQueue {
  private ring = new Uint32Array(64);
  private head = 0;
  length = 0;

  get bytes(): number {
    return this.ring.byteLength;
  }

  push(slot: number): void {
    if (this.length === this.ring.length) this.resize(this.ring.length * 2);
    this.ring[(this.head + this.length) & (this.ring.length - 1)] = slot;
    this.length += 1;
  }

  shift(): number {
    const slot = this.ring[this.head]!;
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.length -= 1;
    if (this.ring.length > 1024 && this.length * 4 < this.ring.length) this.resize(this.ring.length / 2);
    return slot;
  }

  private resize(capacity: number): void {
    const next = new Uint32Array(capacity);
    const firstPart = Math.min(this.length, this.ring.length - this.head);
    next.set(this.ring.subarray(this.head, this.head + firstPart), 0);
    next.set(this.ring.subarray(0, this.length - firstPart), firstPart);
    this.ring = next;
    this.head = 0;
  }
}

/**
 * One connection's ordered record of chunks, oldest first, as a compact index (typed-array
 * columns); payloads live in the store. Evicted chunks are counted, not kept.
 */
export class ConnectionCapture {
  /** Sequence number the next chunk gets. */
  nextSeq = 0;
  droppedBytes = 0;
  droppedChunks = 0;
  /** Set once the connection is forgotten, so the store skips its queued entries. */
  released = false;
  /** The store holding this record's payloads, set on its first chunk. */
  store: CaptureStore | undefined;
  /** Position in the store's table of captures, -1 until the first chunk. */
  slot = -1;

  // Index columns, maintained here and read by the store. Entries [head, tail) are kept.
  head = 0;
  tail = 0;
  /** Sequence number of the entry at head. */
  baseSeq = 0;
  times = new Float64Array(0);
  /** Each chunk's stream offset: where its first byte sits in its direction's stream. */
  starts = new Float64Array(0);
  sizes = new Uint32Array(0);
  segs = new Uint32Array(0);
  offs = new Uint32Array(0);
  flags = new Uint8Array(0);

  constructor(readonly connectionId: string) {}

  get firstKeptSeq(): number {
    return this.head < this.tail ? this.baseSeq : this.nextSeq;
  }

  get keptCount(): number {
    return this.tail - this.head;
  }

  /** Memory the index takes. */
  get indexBytes(): number {
    return this.times.length * ENTRY_BYTES;
  }

  /** Kept chunks with seq >= fromSeq, at most limit of them, each with its preview as data. */
  read(fromSeq: number, limit: number): Chunk[] {
    return this.store ? this.store.read(this, fromSeq, limit) : [];
  }

  /** Index position of a kept seq, or -1. */
  indexOf(seq: number): number {
    if (!Number.isInteger(seq) || seq < this.baseSeq) return -1;
    const i = this.head + (seq - this.baseSeq);
    return i < this.tail ? i : -1;
  }

  append(seq: number, time: number, start: number, size: number, seg: number, off: number, flags: number): void {
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
      this.baseSeq = seq;
    }
    if (this.tail === this.times.length) {
      const count = this.tail - this.head;
      this.resize(count * 2 <= this.times.length && count > 0 ? this.times.length : Math.max(16, this.times.length * 2));
    }
    const i = this.tail;
    this.times[i] = time;
    this.starts[i] = start;
    this.sizes[i] = size;
    this.segs[i] = seg;
    this.offs[i] = off;
    this.flags[i] = flags;
    this.tail += 1;
    if (seq >= this.nextSeq) this.nextSeq = seq + 1;
  }

  /** Forgets the oldest kept entry, counting it as dropped. */
  dropOldest(): void {
    this.droppedBytes += this.sizes[this.head]!;
    this.droppedChunks += 1;
    this.head += 1;
    this.baseSeq += 1;
    const count = this.tail - this.head;
    if (count === 0) {
      this.head = 0;
      this.tail = 0;
    }
    // Give memory back after a burst, so a quiet connection does not hold a large index.
    if (this.times.length > 64 && count * 3 < this.times.length) this.resize(Math.max(16, count * 2));
  }

  /** Moves the kept entries to the start of columns of the given capacity. */
  private resize(capacity: number): void {
    const { head, tail } = this;
    if (capacity === this.times.length) {
      this.times.copyWithin(0, head, tail);
      this.starts.copyWithin(0, head, tail);
      this.sizes.copyWithin(0, head, tail);
      this.segs.copyWithin(0, head, tail);
      this.offs.copyWithin(0, head, tail);
      this.flags.copyWithin(0, head, tail);
    } else {
      const times = new Float64Array(capacity);
      const starts = new Float64Array(capacity);
      const sizes = new Uint32Array(capacity);
      const segs = new Uint32Array(capacity);
      const offs = new Uint32Array(capacity);
      const flags = new Uint8Array(capacity);
      times.set(this.times.subarray(head, tail));
      starts.set(this.starts.subarray(head, tail));
      sizes.set(this.sizes.subarray(head, tail));
      segs.set(this.segs.subarray(head, tail));
      offs.set(this.offs.subarray(head, tail));
      flags.set(this.flags.subarray(head, tail));
      Object.assign(this, { times, starts, sizes, segs, offs, flags });
    }
    this.head = 0;
    this.tail = tail - head;
  }
}

/**
 * Keeps chunks within a byte budget shared by all connections. Over budget, the oldest
 * payloads (across every connection) are dropped first; counters elsewhere stay exact.
 *
 * Payloads are appended to segment files in a private temp folder through a write buffer; only
 * a compact index stays in memory, so a flood of gigabytes costs the process a few MiB. When
 * the folder cannot be made or a write fails, payloads stay in memory instead (the budget still
 * bounds them) and `reason` says why.
 */
export class CaptureStore {
  private used = 0;
  private readonly queue = new SlotQueue();
  private readonly bySlot: Array<ConnectionCapture | undefined> = [];
  private readonly segments = new Map<number, Segment>();
  /** The segment new bytes go to. */
  private current: Segment | null = null;
  /** The write buffer, between two segment files. */
  private spare: Uint8Array | null = null;
  /** Emptied files waiting to be reused. */
  private readonly spareFiles: Array<{ fd: number; file: string; size: number }> = [];
  private nextSpareId = 0;
  private nextSegmentId = 0;
  private placedOffset = 0;
  private folder: string | null = null;
  private storeMode: CaptureMode = 'disk';
  private why: string | undefined;
  private closed = false;
  private readonly segmentBytes: number;
  private readonly bufferBytes: number;
  private readonly openSegment: (file: string) => number;

  constructor(
    private budget = DEFAULT_CAPTURE_BUDGET,
    options: CaptureStoreOptions = {},
  ) {
    this.segmentBytes = options.segmentBytes ?? SEGMENT_BYTES;
    this.bufferBytes = options.bufferBytes ?? BUFFER_BYTES;
    this.openSegment = options.openSegment ?? ((file) => fs.openSync(file, 'w+', 0o600));
    const parent = options.dir ?? os.tmpdir();
    // Payloads a killed or crashed run left behind are removed before new ones are written.
    sweepAbandonedCaptureFolders(parent);
    try {
      this.folder = makeCaptureFolder(parent);
      track(this);
    } catch (err) {
      this.fallBack(`Could not create a capture folder in ${parent}`, err);
    }
  }

  get usedBytes(): number {
    return this.used;
  }

  get budgetBytes(): number {
    return this.budget;
  }

  /** disk: payloads are spilled to files; memory: they are kept in memory (see reason). */
  get mode(): CaptureMode {
    return this.storeMode;
  }

  /** Why payloads are kept in memory, in words; undefined while the disk is used. */
  get reason(): string | undefined {
    return this.why;
  }

  /** The private folder holding segment files, while there is one. */
  get directory(): string | undefined {
    return this.folder ?? undefined;
  }

  /** Memory the store itself takes: index, queue, write buffer and in-memory payloads. */
  get memoryBytes(): number {
    let n = this.queue.bytes + this.bySlot.length * 8 + (this.spare?.byteLength ?? 0);
    for (const cap of this.bySlot) if (cap) n += cap.indexBytes;
    for (const seg of this.segments.values()) n += seg.mem?.byteLength ?? 0;
    return n;
  }

  /** Bytes in the store's files: segments, and emptied files kept for reuse. */
  get diskBytes(): number {
    let n = 0;
    for (const f of this.spareFiles) n += f.size;
    for (const seg of this.segments.values()) if (seg.fd >= 0) n += seg.flushed;
    return n;
  }

  setBudget(bytes: number): ConnectionCapture[] {
    this.budget = bytes;
    return this.enforce();
  }

  /**
   * Records a chunk (data: all its bytes, copied here, never kept by reference); returns the
   * captures that lost chunks to make room.
   */
  add(capture: ConnectionCapture, chunk: Chunk): ConnectionCapture[] {
    if (capture.slot < 0 || capture.released || capture.store !== this) {
      capture.released = false;
      capture.store = this;
      capture.slot = this.bySlot.length;
      this.bySlot.push(capture);
    }
    const data = chunk.data;
    const size = data.byteLength;
    const seg = (this.storeMode === 'disk' && this.placeOnDisk(data)) || this.placeInMemory(data);
    seg.refs += 1;
    capture.append(chunk.seq, chunk.time, chunk.offset, size, seg.id, this.placedOffset, (chunk.direction === 'out' ? OUT : 0) | (chunk.auto ? AUTO : 0));
    this.queue.push(capture.slot);
    this.used += size + CHUNK_OVERHEAD;
    return this.used > this.budget ? this.enforce() : [];
  }

  /** Kept chunks of a capture with seq >= fromSeq, at most limit, each with its first PREVIEW_BYTES as data. */
  read(capture: ConnectionCapture, fromSeq: number, limit: number): Chunk[] {
    const out: Chunk[] = [];
    if (!(limit > 0) || capture.keptCount === 0) return out;
    let i = capture.head + Math.max(0, Math.floor(fromSeq) - capture.baseSeq);
    const end = Math.min(capture.tail, i + limit);
    const { segs, offs, sizes } = capture;
    while (i < end) {
      const seg = this.segments.get(segs[i]!);
      const off = offs[i]!;
      const len = Math.min(sizes[i]!, PREVIEW_BYTES);
      if (!seg || seg.fd < 0 || (seg.mem && off >= seg.flushed)) {
        out.push(this.chunkAt(capture, i, this.bytesAt(seg, off, len) ?? NO_BYTES));
        i += 1;
        continue;
      }
      // Neighbours on disk close together are read at once: pages of tiny chunks cost one call.
      let j = i + 1;
      let runEnd = off + len;
      while (j < end && segs[j] === seg.id) {
        const o = offs[j]!;
        const l = Math.min(sizes[j]!, PREVIEW_BYTES);
        if (o < runEnd || o - runEnd > COALESCE_GAP || o + l - off > COALESCE_SPAN || (seg.mem && o >= seg.flushed)) break;
        runEnd = o + l;
        j += 1;
      }
      const span = this.readDisk(seg, off, runEnd - off);
      if (j === i + 1) {
        out.push(this.chunkAt(capture, i, span ?? NO_BYTES));
      } else {
        for (let k = i; k < j; k++) {
          const from = offs[k]! - off;
          out.push(this.chunkAt(capture, k, span ? span.slice(from, from + Math.min(sizes[k]!, PREVIEW_BYTES)) : NO_BYTES));
        }
      }
      i = j;
    }
    return out;
  }

  /** All the bytes of a kept chunk; undefined when it is not kept (or cannot be read back). */
  readData(capture: ConnectionCapture, seq: number): Uint8Array | undefined {
    const i = capture.indexOf(seq);
    if (i < 0) return undefined;
    return this.bytesAt(this.segments.get(capture.segs[i]!), capture.offs[i]!, capture.sizes[i]!);
  }

  /**
   * The kept bytes of one direction's stream in [from, to), reading chunks from seq fromSeq on
   * (a hint: the first chunk that may hold `from`; earlier ones are skipped). Returns the bytes,
   * where they start (later than `from` when the start was evicted), and the stream offsets at
   * which one chunk ends and the next begins inside them. Stops at maxBytes.
   */
  readRange(capture: ConnectionCapture, direction: 'in' | 'out', fromSeq: number, from: number, to: number, maxBytes = 16 * 1024 * 1024): StreamRange {
    const want = direction === 'out' ? OUT : 0;
    const parts: Uint8Array[] = [];
    const boundaries: number[] = [];
    let start = -1;
    let length = 0;
    let lastSeq = -1;
    let i = capture.head + Math.max(0, Math.floor(fromSeq) - capture.baseSeq);
    const limit = Math.min(to, from + maxBytes);
    for (; i < capture.tail; i++) {
      if ((capture.flags[i]! & OUT) !== want) continue;
      const cStart = capture.starts[i]!;
      const cEnd = cStart + capture.sizes[i]!;
      if (cEnd <= from) continue;
      if (cStart >= limit) break;
      const lo = Math.max(from, cStart);
      const hi = Math.min(limit, cEnd);
      if (start >= 0 && start + length !== lo) break; // a gap: what follows was not kept
      if (start < 0) start = lo;
      else boundaries.push(lo);
      const bytes = this.bytesAt(this.segments.get(capture.segs[i]!), capture.offs[i]! + (lo - cStart), hi - lo);
      if (!bytes) break;
      parts.push(bytes);
      length += bytes.byteLength;
      lastSeq = capture.baseSeq + (i - capture.head);
      if (hi >= limit) break;
    }
    const data = parts.length === 1 ? parts[0]! : new Uint8Array(length);
    if (parts.length !== 1) {
      let at = 0;
      for (const p of parts) {
        data.set(p, at);
        at += p.byteLength;
      }
    }
    return { start: start < 0 ? from : start, data, boundaries, lastSeq };
  }

  /**
   * Copies payload bytes of a capture's kept chunks back to back into `into`: chunk fromSeq from
   * its byte `skip` on, then the chunks after it, stopping before seq toSeq, when `into` is full
   * (the last chunk may be copied in part), or once maxReads file reads are planned. Bytes still
   * in memory are copied at once; chunks that lie next to each other in one segment file are
   * read with one call, and those calls run asynchronously in parallel, so a long stream costs a
   * few large reads and the event loop stays free while they run. Resolves to the bytes copied
   * and where the copy stopped (the next byte is byte `skip` of chunk `seq`); `unreadable` says
   * chunk `seq` could not be read back. When fromSeq is not kept, or is evicted (or the store
   * closed) before the reads finish, resolves to 0 bytes at fromSeq: bytes of chunks that were
   * let go during the reads are never returned.
   */
  async readPayloads(
    capture: ConnectionCapture,
    fromSeq: number,
    toSeq: number,
    skip: number,
    into: Uint8Array,
    maxReads = 64,
  ): Promise<{ bytes: number; seq: number; skip: number; unreadable: boolean }> {
    const none = { bytes: 0, seq: fromSeq, skip, unreadable: false };
    const first = capture.indexOf(fromSeq);
    if (first < 0 || capture.released) return none;
    const end = Math.min(capture.tail, first + Math.max(0, Math.floor(toSeq) - fromSeq));
    const { segs, offs, sizes } = capture;
    const reads: Array<{ fd: number; pos: number; at: number; len: number; seq: number }> = [];
    let at = 0;
    let i = first;
    let from = Math.max(0, skip);
    let stop = { seq: fromSeq, skip, unreadable: false };
    while (i < end && at < into.byteLength) {
      const seq = capture.baseSeq + (i - capture.head);
      const seg = this.segments.get(segs[i]!);
      const off = offs[i]! + from;
      const len = Math.min(sizes[i]! - from, into.byteLength - at);
      if (seg && seg.mem && offs[i]! >= seg.flushed) {
        into.set(seg.mem.subarray(off - seg.flushed, off - seg.flushed + len), at);
        at += len;
        stop = len < sizes[i]! - from ? { seq, skip: from + len, unreadable: false } : { seq: seq + 1, skip: 0, unreadable: false };
        i += 1;
        from = 0;
        continue;
      }
      if (!seg || seg.fd < 0) {
        stop = { seq, skip: from, unreadable: true };
        break;
      }
      if (reads.length >= maxReads) break;
      // Neighbours in the same file are one read: a stream of many chunks costs a few calls.
      let runLen = len;
      let j = i + 1;
      stop = len < sizes[i]! - from ? { seq, skip: from + len, unreadable: false } : { seq: seq + 1, skip: 0, unreadable: false };
      while (j < end && at + runLen < into.byteLength && segs[j] === seg.id && offs[j] === off + runLen && !(seg.mem && offs[j]! >= seg.flushed)) {
        const l = Math.min(sizes[j]!, into.byteLength - at - runLen);
        runLen += l;
        const s = capture.baseSeq + (j - capture.head);
        stop = l < sizes[j]! ? { seq: s, skip: l, unreadable: false } : { seq: s + 1, skip: 0, unreadable: false };
        j += 1;
      }
      reads.push({ fd: seg.fd, pos: off, at, len: runLen, seq });
      at += runLen;
      i = j;
      from = 0;
    }
    if (reads.length === 0) return { bytes: at, ...stop };
    const readFully = (r: (typeof reads)[number]): Promise<boolean> =>
      new Promise((resolve) => {
        let done = 0;
        const step = (): void => {
          if (done >= r.len) return resolve(true);
          fs.read(r.fd, into, r.at + done, r.len - done, r.pos + done, (err, n) => {
            if (err || n <= 0) return resolve(false);
            done += n;
            step();
          });
        };
        step();
      });
    const results = await Promise.all(reads.map(readFully));
    // Kept chunks keep their segment files open and unchanged; let-go ones may not have.
    if (this.closed || capture.released || capture.firstKeptSeq > fromSeq) return none;
    const failed = results.indexOf(false);
    if (failed >= 0) {
      const r = reads[failed]!;
      return { bytes: r.at, seq: r.seq, skip: r.seq === fromSeq ? skip : 0, unreadable: true };
    }
    return { bytes: at, ...stop };
  }

  /**
   * Forgets the chunks a connection has kept, counting them as dropped (the user cleared them);
   * the connection goes on recording. Returns the payload bytes let go.
   */
  clear(capture: ConnectionCapture): number {
    const before = capture.droppedBytes;
    while (capture.keptCount > 0) this.evictOldest(capture);
    return capture.droppedBytes - before;
  }

  /** Forgets a connection's chunks entirely (its bytes are released). */
  release(capture: ConnectionCapture): void {
    while (capture.keptCount > 0) this.evictOldest(capture);
    capture.released = true;
    if (capture.slot >= 0 && this.bySlot[capture.slot] === capture) this.bySlot[capture.slot] = undefined;
  }

  /**
   * Closes the segment files and removes the folder. The index and counters stay; payloads
   * that were on disk can no longer be read, and anything recorded later is kept in memory.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const seg of [...this.segments.values()]) {
      if (seg.fd < 0) continue;
      this.segments.delete(seg.id);
      if (seg === this.current) this.current = null;
      seg.mem = null;
      try {
        fs.closeSync(seg.fd);
      } catch {
        // Already unusable: nothing to release.
      }
      seg.fd = -1;
    }
    this.spare = null;
    for (const f of this.spareFiles.splice(0)) this.deleteFile(f.fd, f.file);
    if (this.folder) {
      try {
        fs.rmSync(this.folder, { recursive: true, force: true });
      } catch {
        // A folder that cannot be removed is left to the OS temp cleaner.
      }
      this.folder = null;
    }
    untrack(this);
    this.storeMode = 'memory';
    this.why ??= 'The capture store was closed.';
  }

  private enforce(): ConnectionCapture[] {
    const touched = new Set<ConnectionCapture>();
    while (this.used > this.budget && this.queue.length > 0) {
      const capture = this.bySlot[this.queue.shift()];
      if (!capture || capture.released || capture.keptCount === 0) continue;
      this.evictOldest(capture);
      touched.add(capture);
    }
    return [...touched];
  }

  private evictOldest(capture: ConnectionCapture): void {
    const i = capture.head;
    const size = capture.sizes[i]!;
    const seg = this.segments.get(capture.segs[i]!);
    capture.dropOldest();
    this.used -= size + CHUNK_OVERHEAD;
    if (seg) {
      seg.refs -= 1;
      if (seg.refs === 0 && seg !== this.current) this.dropSegment(seg);
    }
  }

  private dropSegment(seg: Segment): void {
    this.segments.delete(seg.id);
    seg.mem = null;
    if (seg.fd < 0) return;
    const { fd, file } = seg;
    seg.fd = -1;
    if (file && this.folder && this.storeMode === 'disk' && this.spareFiles.length < SPARE_FILES && seg.flushed <= 2 * this.segmentBytes) {
      const spare = path.join(this.folder, `spare-${this.nextSpareId++}.bin`);
      try {
        fs.renameSync(file, spare);
        this.spareFiles.push({ fd, file: spare, size: seg.flushed });
        return;
      } catch {
        // Not reusable: delete it below.
      }
    }
    this.deleteFile(fd, file);
  }

  private deleteFile(fd: number, file: string | null): void {
    try {
      fs.closeSync(fd);
    } catch {
      // Closing can only fail on a descriptor that is already gone.
    }
    if (file) {
      try {
        fs.unlinkSync(file);
      } catch {
        // Removed with the folder on close or exit.
      }
    }
  }

  /** Leaves the current segment for good; drops it when nothing in it is kept. */
  private retire(seg: Segment): void {
    if (this.current === seg) this.current = null;
    if (seg.refs === 0) this.dropSegment(seg);
  }

  /** Appends to the current segment file; null when the disk failed (the store is then in memory mode). */
  private placeOnDisk(data: Uint8Array): Segment | null {
    const size = data.byteLength;
    let seg = this.current;
    if (seg && seg.flushed + seg.memLen > 0 && seg.flushed + seg.memLen + size > this.segmentBytes) {
      if (!this.flush(seg)) return null;
      this.spare = seg.mem;
      seg.mem = null;
      this.retire(seg);
      seg = null;
    }
    seg ??= this.newDiskSegment();
    if (!seg) return null;
    const buffer = seg.mem!;
    if (seg.memLen + size > buffer.byteLength && !this.flush(seg)) return null;
    const off = seg.flushed + seg.memLen;
    if (size >= buffer.byteLength) {
      try {
        writeFully(seg.fd, data, size, off);
      } catch (err) {
        this.fallBack('Could not write the capture to disk', err);
        return null;
      }
      seg.flushed += size;
    } else {
      buffer.set(data, seg.memLen);
      seg.memLen += size;
    }
    this.placedOffset = off;
    return seg;
  }

  private newDiskSegment(): Segment | null {
    if (!this.folder) return null;
    const id = this.nextSegmentId++;
    let file = path.join(this.folder, `segment-${id}.bin`);
    let fd: number;
    const reuse = this.spareFiles.shift();
    if (reuse) {
      fd = reuse.fd;
      try {
        fs.renameSync(reuse.file, file);
      } catch {
        file = reuse.file;
      }
    } else {
      try {
        fd = this.openSegment(file);
      } catch (err) {
        this.fallBack('Could not create a capture file', err);
        return null;
      }
    }
    const seg: Segment = { id, fd, file, flushed: 0, mem: this.spare ?? new Uint8Array(this.bufferBytes), memLen: 0, refs: 0 };
    this.spare = null;
    this.segments.set(id, seg);
    this.current = seg;
    return seg;
  }

  /** Writes the buffered tail of a segment to its file. */
  private flush(seg: Segment): boolean {
    if (seg.memLen === 0) return true;
    try {
      writeFully(seg.fd, seg.mem!, seg.memLen, seg.flushed);
    } catch (err) {
      this.fallBack('Could not write the capture to disk', err);
      return false;
    }
    seg.flushed += seg.memLen;
    seg.memLen = 0;
    return true;
  }

  /**
   * From now on payloads stay in memory. A segment whose write failed keeps its unwritten bytes
   * in memory, so every chunk recorded so far can still be read.
   */
  private fallBack(what: string, err: unknown): void {
    this.storeMode = 'memory';
    this.why = `${what} (${errorCode(err)}): captured bytes are kept in memory instead.`;
    if (this.current && this.current.fd >= 0) this.retire(this.current);
    this.spare = null;
    for (const f of this.spareFiles.splice(0)) this.deleteFile(f.fd, f.file);
  }

  /** Copies into an in-memory segment (1 MiB arenas; a larger chunk gets its own). */
  private placeInMemory(data: Uint8Array): Segment {
    const size = data.byteLength;
    let seg = this.current;
    if (!seg || seg.fd >= 0 || !seg.mem || seg.memLen + size > seg.mem.byteLength) {
      if (seg) this.retire(seg);
      const id = this.nextSegmentId++;
      seg = { id, fd: -1, file: null, flushed: 0, mem: new Uint8Array(Math.max(this.bufferBytes, size)), memLen: 0, refs: 0 };
      this.segments.set(id, seg);
      this.current = seg;
    }
    seg.mem!.set(data, seg.memLen);
    this.placedOffset = seg.memLen;
    seg.memLen += size;
    return seg;
  }

  private bytesAt(seg: Segment | undefined, off: number, len: number): Uint8Array | undefined {
    if (!seg) return undefined;
    if (seg.mem && off >= seg.flushed) return seg.mem.slice(off - seg.flushed, off - seg.flushed + len);
    return this.readDisk(seg, off, len);
  }

  private readDisk(seg: Segment, off: number, len: number): Uint8Array | undefined {
    if (seg.fd < 0) return undefined;
    const out = new Uint8Array(len);
    try {
      let done = 0;
      while (done < len) {
        const n = fs.readSync(seg.fd, out, done, len - done, off + done);
        if (n === 0) return undefined;
        done += n;
      }
    } catch {
      return undefined;
    }
    return out;
  }

  private chunkAt(capture: ConnectionCapture, i: number, data: Uint8Array): Chunk {
    const flags = capture.flags[i]!;
    const chunk: Chunk = {
      connectionId: capture.connectionId,
      seq: capture.baseSeq + (i - capture.head),
      direction: flags & OUT ? 'out' : 'in',
      time: capture.times[i]!,
      offset: capture.starts[i]!,
      size: capture.sizes[i]!,
      data,
    };
    if (flags & AUTO) chunk.auto = true;
    return chunk;
  }
}
