/**
 * Reading what was captured: views' rows, stream ranges, decoding, checksums and search. All of
 * it reads the capture and changes nothing, so any number of windows can look at once.
 */
import type { CommandArgs, CommandResults } from '../../shared/contract';
import { fail, ok, type Result } from '../../shared/result';
import type { SearchMatch, SearchProgress } from '../../shared/search';
import { ChecksumAccumulator } from './checksums';
import { decode } from './decoders';
import type { EngineCore } from './engine-core';
import type { ConnectionEntry } from './entries';
import { Readings, type ReadingSource } from './readings';
import { compileQuery, runSearch } from './search';

/** Searches kept (their matches), oldest forgotten first. */
const SEARCHES_KEPT = 8;
/** A checksum reads the range in pieces of this size, yielding between them. */
const CHECKSUM_PIECE = 4 * 1024 * 1024;

interface SearchRecord {
  id: string;
  abort: AbortController;
  progress: SearchProgress;
  matches: SearchMatch[];
  /** Matches per connection and direction, as sorted start and end offsets (for filtering rows). */
  ranges: Map<string, { in: Float64Array; inEnd: Float64Array; out: Float64Array; outEnd: Float64Array }>;
}

export class Inspection {
  readonly readings: Readings;
  private readonly searches = new Map<string, SearchRecord>();
  private nextSearchId = 1;

  constructor(private readonly core: EngineCore) {
    this.readings = new Readings(core.capture);
  }

  private entry(connectionId: string): Result<ConnectionEntry> {
    const entry = this.core.connections.get(connectionId);
    return entry ? ok(entry) : fail({ code: 'NOT_FOUND', message: `No connection has id ${connectionId}.` });
  }

  private source(entry: ConnectionEntry): ReadingSource {
    return { capture: entry.capture, datagrams: entry.info.transport === 'udp', ...(entry.udp ? { peers: entry.udp.peers } : {}) };
  }

  getRows(a: CommandArgs<'getRows'>): Result<CommandResults['getRows']> {
    const e = this.entry(a.connectionId);
    if (!e.ok) return e;
    let filter;
    if (a.onlyMatching) {
      const search = a.searchId ? this.searches.get(a.searchId) : undefined;
      if (!search) return fail({ code: 'NOT_FOUND', message: 'That search is no longer kept: search again to show only matching rows.' });
      filter = search.ranges.get(a.connectionId) ?? { in: new Float64Array(0), inEnd: new Float64Array(0), out: new Float64Array(0), outEnd: new Float64Array(0) };
    }
    return ok(this.readings.rows(this.source(e.value), { spec: a.reading, fromRow: a.fromRow, limit: a.limit, decoder: a.decoder, filter }));
  }

  readStream(a: CommandArgs<'readStream'>): Result<CommandResults['readStream']> {
    const e = this.entry(a.connectionId);
    if (!e.ok) return e;
    const range = this.core.capture.readRange(e.value.capture, a.direction, a.fromSeq, a.from, a.to);
    if (range.data.byteLength === 0 && a.to > a.from) return fail(this.notKept(e.value, a.direction, a.from));
    return ok({ start: range.start, data: range.data, boundaries: range.boundaries });
  }

  decodeRange(a: CommandArgs<'decodeRange'>): Result<CommandResults['decodeRange']> {
    const e = this.entry(a.connectionId);
    if (!e.ok) return e;
    const range = this.core.capture.readRange(e.value.capture, a.direction, a.fromSeq, a.from, a.to);
    if (range.data.byteLength === 0) return fail(this.notKept(e.value, a.direction, a.from));
    return ok({ decoded: decode(range.data, a.decoder), bytes: range.data.byteLength });
  }

  async checksumRange(a: CommandArgs<'checksumRange'>): Promise<Result<CommandResults['checksumRange']>> {
    const e = this.entry(a.connectionId);
    if (!e.ok) return e;
    const acc = new ChecksumAccumulator();
    let at = a.from;
    let seq = a.fromSeq;
    let bytes = 0;
    while (at < a.to) {
      const range = this.core.capture.readRange(e.value.capture, a.direction, seq, at, Math.min(a.to, at + CHECKSUM_PIECE));
      if (range.data.byteLength === 0 || range.start !== at) {
        return fail({ ...this.notKept(e.value, a.direction, range.data.byteLength === 0 ? at : range.start), message: `Bytes from stream offset ${at.toLocaleString('en-US')} are no longer kept: a checksum needs every byte of the selection.` });
      }
      acc.update(range.data);
      bytes += range.data.byteLength;
      at += range.data.byteLength;
      // The next piece starts in the chunk this one ended in.
      seq = range.lastSeq;
      // Large selections: let the sockets run between pieces.
      if (at < a.to) await new Promise<void>((r) => setImmediate(r));
    }
    return ok({ checksums: acc.result(), bytes });
  }

