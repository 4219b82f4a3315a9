import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { DecoderChoice } from '../../../../shared/decoded';
import type { ReadingError, ReadingSpec, RowPage, ViewRow } from '../../../../shared/reading';
import { readingKey } from '../../../../shared/reading';
import { useApi } from '../../api/context';

/** Rows per page asked of the engine. */
export const ROW_PAGE = 200;
/** Pages kept per view; the oldest are forgotten first. */
const PAGES_KEPT = 40;
/** New rows asked for at once when bringing the tail up to date. */
const TAIL_LIMIT = 500;
/**
 * While the engine's reading is behind and the capture keeps growing (a flood), at most one
 * catch-up step this often: each step is a slice of the reading (up to 12 ms of the engine's
 * work) and a render here, and back to back they would take the CPU the capture itself needs.
 * Once it stops growing (no new chunks for GROWING_MS), the view catches up step after step; at
 * a lighter load the reading keeps up, and every step goes at once.
 */
const FLOOD_STEP_MS = 250;
const GROWING_MS = 300;

export interface RowsState {
  total: number;
  firstRow: number;
  pending: ViewRow[];
  errors: ReadingError[];
  droppedBytes: number;
  caughtUp: boolean;
  error: string | null;
  /** Bumped on every change, for memoized children. */
  version: number;
}

const EMPTY: RowsState = { total: 0, firstRow: 0, pending: [], errors: [], droppedBytes: 0, caughtUp: false, error: null, version: 0 };

/**
 * A connection's rows in one reading, fetched by page from the engine. The last page is asked
 * again whenever the capture grows (`tick`), at most one request at a time; complete pages never
 * change, so they are kept. Row i of the list is the reading's row firstRow + i (or, filtered,
 * the i-th matching row).
 */
