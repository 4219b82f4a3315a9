/**
 * Readings: a connection's capture read as lines, one stream per direction, frames, or chunks,
 * one row per line, run or frame. A reading keeps only row boundaries (stream offsets, the
 * chunks they span, times) in typed columns; the bytes stay in the capture and are read back
 * for the rows a window shows. It is built on demand, from the first kept chunk, and brought
 * up to date each time rows are asked for, a few milliseconds of work at a time, so a reading
 * opened during a flood never holds up the sockets.
 */
import { PREVIEW_BYTES, type Direction, type Endpoint } from '../../shared/model';
import { MAX_LINE_BYTES, STREAM_ROW_BYTES, readingKey, type ReadingError, type ReadingSpec, type RowPage, type ViewRow } from '../../shared/reading';
import type { DecoderChoice } from '../../shared/decoded';
import type { CaptureStore, ConnectionCapture } from './capture';
import { Framer, type FramingConfig } from './framing';
import { decode } from './decoders';

const OUT = 1;
const AUTO = 2;

// Row flags.
const F_OUT = 1;
const F_CUT = 2;
const F_CRLF = 4;
const F_LF = 8;
const F_CONTINUED = 16;
const F_AUTO = 32;

/**
 * Rows a reading keeps (41 bytes each); past this the oldest are forgotten (the capture still
 * has their bytes).
 */
const MAX_ROWS = 1_000_000;
/** Readings kept across all connections; the least recently used goes first. */
const MAX_READINGS = 24;
/** Work per request before answering with what is ready (caughtUp: false). */
const SLICE_MS = 12;
/** A row's bytes given to a decoder at most (for its one-line summary). */
const DECODE_BYTES = 16 * 1024;
/**
 * Decompressed output a row's summary may take: a page of rows that are each a zip bomb must
 * not hold the engine (expanding a row decodes it fully, up to the decoders' own cap).
 */
const SUMMARY_OUTPUT_BYTES = 256 * 1024;
/** Rows kept by all readings together; past this the least recently used readings are dropped. */
const ROWS_BUDGET = 3_000_000;

/** What a connection offers a reading. */
export interface ReadingSource {
  capture: ConnectionCapture;
  /** Datagrams: every chunk stands alone (rows never join two). */
  datagrams: boolean;
  peers?: ReadonlyMap<number, Endpoint>;
}

interface DirState {
  framer: Framer | null;
  /** Stream offset of the framer's first byte. */
  base: number;
  /** Chunk and time where the open row began, or -1. */
  startSeq: number;
  startTime: number;
  startAuto: boolean;
  /** The last byte seen in this direction (a CR before an LF makes a CRLF line end). */
  lastByte: number;
  /** The last chunk of this direction read so far. */
  lastSeq: number;
  error: ReadingError | null;
}

interface Run {
  dir: Direction;
  from: number;
  to: number;
  seqFrom: number;
  seqTo: number;
  time: number;
  lastTime: number;
  auto: boolean;
  continued: boolean;
}

class Rows {
  first = 0;
  head = 0;
  tail = 0;
  from = new Float64Array(256);
  to = new Float64Array(256);
  seqFrom = new Float64Array(256);
  seqTo = new Float64Array(256);
  time = new Float64Array(256);
  flags = new Uint8Array(256);

  get count(): number {
    return this.tail - this.head;
  }

  push(from: number, to: number, seqFrom: number, seqTo: number, time: number, flags: number): void {
    if (this.tail === this.from.length) this.grow();
    const i = this.tail++;
    this.from[i] = from;
    this.to[i] = to;
    this.seqFrom[i] = seqFrom;
    this.seqTo[i] = seqTo;
    this.time[i] = time;
    this.flags[i] = flags;
    if (this.count > MAX_ROWS) this.dropOldest();
  }

  dropOldest(): void {
    this.head += 1;
    this.first += 1;
  }

  private grow(): void {
    const count = this.count;
    const capacity = count * 2 <= this.from.length ? this.from.length : this.from.length * 2;
    for (const key of ['from', 'to', 'seqFrom', 'seqTo', 'time'] as const) {
      const next = new Float64Array(capacity);
      next.set(this[key].subarray(this.head, this.tail));
      this[key] = next;
    }
    const flags = new Uint8Array(capacity);
    flags.set(this.flags.subarray(this.head, this.tail));
    this.flags = flags;
    this.head = 0;
    this.tail = count;
  }
}

