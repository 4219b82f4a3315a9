/**
 * Searching the whole capture: every kept byte, the spill files too, not only rows on screen.
 *
 * Each connection is searched direction by direction as streams: bytes of one direction that
 * are contiguous in stream offsets are one haystack, so a match that spans chunk boundaries is
 * found; a direction change is not a boundary (the other direction has its own stream), an
 * eviction gap is one (nothing is found across bytes that are no longer kept).
 *
 * Speed: payloads are read from the segment files in large asynchronous reads (chunks that lie
 * next to each other in a file are one read) into one of two reusable buffers, and the next
 * read runs while the current buffer is searched, so disk copies and searching overlap. Byte
 * needles (hex, case-sensitive text) are found with Buffer.indexOf straight in that buffer,
 * carrying the last (needle length - 1) bytes of each direction into the next piece of it. Case
 * insensitive text and regular expressions run on Latin-1 strings of the bytes (one character
 * per byte), in windows that overlap by the longest match they guarantee.
 *
 * The engine's one thread also serves the sockets: work is done batch by batch, each a few
 * milliseconds, yielding to the event loop (setImmediate) at least every sliceMs.
 */
import { regexHazard } from '../../shared/regex-safety';
import type { CaptureStore, ConnectionCapture } from './capture';

// The query and its results are the contract's (shared/search.ts), read the way the comment there says:
// text is the pattern's UTF-8 bytes (case-insensitive: ASCII letters in any case, other letters in
// their upper and lower case forms); hex is bytes as hex digits ("de ad be ef", "deadbeef",
// "0xde 0xad"); regex is a JavaScript regular expression over the bytes read as Latin-1 (one
// character per byte, so \xNN matches byte NN), in which a non-ASCII character outside a
// character class stands for its UTF-8 bytes.
import type { SearchMatch, SearchProgress, SearchQuery } from '../../shared/search';
export type { SearchMatch, SearchProgress, SearchQuery };

/**
 * The longest regular expression match that is guaranteed to be found whole wherever it lies:
 * regexes run on windows of a direction's stream that overlap by this much, so a longer match
 * may be found cut short at a window's end. Lookbehinds, \b and ^ see no further back than
 * the window.
 */
export const REGEX_SPAN_BYTES = 4096;

/** Patterns longer than this are refused (a needle longer than any sensible search). */
export const MAX_PATTERN_CHARS = 64 * 1024;

/** A compiled query: what to look for, and where. Made by compileQuery. */
export type Matcher = {
  direction: 'in' | 'out' | 'both';
  /** Time range of the chunk holding a match's first byte; -Infinity and Infinity when open. */
  fromTime: number;
  toTime: number;
} & (
  | {
      /** Exact bytes, found with Buffer.indexOf; matches do not overlap. */
      kind: 'bytes';
      needle: Buffer;
    }
  | {
      /** A global regular expression run on Latin-1 strings of the bytes. */
      kind: 'regex';
      regex: RegExp;
      /** The longest match guaranteed across windows (REGEX_SPAN_BYTES, or a literal's exact length). */
      span: number;
    }
);

/** Options of runSearch. */
export interface SearchOptions {
  /** Aborting stops the search within one batch; it resolves with what was found and cancelled: true. */
  signal?: AbortSignal;
  /** Called at most every progressEveryMs while searching, and once at the end with done: true. */
  onProgress?: (p: SearchProgress) => void;
  /** Default 100. */
  progressEveryMs?: number;
  /** The longest stretch of work between two yields to the event loop; default 5. */
  sliceMs?: number;
  /** Matches listed at most (more are counted, and progress says truncated); default 100,000. */
  maxMatches?: number;
}

const MiB = 1024 * 1024;
const OUT = 1;
/** Bytes read at a time for byte needles (two such buffers: one read while the other is searched). */
const BYTES_BATCH = 4 * MiB;
/** Smaller for regexes, which cost more per byte: each batch stays a few milliseconds. */
const REGEX_BATCH = 1 * MiB;
/** Pieces of a direction smaller than this are gathered and searched together (byte needles). */
const SMALL_PIECE_BYTES = 16 * 1024;
/** How much of them is gathered at most. */
const STAGE_BYTES = 256 * 1024;
/** A chunk of a direction not searched is read along (and ignored) unless it is at least this large. */
const SKIP_UNWANTED_BYTES = 64 * 1024;
/**
 * Bytes of a direction a regex runs on at once. Above about 1,000,000 bytes Node makes the
 * Latin-1 string external (outside the JS heap), which is several times cheaper per byte.
 */