  private notKept(entry: ConnectionEntry, direction: 'in' | 'out', at: number) {
    const total = direction === 'in' ? entry.info.bytesIn : entry.info.bytesOut;
    if (at >= total) return { code: 'NOT_FOUND', message: `The ${direction === 'in' ? 'received' : 'sent'} stream has ${total.toLocaleString('en-US')} bytes; offset ${at.toLocaleString('en-US')} is past its end.` };
    return { code: 'EVICTED', message: `Stream offset ${at.toLocaleString('en-US')} is no longer kept: the capture budget was reached and older bytes were dropped.` };
  }

  startSearch(a: CommandArgs<'startSearch'>): Result<CommandResults['startSearch']> {
    const compiled = compileQuery(a.query);
    if (!compiled.ok) return fail({ code: 'INVALID_INPUT', message: compiled.message, field: 'query.pattern' });
    const ids = a.connectionIds ?? [...this.core.connections.keys()];
    const captures = ids.flatMap((id) => {
      const entry = this.core.connections.get(id);
      return entry ? [entry.capture] : [];
    });
    const id = `S${this.nextSearchId++}`;
    const record: SearchRecord = {
      id,
      abort: new AbortController(),
      progress: { searchedBytes: 0, totalBytes: 0, matches: 0, done: false },
      matches: [],
      ranges: new Map(),
    };
    this.searches.set(id, record);
    while (this.searches.size > SEARCHES_KEPT) {
      const oldest = this.searches.values().next().value!;
      oldest.abort.abort();
      this.searches.delete(oldest.id);
    }
    const report = (progress: SearchProgress) => {
      record.progress = progress;
      this.core.emit({ type: 'search-progress', searchId: id, progress });
    };
    // The last report ("done") goes out once the matches can be asked for.
    const onProgress = (progress: SearchProgress) => {
      if (!progress.done) report(progress);
    };
    void runSearch(this.core.capture, captures, compiled.matcher, { signal: record.abort.signal, onProgress })
      .then(({ matches, progress }) => {
        record.matches = matches;
        record.ranges = rangesOf(matches);
        report({ ...progress, done: true });
      })
      .catch((err: unknown) => {
        report({ ...record.progress, done: true, error: `The search stopped: ${err instanceof Error ? err.message : String(err)}` });
      });
    return ok({ searchId: id });
  }

  cancelSearch(a: CommandArgs<'cancelSearch'>): Result<CommandResults['cancelSearch']> {
    const record = this.searches.get(a.searchId);
    if (!record) return fail({ code: 'NOT_FOUND', message: 'That search is no longer kept.' });
    record.abort.abort();
    return ok(record.progress);
  }

  getSearchMatches(a: CommandArgs<'getSearchMatches'>): Result<CommandResults['getSearchMatches']> {
    const record = this.searches.get(a.searchId);
    if (!record) return fail({ code: 'NOT_FOUND', message: 'That search is no longer kept: search again.' });
    const list = a.connectionId ? record.matches.filter((m) => m.connectionId === a.connectionId) : record.matches;
    return ok({ matches: list.slice(a.fromIndex, a.fromIndex + a.limit), total: list.length, progress: record.progress });
  }

  /** Stops every running search (shutdown). */
  dispose(): void {
    for (const s of this.searches.values()) s.abort.abort();
    this.searches.clear();
  }
}

function rangesOf(matches: SearchMatch[]): SearchRecord['ranges'] {
  const by = new Map<string, { in: number[][]; out: number[][] }>();
  for (const m of matches) {
    let e = by.get(m.connectionId);
    if (!e) by.set(m.connectionId, (e = { in: [], out: [] }));
    e[m.direction].push([m.offset, m.offset + m.length]);
  }
  const out: SearchRecord['ranges'] = new Map();
  for (const [id, e] of by) {
    const sorted = (list: number[][]) => list.sort((x, y) => x[0]! - y[0]!);
    const i = sorted(e.in);
    const o = sorted(e.out);
    out.set(id, {
      in: Float64Array.from(i, (r) => r[0]!),
      inEnd: Float64Array.from(i, (r) => r[1]!),
      out: Float64Array.from(o, (r) => r[0]!),
      outEnd: Float64Array.from(o, (r) => r[1]!),
    });
  }
  return out;
}