function framingConfig(spec: ReadingSpec): FramingConfig | null {
  if (spec.view === 'lines') return { kind: 'delimiter', delimiter: Uint8Array.of(0x0a), maxFrameBytes: MAX_LINE_BYTES };
  if (spec.view !== 'frames') return null;
  const f = spec.framing;
  if (f.kind === 'delimiter') return { kind: 'delimiter', delimiter: Uint8Array.from(Buffer.from(f.delimiterHex, 'hex')), maxFrameBytes: f.maxFrameBytes };
  if (f.kind === 'fixed') return { kind: 'fixed', size: f.size };
  return { ...f };
}

/** One connection read one way. */
export class Reading {
  readonly rows = new Rows();
  /** Next chunk (seq) to read into the rows. */
  private nextSeq = 0;
  private readonly dirs: Record<Direction, DirState>;
  private run: Run | null = null;
  private readonly config: FramingConfig | null;
  lastUsed = 0;

  constructor(
    readonly spec: ReadingSpec,
    private readonly source: ReadingSource,
  ) {
    this.config = framingConfig(spec);
    this.dirs = { in: this.freshDir(), out: this.freshDir() };
  }

  private freshDir(): DirState {
    return { framer: this.config ? new Framer(this.config) : null, base: -1, startSeq: -1, startTime: 0, startAuto: false, lastByte: -1, lastSeq: -1, error: null };
  }

  /** Reads captured chunks not read yet, for at most sliceMs; true once up to date. */
  advance(store: CaptureStore, sliceMs = SLICE_MS): boolean {
    const cap = this.source.capture;
    const started = performance.now();
    if (this.nextSeq < cap.firstKeptSeq) {
      // Chunks fell to the budget before they were read: start again after them.
      this.run = null;
      this.dirs.in = this.freshDir();
      this.dirs.out = this.freshDir();
      this.nextSeq = cap.firstKeptSeq;
    }
    // Rows whose bytes are gone, even in part, are forgotten too.
    const firstKept = cap.firstKeptSeq;
    while (this.rows.count > 0 && this.rows.seqFrom[this.rows.head]! < firstKept) this.rows.dropOldest();
    let work = 0;
    let chunks = 0;
    let rowsAtCheck = this.rows.tail;
    while (this.nextSeq < cap.nextSeq) {
      const i = cap.indexOf(this.nextSeq);
      if (i < 0) break;
      const seq = this.nextSeq++;
      const flags = cap.flags[i]!;
      const dir: Direction = flags & OUT ? 'out' : 'in';
      const start = cap.starts[i]!;
      const size = cap.sizes[i]!;
      const time = cap.times[i]!;
      const auto = (flags & AUTO) !== 0;
      if (this.spec.view === 'chunks') {
        this.rows.push(start, start + size, seq, seq, time, (dir === 'out' ? F_OUT : 0) | (auto ? F_AUTO : 0));
      } else if (this.spec.view === 'stream') {
        this.addToRun(dir, start, size, seq, time, auto);
      } else {
        const data = store.readData(cap, seq);
        if (!data) break;
        this.frame(dir, start, data, seq, time, auto);
        work += size;
      }
      // Look at the clock every 256 chunks, 256 KiB read or 1,000 rows made, not on every chunk.
      if (++chunks % 256 === 0 || work > 1 << 18 || this.rows.tail - rowsAtCheck > 1000) {
        work = 0;
        rowsAtCheck = this.rows.tail;
        if (performance.now() - started > sliceMs) break;
      }
    }
    return this.nextSeq >= cap.nextSeq;
  }

  private addToRun(dir: Direction, start: number, size: number, seq: number, time: number, auto: boolean): void {
    const mergeMs = this.spec.view === 'stream' ? this.spec.mergeMs : null;
    const run = this.run;
    const joins =
      run !== null &&
      !this.source.datagrams &&
      run.dir === dir &&
      run.to === start &&
      (mergeMs === null || time - run.lastTime <= mergeMs);
    if (!joins) {
      if (run) this.emitRun(run);
      this.run = { dir, from: start, to: start, seqFrom: seq, seqTo: seq, time, lastTime: time, auto, continued: false };
    }
    const r = this.run!;
    r.to = start + size;
    r.seqTo = seq;
    r.lastTime = time;
    // A long run is cut into rows of STREAM_ROW_BYTES; each later piece begins in this chunk.
    while (r.to - r.from >= STREAM_ROW_BYTES && !this.source.datagrams) {
      const end = r.from + STREAM_ROW_BYTES;
      this.rows.push(r.from, end, r.seqFrom, seq, r.time, (dir === 'out' ? F_OUT : 0) | (r.continued ? F_CONTINUED : 0) | (r.auto ? F_AUTO : 0));
      r.from = end;
      r.seqFrom = seq;
      r.time = time;
      r.continued = true;
    }
    if (r.to === r.from) this.run = null;
    else if (this.source.datagrams) {
      this.emitRun(r);
      this.run = null;
    }
  }