const REGEX_WINDOW = 1088 * 1024;
/** File reads per batch at most: a connection whose chunks are scattered among others' costs many. */
const READS_PER_BATCH = 256;

/** What compileQuery gives: a matcher, or why the query cannot be searched. */
export type CompiledQuery = { ok: true; matcher: Matcher } | { ok: false; message: string };

/**
 * Validates and compiles a query. Errors are sentences for the person who typed it: an empty
 * pattern, an odd number of hex digits, a character that is not a hex digit (with its
 * position), an invalid regex (with the engine's reason), a regex that can backtrack
 * catastrophically (shared/regex-safety), a time range that ends before it starts.
 */
export function compileQuery(q: SearchQuery): CompiledQuery {
  const fromTime = typeof q.fromTime === 'number' && Number.isFinite(q.fromTime) ? q.fromTime : -Infinity;
  const toTime = typeof q.toTime === 'number' && Number.isFinite(q.toTime) ? q.toTime : Infinity;
  if (fromTime > toTime) return { ok: false, message: 'The time range ends before it starts: swap its two ends.' };
  if (q.direction !== 'in' && q.direction !== 'out' && q.direction !== 'both') {
    return { ok: false, message: 'Search direction must be in, out or both.' };
  }
  if (q.pattern.length > MAX_PATTERN_CHARS) {
    return { ok: false, message: `The search is too long (${q.pattern.length} characters; ${MAX_PATTERN_CHARS} at most).` };
  }
  const where = { direction: q.direction, fromTime, toTime };
  switch (q.kind) {
    case 'hex': {
      const parsed = parseHex(q.pattern);
      return typeof parsed === 'string' ? { ok: false, message: parsed } : { ok: true, matcher: { ...where, kind: 'bytes', needle: parsed } };
    }
    case 'text': {
      if (q.pattern === '') return { ok: false, message: 'Type the text to search for.' };
      if (q.caseSensitive) return { ok: true, matcher: { ...where, kind: 'bytes', needle: Buffer.from(q.pattern, 'utf8') } };
      return { ok: true, matcher: { ...where, kind: 'regex', ...caseInsensitiveText(q.pattern) } };
    }
    case 'regex': {
      if (q.pattern === '') return { ok: false, message: 'Type a regular expression to search for.' };
      const source = utf8Literals(q.pattern);
      let regex: RegExp;
      try {
        regex = new RegExp(source, q.caseSensitive ? 'g' : 'gi');
      } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        // V8 says "Invalid regular expression: /src/flags: Reason"; the reason is what helps.
        const reason = text.slice(text.lastIndexOf(': ') + 2) || text;
        return { ok: false, message: `This regular expression is not valid: ${reason}.` };
      }
      const hazard = regexHazard(source);
      if (hazard) return { ok: false, message: `This regular expression could freeze the search: ${hazard}.` };
      return { ok: true, matcher: { ...where, kind: 'regex', regex, span: REGEX_SPAN_BYTES } };
    }
    default:
      return { ok: false, message: 'Search kind must be text, hex or regex.' };
  }
}

const HEX_SEPARATORS = new Set([' ', '\t', '\n', '\r', ',', ':', '-']);

/** The bytes of a hex pattern, or why it is not one. */
function parseHex(pattern: string): Buffer | string {
  let digits = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (HEX_SEPARATORS.has(c)) continue;
    // 0x before a byte, as in "0xde 0xad", is a prefix, not a digit.
    if (c === '0' && (pattern[i + 1] === 'x' || pattern[i + 1] === 'X') && (i === 0 || HEX_SEPARATORS.has(pattern[i - 1]!))) {
      i += 1;
      continue;
    }
    if (!/[0-9a-fA-F]/.test(c)) {
      const shown = c === '"' ? "'\"'" : `"${c}"`;
      return `${shown} (character ${i + 1}) is not a hex digit: type bytes as pairs of 0-9 and a-f, e.g. de ad be ef.`;
    }
    digits += c;
  }
  if (digits.length === 0) return 'Type the bytes to search for as hex, e.g. de ad be ef.';
  if (digits.length % 2 === 1) {
    return `The hex has an odd number of digits (${digits.length}): each byte takes two, e.g. 0a rather than a.`;
  }
  return Buffer.from(digits, 'hex');
}