export function useRows(connectionId: string, spec: ReadingSpec, decoder: DecoderChoice, tick: number, filter: { searchId: string } | null) {
  const api = useApi();
  const key = `${connectionId}|${readingKey(spec)}|${decoder}|${filter?.searchId ?? ''}`;
  const pages = useRef(new Map<number, ViewRow[]>());
  const inFlight = useRef(new Set<number>());
  const keyRef = useRef(key);
  const [state, setState] = useState<RowsState>(EMPTY);
  const dirty = useRef(false);
  const busy = useRef(false);
  /** When the capture last grew (the tick changed). */
  const grewAt = useRef(0);
  /** The engine's reading had not caught up with the capture at its last answer. */
  const behind = useRef(false);
  /** A flood: the reading is behind and the capture still grows. */
  const underFlood = () => behind.current && performance.now() - grewAt.current < GROWING_MS;
  const stateRef = useRef(state);
  stateRef.current = state;

  if (keyRef.current !== key) {
    keyRef.current = key;
    pages.current = new Map();
    inFlight.current = new Set();
  }
  useEffect(() => {
    setState(EMPTY);
  }, [key]);

  /** Puts rows where they belong: by row number (or, filtered, by position from `fromIndex`). */
  const place = (rows: ViewRow[], fromIndex: number) => {
    const byPage = new Map<number, Array<{ i: number; row: ViewRow }>>();
    rows.forEach((row, k) => {
      const i = filter ? fromIndex + k : row.n;
      const p = Math.floor(i / ROW_PAGE);
      let list = byPage.get(p);
      if (!list) byPage.set(p, (list = []));
      list.push({ i, row });
    });
    for (const [p, list] of byPage) {
      const have = pages.current.get(p) ?? [];
      const firstI = list[0]!.i;
      // Rows never change once made: new rows are added after those a page holds.
      const haveEnd = have.length ? (filter ? p * ROW_PAGE + have.length : have[have.length - 1]!.n + 1) : -1;
      const next = firstI === haveEnd ? have.concat(list.map((x) => x.row)) : list.map((x) => x.row);
      // A page that would start mid-way (rows before it not loaded) is kept only when it is all there is.
      if (firstI === haveEnd || !have.length || have.length <= next.length) pages.current.set(p, next);
    }
    if (pages.current.size > PAGES_KEPT) {
      const keys = [...pages.current.keys()].sort((a, b) => a - b);
      const keep = new Set(keys.slice(-PAGES_KEPT));
      for (const k of keys) if (!keep.has(k)) pages.current.delete(k);
    }
  };

  const apply = useCallback((page: RowPage, fromIndex: number, forKey: string) => {
    if (keyRef.current !== forKey) return;
    place(page.rows, fromIndex);
    setState((s) => ({
      total: page.total,
      firstRow: page.firstRow,
      pending: page.pending,
      errors: page.errors,
      droppedBytes: page.droppedBytes,
      caughtUp: page.caughtUp,
      error: null,
      version: s.version + 1,
    }));
    // place() reads filter, which key stands for.
  }, [key]);

  const request = useCallback(
    async (fromRow: number, limit: number) => {
      const forKey = keyRef.current;
      const r = await api.getRows({
        connectionId,
        reading: spec,
        fromRow,
        limit,
        decoder,
        ...(filter ? { searchId: filter.searchId, onlyMatching: true } : {}),
      });
      if (keyRef.current !== forKey) return null;
      if (!r.ok) {
        setState((s) => ({ ...s, error: r.message, version: s.version + 1 }));
        return null;
      }
      apply(r.value, fromRow, forKey);
      return r.value;
    },
    // key stands for spec, decoder and filter.
    [api, connectionId, key, apply],
  );

  /** The first row (list index) after the newest loaded one, or -1 when none is loaded. */
  const loadedEnd = (): number => {
    let best = -1;
    for (const [p, rows] of pages.current) {
      if (!rows.length) continue;
      const end = filter ? p * ROW_PAGE + rows.length : rows[rows.length - 1]!.n + 1;
      if (end > best) best = end;
    }
    return best;
  };

  /**
   * Brings the tail up to date: the rows after the newest loaded one, again until the engine has
   * read every chunk. Far behind (a flood), it skips to the last page: rows in between are
   * fetched when scrolled to.
   */
  const refresh = useCallback(async () => {
    if (busy.current) {
      dirty.current = true;
      return;
    }
    busy.current = true;
    try {
      for (let guard = 0; guard < 1000; guard++) {
        dirty.current = false;
        const s = stateRef.current;
        const end = loadedEnd();
        const lastPageStart = Math.floor(Math.max(s.firstRow, s.total - 1, 0) / ROW_PAGE) * ROW_PAGE;
        const from = end < 0 || end < lastPageStart - ROW_PAGE ? Math.max(filter ? 0 : s.firstRow, lastPageStart) : end;
        // Each row's summary is decoded in the engine: fewer rows at once keep each answer short.
        const limit = decoder === 'none' ? TAIL_LIMIT : ROW_PAGE / 2;
        const page = await request(from, limit);
        if (!page) break;
        const more = page.rows.length === limit;
        behind.current = !page.caughtUp;
        if (page.caughtUp && !dirty.current && !more) break;
        // Let the page paint between catch-up steps; under a flood, pace them.
        await new Promise((r) => setTimeout(r, underFlood() ? FLOOD_STEP_MS : 0));
      }
    } finally {
      busy.current = false;
    }
    // key stands for filter.
  }, [request, key]);

  // Before paint: new chunks ask for their rows in the same frame the counters change.
  useLayoutEffect(() => {
    grewAt.current = performance.now();
    void refresh();
  }, [refresh, tick]);

  /** Asks for the pages holding rows [from, to] that are not loaded yet. */
  const ensure = useCallback(
    (from: number, to: number) => {
      const s = stateRef.current;
      const lastPage = Math.floor(Math.max(0, s.total - 1) / ROW_PAGE);
      // Under a flood, the newest pages are refresh()'s, at its pace: fetched here too,
      // each answer (the reading a slice further on) would make a newer page to fetch, and the
      // view would chase the reading's tail as fast as the engine answers.
      const growing = !filter && underFlood();
      for (let p = Math.floor(Math.max(0, from) / ROW_PAGE); p <= Math.floor(Math.max(0, to) / ROW_PAGE); p++) {
        if (inFlight.current.has(p)) continue;
        if (growing && p >= lastPage - 1) continue;
        const have = pages.current.get(p);
        // The last page grows as rows come: refresh() keeps it up to date once it is loaded.
        if (have && p === lastPage && !filter) continue;
        const start = filter ? p * ROW_PAGE : Math.max(s.firstRow, p * ROW_PAGE);
        const expected = Math.max(0, Math.min(s.total, (p + 1) * ROW_PAGE) - start);
        if (have && have.length >= expected) continue;
        inFlight.current.add(p);
        void request(start, ROW_PAGE - (start - p * ROW_PAGE)).finally(() => inFlight.current.delete(p));
      }
    },
    [request, filter],
  );

  const filtered = filter !== null;
  /** Row i of the list (a row number, or a position among matching rows), if loaded. */
  const rowAt = useCallback(
    (i: number): ViewRow | undefined => {
      const p = Math.floor(i / ROW_PAGE);
      const page = pages.current.get(p);
      if (!page || page.length === 0) return undefined;
      if (filtered) return page[i - p * ROW_PAGE];
      const row = page[i - page[0]!.n];
      return row && row.n === i ? row : undefined;
    },
    // A new version means new pages: callers re-render with a new rowAt.
    [filtered, state.version],
  );

  return { state, rowAt, ensure, refresh };
}