  private emitRun(r: Run): void {
    if (r.to > r.from) this.rows.push(r.from, r.to, r.seqFrom, r.seqTo, r.time, (r.dir === 'out' ? F_OUT : 0) | (r.continued ? F_CONTINUED : 0) | (r.auto ? F_AUTO : 0));
  }

  private frame(dir: Direction, start: number, data: Uint8Array, seq: number, time: number, auto: boolean): void {
    const d = this.dirs[dir];
    if (this.source.datagrams) {
      if (this.spec.view === 'frames') {
        // A datagram is one frame, whatever the framing.
        this.rows.push(start, start + data.byteLength, seq, seq, time, (dir === 'out' ? F_OUT : 0) | (auto ? F_AUTO : 0));
        return;
      }
      // Lines within one datagram: a fresh splitter each time, and what is left ends with it.
      d.framer = new Framer(this.config!);
      d.base = start;
      d.lastByte = -1;
    }
    if (d.error || !d.framer) return;
    if (d.base < 0) d.base = start;
    if (d.startSeq < 0) {
      d.startSeq = seq;
      d.startTime = time;
      d.startAuto = auto;
    }
    const end = start + data.byteLength;
    const frames = d.framer.push(data);
    for (const f of frames) {
      const from = d.base + f.start;
      const to = d.base + f.end;
      let flags = (dir === 'out' ? F_OUT : 0) | (d.startAuto ? F_AUTO : 0);
      if (f.cut) flags |= F_CUT;
      else if (this.spec.view === 'lines') {
        const crAt = to - 2;
        const cr = crAt >= start ? data[crAt - start] : crAt >= from ? d.lastByte : -1;
        flags |= cr === 0x0d && to - from >= 2 ? F_CRLF : F_LF;
      }
      this.rows.push(from, to, d.startSeq, seq, d.startTime, flags);
      if (to < end) {
        d.startSeq = seq;
        d.startTime = time;
        d.startAuto = auto;
      } else d.startSeq = -1;
    }
    if (data.byteLength) d.lastByte = data[data.byteLength - 1]!;
    d.lastSeq = seq;
    const err = d.framer.error;
    if (err && !d.error) d.error = { direction: dir, at: d.base + err.at, message: err.message };
    if (this.source.datagrams) {
      // The rest of the datagram is its last line, without a line end.
      const p = d.framer.pending();
      if (p) this.rows.push(d.base + p.start, d.base + p.start + p.have, d.startSeq, seq, d.startTime, (dir === 'out' ? F_OUT : 0) | (d.startAuto ? F_AUTO : 0));
      d.startSeq = -1;
    }
  }

  /** Rows still arriving: a pending frame or line per direction, or the open run. */
  pendingRows(): Array<Omit<ViewRow, 'n' | 'data' | 'boundaries'>> {
    const out: Array<Omit<ViewRow, 'n' | 'data' | 'boundaries'>> = [];
    if (this.spec.view === 'stream' && this.run && this.run.to > this.run.from) {
      const r = this.run;
      out.push({ direction: r.dir, from: r.from, to: r.to, seqFrom: r.seqFrom, seqTo: r.seqTo, time: r.time, pending: true, ...(r.continued ? { continued: true as const } : {}), ...(r.auto ? { auto: true as const } : {}) });
    }
    if (this.config && !this.source.datagrams) {
      for (const dir of ['in', 'out'] as const) {
        const d = this.dirs[dir];
        const p = d.error ? null : d.framer?.pending();
        if (!p || d.startSeq < 0) continue;
        out.push({
          direction: dir,
          from: d.base + p.start,
          to: d.base + p.start + p.have,
          seqFrom: d.startSeq,
          seqTo: d.lastSeq,
          time: d.startTime,
          pending: true,
          ...(p.need !== undefined ? { need: p.need } : {}),
          ...(d.startAuto ? { auto: true as const } : {}),
        });
      }
    }
    return out;
  }

  errors(): ReadingError[] {
    return [this.dirs.in.error, this.dirs.out.error].filter((e): e is ReadingError => e !== null);
  }