/** A regex source matching exactly these Latin-1 characters (bytes). */
function escapeBytes(latin1: string): string {
  let out = '';
  for (let i = 0; i < latin1.length; i++) {
    const code = latin1.charCodeAt(i);
    const c = latin1[i]!;
    out += /[0-9A-Za-z]/.test(c) ? c : `\\x${code.toString(16).padStart(2, '0')}`;
  }
  return out;
}

function utf8Latin1(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

/**
 * Case-insensitive text as a regex over bytes. ASCII-only text uses the i flag (V8 then scans
 * for the literal almost as fast as indexOf, and under the i flag without u no non-ASCII
 * character folds to an ASCII one). Other text spells out each character's case forms as UTF-8
 * byte sequences, without the i flag, which would also fold unrelated Latin-1 bytes.
 */
function caseInsensitiveText(pattern: string): { regex: RegExp; span: number } {
  const bytes = Buffer.from(pattern, 'utf8');
  if (bytes.length === pattern.length) return { regex: new RegExp(escapeBytes(pattern), 'gi'), span: bytes.length };
  let source = '';
  let span = 0;
  for (const c of pattern) {
    const forms = [...new Set([c, c.toLowerCase(), c.toUpperCase(), c.toUpperCase().toLowerCase()])].map(utf8Latin1);
    span += Math.max(...forms.map((f) => f.length));
    source += forms.length === 1 ? escapeBytes(forms[0]!) : `(?:${forms.map(escapeBytes).join('|')})`;
  }
  return { regex: new RegExp(source, 'g'), span };
}

/**
 * Rewrites a user's regex so it runs on bytes: a non-ASCII character outside a character class
 * becomes a group of its UTF-8 bytes (so "é+" finds repeated é in UTF-8 text). Inside a class it
 * stays a single character, which matches that Latin-1 byte.
 */
function utf8Literals(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; ) {
    const cp = pattern.codePointAt(i)!;
    const c = String.fromCodePoint(cp);
    i += c.length;
    if (c === '\\') {
      const next = pattern.codePointAt(i);
      const escaped = next === undefined ? '' : String.fromCodePoint(next);
      out += c + escaped;
      i += escaped.length;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') inClass = true;
    out += cp < 0x80 ? c : `(?:${escapeBytes(utf8Latin1(c))})`;
  }
  return out;
}

/** Where matches go: counted always, listed up to the limit. */
interface Sink {
  connectionId: string;
  kept: number;
  count: number;
  max: number;
  fromTime: number;
  toTime: number;
}

/**
 * One direction's stream of one connection, fed piece by piece in stream order. It keeps which
 * chunk (seq, time) holds each byte it still holds, to name a match's chunk.
 */
abstract class Lane {
  /** This connection's matches in this direction, in stream order. */
  matches: SearchMatch[] = [];
  /** Stream offset after the last byte fed; NaN before the first. */
  protected end = NaN;
  private mapStart: number[] = [];
  private mapSeq: number[] = [];
  private mapTime: number[] = [];

  constructor(
    protected readonly direction: 'in' | 'out',
    private readonly sink: Sink,
  ) {}

  /** Starts on the next connection's stream. */
  restart(): void {
    this.matches = [];
    this.end = NaN;
    this.forget();
  }

  /** A piece starting at stream offset start follows; a gap before it ends the stream so far. */
  begin(start: number): void {
    if (start === this.end) return;
    this.finish();
    this.reset(start);
    this.forget();
    this.end = start;
  }

  private forget(): void {
    this.mapStart.length = 0;
    this.mapSeq.length = 0;
    this.mapTime.length = 0;
  }

  addChunk(start: number, seq: number, time: number): void {
    this.mapStart.push(start);
    this.mapSeq.push(seq);
    this.mapTime.push(time);
  }

  /** Searches buf[from, to), which continues the stream at this.end. */
  abstract feed(buf: Buffer, from: number, to: number): void;

  /** The stream ends (or breaks) here: matches held back for more bytes are settled. */
  abstract finish(): void;

  protected abstract reset(start: number): void;

  protected emit(offset: number, length: number): void {
    const { mapStart } = this;
    // The last chunk starting at or before offset holds it.
    let lo = 0;
    let hi = mapStart.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (mapStart[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const time = this.mapTime[lo] ?? NaN;
    const sink = this.sink;
    if (!(time >= sink.fromTime && time <= sink.toTime)) return;
    sink.count += 1;
    if (sink.kept >= sink.max) return;
    sink.kept += 1;
    this.matches.push({ connectionId: sink.connectionId, direction: this.direction, offset, length, seq: this.mapSeq[lo] ?? -1, time });
  }

  /** Forgets chunks wholly before stream offset `from` (bytes no longer held). */
  protected trim(from: number): void {
    const { mapStart } = this;
    let k = 0;
    while (k + 1 < mapStart.length && mapStart[k + 1]! <= from) k += 1;
    if (k > 0) {
      mapStart.splice(0, k);
      this.mapSeq.splice(0, k);
      this.mapTime.splice(0, k);
    }
  }
}

/**
 * Exact bytes with Buffer.indexOf. A stage buffer holds the stream's last (needle length - 1)
 * bytes, where a match across the next boundary may start, and gathers small pieces (tiny
 * chunks, directions taking turns), so they are searched in bulk rather than one call each;
 * large pieces are searched where they lie, after their first bytes joined the stage.
 */
class BytesLane extends Lane {
  private readonly needle: Buffer;
  /** Stream bytes [end - held, end): the carry, then small pieces not searched yet. */
  private readonly stage: Buffer;
  private held = 0;
  /** Matches do not overlap: none starts before the end of the last one. */
  private lastEnd = -Infinity;

  constructor(direction: 'in' | 'out', sink: Sink, needle: Buffer) {
    super(direction, sink);
    this.needle = needle;
    this.stage = Buffer.allocUnsafe(STAGE_BYTES + 2 * needle.length);
  }

  override restart(): void {
    super.restart();
    this.reset();
  }

  protected reset(): void {
    this.held = 0;
    this.lastEnd = -Infinity;
  }

  finish(): void {
    this.searchStage(Infinity);
    this.held = 0;
  }

  feed(buf: Buffer, from: number, to: number): void {
    const { needle, stage } = this;
    const n = needle.length;
    const len = to - from;
    if (len < SMALL_PIECE_BYTES) {
      if (this.held + len > STAGE_BYTES) this.searchStage(Infinity);
      buf.copy(stage, this.held, from, to);
      this.held += len;
      this.end += len;
      return;
    }
    // Matches that start in the stage and end in this piece: the stage plus its first n - 1 bytes.
    const before = this.held;
    this.held += buf.copy(stage, before, from, from + Math.min(n - 1, len));
    this.searchStage(before);
    const start = this.end;
    const hay = buf.subarray(from, to);
    for (let p = hay.indexOf(needle, Math.max(0, this.lastEnd - start)); p >= 0; p = hay.indexOf(needle, p + n)) {
      this.emit(start + p, n);
      this.lastEnd = start + p + n;
    }
    this.end = start + len;
    // The new carry: the stream's last n - 1 bytes (the stage holds them when the piece is shorter).
    const keep = Math.min(n - 1, before + len);
    if (len >= keep) buf.copy(stage, 0, to - keep, to);
    else stage.copyWithin(0, this.held - keep, this.held);
    this.held = keep;
    this.trim(this.end - keep);
  }

  /**
   * Finds the matches lying wholly in the stage that start before `startsBefore`, then keeps
   * only its last n - 1 bytes (no match fits in them yet).
   */
  private searchStage(startsBefore: number): void {
    const { needle, stage } = this;
    const n = needle.length;
    const held = this.held;
    if (held < n && startsBefore === Infinity) return;
    const stageStart = this.end - (startsBefore === Infinity ? held : startsBefore);
    const hay = stage.subarray(0, held);
    for (let p = hay.indexOf(needle, Math.max(0, this.lastEnd - stageStart)); p >= 0 && p < startsBefore; p = hay.indexOf(needle, p + n)) {
      this.emit(stageStart + p, n);
      this.lastEnd = stageStart + p + n;
    }
    if (startsBefore !== Infinity) return;
    const keep = Math.min(n - 1, held);
    stage.copyWithin(0, held - keep, held);
    this.held = keep;
    this.trim(this.end - keep);
  }
}

/**
 * A regex over Latin-1 strings, in windows overlapping by the span it guarantees. Bytes gather
 * in a window buffer first: one string per window of about 1 MiB, which Node makes an external
 * string (no copy into the JS heap, no garbage collection of it), is several times cheaper than
 * a string per chunk.
 */
class RegexLane extends Lane {
  /** Made on the first bytes, and kept from one connection to the next. */
  private window: Buffer | null = null;
  /** Bytes in the window, and the stream offset of its first. */
  private held = 0;
  private windowStart = 0;

  constructor(
    direction: 'in' | 'out',
    sink: Sink,
    private readonly regex: RegExp,
    private readonly span: number,
  ) {
    super(direction, sink);
  }

  override restart(): void {
    super.restart();
    this.reset(0);
  }

  protected reset(start: number): void {
    this.held = 0;
    this.windowStart = start;
  }

  feed(buf: Buffer, from: number, to: number): void {
    const window = (this.window ??= Buffer.allocUnsafe(Math.max(REGEX_WINDOW, 4 * this.span)));
    while (from < to) {
      const n = buf.copy(window, this.held, from, Math.min(to, from + window.length - this.held));
      this.held += n;
      this.end += n;
      from += n;
      if (this.held === window.length) this.scan(false);
    }
  }

  finish(): void {
    if (this.held > 0) this.scan(true);
  }

  /**
   * Runs the regex over the window. Unless the stream ends here, a match is only taken when a
   * whole span of bytes follows its start (it could grow with more bytes); from there on the
   * bytes are held back for the next window.
   */
  private scan(final: boolean): void {
    const window = this.window!;
    const text = window.toString('latin1', 0, this.held);
    const re = this.regex;
    const limit = final ? Infinity : text.length - this.span;
    let lastEnd = 0;
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const p = m.index;
      if (p > limit) break;
      const len = m[0].length;
      if (len === 0) {
        // An empty match finds nothing to show; move past it.
        re.lastIndex = p + 1;
        continue;
      }
      this.emit(this.windowStart + p, len);
      lastEnd = p + len;
    }
    re.lastIndex = 0;
    const keepFrom = final ? this.held : Math.min(this.held, Math.max(0, lastEnd, text.length - this.span + 1));
    window.copyWithin(0, keepFrom, this.held);
    this.held -= keepFrom;
    this.windowStart += keepFrom;
    this.trim(this.windowStart);
  }
}

/** The part of a connection to search: seqs [from, to), and how many wanted bytes they hold. */
interface Span {
  capture: ConnectionCapture;
  from: number;
  to: number;
  bytes: number;
}

function wantedMask(direction: Matcher['direction']): number {
  return direction === 'in' ? 1 : direction === 'out' ? 2 : 3;
}

/**
 * The seqs to search: all kept ones, or with a time range, from the first chunk at or after
 * its start to the last one at or before its end, plus enough bytes of each direction after
 * that for a match starting inside the range to end outside it.
 */
function spanOf(capture: ConnectionCapture, matcher: Matcher, mask: number): Span | null {
  const { head, tail, times, sizes, flags } = capture;
  let lo = head;
  let hi = tail - 1;
  if (matcher.fromTime > -Infinity) while (lo <= hi && !(times[lo]! >= matcher.fromTime)) lo += 1;
  if (matcher.toTime < Infinity) while (hi >= lo && !(times[hi]! <= matcher.toTime)) hi -= 1;
  if (lo > hi) return null;
  let end = hi + 1;
  if (end < tail) {
    const need = (matcher.kind === 'bytes' ? matcher.needle.length : matcher.span) - 1;
    const more = [need, need];
    if (!(mask & 1)) more[0] = 0;
    if (!(mask & 2)) more[1] = 0;
    while (end < tail && more[0]! + more[1]! > 0) {
      const d = flags[end]! & OUT;
      more[d] = Math.max(0, more[d]! - sizes[end]!);
      end += 1;
    }
  }
  let bytes = 0;
  for (let i = lo; i < end; i++) if (mask & (1 << (flags[i]! & OUT))) bytes += sizes[i]!;
  const seqOf = (i: number): number => capture.baseSeq + (i - head);
  return { capture, from: seqOf(lo), to: seqOf(end), bytes };
}

/** Appends two lists sorted by stream offset (one per direction) to out, merged by seq and offset. */
function mergeInto(out: SearchMatch[], a: SearchMatch[], b: SearchMatch[]): void {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x.seq < y.seq || (x.seq === y.seq && x.offset <= y.offset)) {
      out.push(x);
      i += 1;
    } else {
      out.push(y);
      j += 1;
    }
  }
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Searches the given connections' kept chunks (as they are when it starts; chunks recorded
 * later are not searched, chunks evicted meanwhile are skipped) for a compiled query. Matches
 * come sorted per connection by seq and offset, connections in the order given; the first
 * maxMatches found are listed, all are counted. Never throws: an unexpected failure ends the
 * search with progress.error.
 */