  /** The row at index i of the kept rows (0 = the oldest kept). */
  rowAt(i: number): Omit<ViewRow, 'data' | 'boundaries'> {
    const r = this.rows;
    const k = r.head + i;
    const flags = r.flags[k]!;
    const row: Omit<ViewRow, 'data' | 'boundaries'> = {
      n: r.first + i,
      direction: flags & F_OUT ? 'out' : 'in',
      from: r.from[k]!,
      to: r.to[k]!,
      seqFrom: r.seqFrom[k]!,
      seqTo: r.seqTo[k]!,
      time: r.time[k]!,
    };
    if (flags & F_CRLF) row.end = 'crlf';
    else if (flags & F_LF) row.end = 'lf';
    if (flags & F_CUT) row.cut = true;
    if (flags & F_CONTINUED) row.continued = true;
    if (flags & F_AUTO) row.auto = true;
    const peer = this.source.peers?.get(row.seqFrom);
    if (peer && this.source.datagrams) row.peer = peer;
    this.markParts(row);
    return row;
  }

  /** Sets how many of a row's bytes are its length header or its delimiter (the rest is the payload). */
  markParts(row: Omit<ViewRow, 'data' | 'boundaries'>): void {
    const size = row.to - row.from;
    let head = 0;
    let tail = 0;
    if (this.spec.view === 'lines') tail = row.end === 'crlf' ? 2 : row.end === 'lf' ? 1 : 0;
    else if (this.spec.view === 'frames' && !this.source.datagrams) {
      const f = this.spec.framing;
      if (f.kind === 'length') head = Math.min(size, f.lengthOffset + f.lengthBytes);
      else if (f.kind === 'delimiter' && !row.cut && !row.pending) tail = Math.min(size, f.delimiterHex.length / 2);
    }
    if (head) row.head = head;
    if (tail) row.tail = tail;
  }
}

/** Options of one request for rows. */
export interface RowRequest {
  spec: ReadingSpec;
  /** Index of the first row wanted (row numbers, or positions in the filtered list). */
  fromRow: number;
  limit: number;
  decoder: DecoderChoice;
  /** Keeps only rows that contain a byte of these ranges (a search's matches), sorted by offset per direction. */
  filter?: { in: Float64Array; inEnd: Float64Array; out: Float64Array; outEnd: Float64Array } | undefined;
}

/** The readings of every connection, least recently used dropped first. */
export class Readings {
  private readonly byCapture = new Map<ConnectionCapture, Map<string, Reading>>();
  private clock = 0;
  /** The last filtered list, kept while its reading has the same rows: a page asks for it again and again. */
  private matched: { reading: Reading; filter: object; first: number; count: number; rows: number[] } | null = null;

  constructor(private readonly store: CaptureStore) {}

  /** The reading for a connection and spec, made on first use. */
  reading(source: ReadingSource, spec: ReadingSpec): Reading {
    this.prune();
    const key = readingKey(spec);
    let forCapture = this.byCapture.get(source.capture);
    if (!forCapture) {
      forCapture = new Map();
      this.byCapture.set(source.capture, forCapture);
    }
    let reading = forCapture.get(key);
    if (!reading) {
      reading = new Reading(spec, source);
      forCapture.set(key, reading);
      this.evictLeastUsed();
    }
    reading.lastUsed = ++this.clock;
    return reading;
  }

  /** How many readings are kept (for tests). */
  get size(): number {
    let n = 0;
    for (const m of this.byCapture.values()) n += m.size;
    return n;
  }

  /** Brings the reading up to date (for a slice of time) and returns the rows asked for. */
  rows(source: ReadingSource, req: RowRequest): RowPage {
    const reading = this.reading(source, req.spec);
    const caughtUp = reading.advance(this.store);
    this.keepWithinBudget(reading);
    const kept = reading.rows.count;
    const rows: ViewRow[] = [];
    let total: number;
    let firstRow: number;
    if (req.filter) {
      const matching = this.matchingRows(reading, req.filter);
      total = matching.length;
      firstRow = 0;
      const end = Math.min(total, req.fromRow + req.limit);
      for (let j = Math.max(0, req.fromRow); j < end; j++) rows.push(this.withBytes(source, reading.rowAt(matching[j]!), req.decoder));
    } else {
      firstRow = reading.rows.first;
      total = firstRow + kept;
      const start = Math.max(firstRow, req.fromRow);
      const end = Math.min(total, req.fromRow + req.limit);
      for (let n = start; n < end; n++) rows.push(this.withBytes(source, reading.rowAt(n - firstRow), req.decoder));
    }
    const pending = req.filter
      ? []
      : reading.pendingRows().map((r) => {
          const row = { ...r, n: total };
          reading.markParts(row);
          return this.withBytes(source, row, req.decoder);
        });
    // What the capture dropped, whenever the reading read it before or not.
    return { rows, total, firstRow, pending, errors: reading.errors(), caughtUp, droppedBytes: source.capture.droppedBytes };
  }