export async function runSearch(
  store: CaptureStore,
  captures: ConnectionCapture[],
  matcher: Matcher,
  opts: SearchOptions = {},
): Promise<{ matches: SearchMatch[]; progress: SearchProgress }> {
  const { signal, onProgress } = opts;
  const sliceMs = opts.sliceMs ?? 5;
  const progressEveryMs = opts.progressEveryMs ?? 100;
  const max = Math.max(0, opts.maxMatches ?? 100_000);
  const mask = wantedMask(matcher.direction);
  const spans = captures.flatMap((c) => {
    const s = c.released || c.keptCount === 0 ? null : spanOf(c, matcher, mask);
    return s ? [s] : [];
  });
  const totalBytes = spans.reduce((n, s) => n + s.bytes, 0);
  const matches: SearchMatch[] = [];
  const sink: Sink = { connectionId: '', kept: 0, count: 0, max, fromTime: matcher.fromTime, toTime: matcher.toTime };
  let searched = 0;
  let cancelled = false;
  let error: string | undefined;
  const batch = matcher.kind === 'bytes' ? BYTES_BATCH : REGEX_BATCH;
  const buffers = [Buffer.allocUnsafe(batch), Buffer.allocUnsafe(batch)] as const;
  let lastYield = performance.now();
  let lastProgress = lastYield;

  const progress = (done: boolean): SearchProgress => {
    // A search that ran to its end has searched everything (chunks evicted meanwhile included).
    const complete = done && !cancelled && !error;
    const p: SearchProgress = { searchedBytes: complete ? totalBytes : Math.min(searched, totalBytes), totalBytes, matches: sink.count, done };
    if (cancelled) p.cancelled = true;
    if (sink.count > sink.kept) p.truncated = true;
    if (error) p.error = error;
    return p;
  };

  const lanes: [Lane, Lane] =
    matcher.kind === 'bytes'
      ? [new BytesLane('in', sink, matcher.needle), new BytesLane('out', sink, matcher.needle)]
      : [new RegexLane('in', sink, matcher.regex, matcher.span), new RegexLane('out', sink, matcher.regex, matcher.span)];
  let which = 0;

  const searchSpan = async (span: Span): Promise<void> => {
    const { capture } = span;

    // Starts reading the next batch from (seq, skip) on: chunks of unwanted directions are
    // passed over, or read along when small (cheaper than a read of their own).
    const issue = (seq: number, skip: number) => {
      if (seq < capture.firstKeptSeq) {
        seq = capture.firstKeptSeq;
        skip = 0;
      }
      const endIdx = Math.min(capture.tail, capture.head + (span.to - capture.baseSeq));
      let i = capture.indexOf(seq);
      if (i < 0 || capture.released) return null;
      while (i < endIdx && !(mask & (1 << (capture.flags[i]! & OUT)))) {
        i += 1;
        skip = 0;
      }
      if (i >= endIdx) return null;
      const buf = buffers[which]!;
      which ^= 1;
      let j = i;
      let bytes = -skip;
      while (j < endIdx && bytes < buf.length) {
        if (!(mask & (1 << (capture.flags[j]! & OUT))) && capture.sizes[j]! >= SKIP_UNWANTED_BYTES) break;
        bytes += capture.sizes[j]!;
        j += 1;
      }
      const fromSeq = capture.baseSeq + (i - capture.head);
      const toSeq = capture.baseSeq + (j - capture.head);
      return { buf, fromSeq, skip, read: store.readPayloads(capture, fromSeq, toSeq, skip, buf, READS_PER_BATCH) };
    };

    // Feeds the bytes of one batch to the lanes, as pieces of contiguous stream.
    const search = (buf: Buffer, bytes: number, fromSeq: number, skip: number): void => {
      const { sizes, flags, starts, times } = capture;
      let idx = capture.indexOf(fromSeq);
      let seq = fromSeq;
      let pos = 0;
      let first = skip;
      let open = -1;
      let pieceFrom = 0;
      let pieceEnd = 0;
      while (pos < bytes && idx >= 0 && idx < capture.tail) {
        const len = Math.min(sizes[idx]! - first, bytes - pos);
        const start = starts[idx]! + first;
        const d = flags[idx]! & OUT;
        if (len > 0 && mask & (1 << d)) {
          if (open !== d || start !== pieceEnd) {
            if (open >= 0) lanes[open]!.feed(buf, pieceFrom, pos);
            open = d;
            pieceFrom = pos;
            lanes[d]!.begin(start);
          }
          lanes[d]!.addChunk(start, seq, times[idx]!);
          pieceEnd = start + len;
          searched += len;
        } else if (len > 0 && open >= 0) {
          lanes[open]!.feed(buf, pieceFrom, pos);
          open = -1;
        }
        pos += len;
        idx += 1;
        seq += 1;
        first = 0;
      }
      if (open >= 0) lanes[open]!.feed(buf, pieceFrom, pos);
    };

    let pending = issue(span.from, 0);
    try {
      while (pending) {
        const current = pending;
        pending = null;
        const r = await current.read;
        let next: { seq: number; skip: number } | null;
        const kept = !capture.released && capture.firstKeptSeq <= current.fromSeq;
        if (!kept) next = capture.released ? null : { seq: capture.firstKeptSeq, skip: 0 };
        else if (r.unreadable) next = { seq: r.seq + 1, skip: 0 };
        else if (r.bytes === 0 && r.seq === current.fromSeq && r.skip === current.skip) next = { seq: r.seq + 1, skip: 0 };
        else next = { seq: r.seq, skip: r.skip };
        if (kept && r.unreadable && store.directory === undefined) {
          // The store was closed (the engine is shutting down): nothing more can be read.
          error = `The capture can no longer be read: ${store.reason ?? 'its files were closed'}`;
          next = null;
        }
        if (signal?.aborted) cancelled = true;
        // The next read runs while this batch is searched.
        if (next && !cancelled) pending = issue(next.seq, next.skip);
        if (kept && r.bytes > 0) search(current.buf, r.bytes, current.fromSeq, current.skip);
        if (cancelled) break;
        const now = performance.now();
        if (onProgress && now - lastProgress >= progressEveryMs) {
          lastProgress = now;
          onProgress(progress(false));
        }
        if (now - lastYield >= sliceMs) {
          await yieldToLoop();
          lastYield = performance.now();
        }
      }
      if (!cancelled && !error) {
        lanes[0].finish();
        lanes[1].finish();
      }
    } finally {
      // A read still under way writes into a buffer: let it end before the buffer is reused.
      if (pending) await pending.read;
    }
  };

  for (const span of spans) {
    if (signal?.aborted) cancelled = true;
    if (cancelled || error) break;
    sink.connectionId = span.capture.connectionId;
    lanes[0].restart();
    lanes[1].restart();
    try {
      await searchSpan(span);
    } catch (err) {
      error = `The search stopped: ${err instanceof Error ? err.message : String(err)}`;
    }
    mergeInto(matches, lanes[0].matches, lanes[1].matches);
  }
  const final = progress(true);
  onProgress?.(final);
  return { matches, progress: final };
}