  private matchingRows(reading: Reading, filter: NonNullable<RowRequest['filter']>): number[] {
    const r = reading.rows;
    const m = this.matched;
    if (m && m.reading === reading && m.filter === filter && m.first === r.first && m.count === r.count) return m.rows;
    const out: number[] = [];
    for (let i = 0; i < r.count; i++) {
      const k = r.head + i;
      const out_ = (r.flags[k]! & F_OUT) !== 0;
      const starts = out_ ? filter.out : filter.in;
      const ends = out_ ? filter.outEnd : filter.inEnd;
      if (overlaps(starts, ends, r.from[k]!, r.to[k]!)) out.push(i);
    }
    this.matched = { reading, filter, first: r.first, count: r.count, rows: out };
    return out;
  }

  private withBytes(source: ReadingSource, row: Omit<ViewRow, 'data' | 'boundaries'>, decoder: DecoderChoice): ViewRow {
    const want = Math.min(row.to, row.from + PREVIEW_BYTES);
    const range = this.store.readRange(source.capture, row.direction, row.seqFrom, row.from, want);
    const full: ViewRow = { ...row, data: range.data, boundaries: range.boundaries };
    // A decoder reads the payload: not a frame's length header, not its delimiter or line end.
    const from = row.from + (row.head ?? 0);
    const to = row.to - (row.tail ?? 0);
    if (decoder !== 'none' && to > from) {
      const bytes = to <= want ? range.data.subarray(from - row.from, to - row.from) : this.store.readRange(source.capture, row.direction, row.seqFrom, from, Math.min(to, from + DECODE_BYTES)).data;
      const decoded = decode(bytes, decoder, { summaryOnly: true, maxOutputBytes: SUMMARY_OUTPUT_BYTES });
      if (decoded) {
        full.decoder = decoded.decoder;
        full.summary = decoded.summary;
        if (decoded.error) full.decodeError = decoded.error;
      }
    }
    return full;
  }

  /** Drops the least recently used readings (never `current`) while all of them hold too many rows. */
  private keepWithinBudget(current: Reading): void {
    for (;;) {
      let rows = 0;
      let oldest: { cap: ConnectionCapture; key: string; reading: Reading } | null = null;
      for (const [cap, m] of this.byCapture)
        for (const [key, r] of m) {
          rows += r.rows.count;
          if (r !== current && (!oldest || r.lastUsed < oldest.reading.lastUsed)) oldest = { cap, key, reading: r };
        }
      if (rows <= ROWS_BUDGET || !oldest) return;
      const m = this.byCapture.get(oldest.cap)!;
      m.delete(oldest.key);
      if (m.size === 0) this.byCapture.delete(oldest.cap);
    }
  }

  private prune(): void {
    for (const cap of this.byCapture.keys()) if (cap.released) this.byCapture.delete(cap);
  }

  private evictLeastUsed(): void {
    while (this.size > MAX_READINGS) {
      let oldest: { cap: ConnectionCapture; key: string; used: number } | null = null;
      for (const [cap, m] of this.byCapture) for (const [key, r] of m) if (!oldest || r.lastUsed < oldest.used) oldest = { cap, key, used: r.lastUsed };
      if (!oldest) return;
      const m = this.byCapture.get(oldest.cap)!;
      m.delete(oldest.key);
      if (m.size === 0) this.byCapture.delete(oldest.cap);
    }
  }
}

/** Whether [from, to) overlaps any of the sorted ranges [starts[i], ends[i]). */
function overlaps(starts: Float64Array, ends: Float64Array, from: number, to: number): boolean {
  // The last range starting before `to`, and the ones before it that may reach into [from, to).
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! < to) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo - 1; i >= 0; i--) {
    if (ends[i]! > from) return true;
    // Matches are at most a few KiB long: stop once one starts far before this row.
    if (starts[i]! < from - 65_536) break;
  }
  return false;
}

