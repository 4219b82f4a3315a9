import { useCallback, useEffect, useRef, useState } from 'react';
import type { DecoderChoice } from '../../../../shared/decoded';
import type { ReadingError, ReadingSpec, RowPage, ViewRow } from '../../../../shared/reading';
import { readingKey } from '../../../../shared/reading';
import { useApi } from '../../api/context';

/** Rows per page asked of the engine. */
export const ROW_PAGE = 200;
/** Pages kept per view; the ones furthest from the screen are forgotten first. */
const PAGES_KEPT = 40;

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

  const apply = useCallback((page: RowPage, pageNo: number | null, forKey: string, append: boolean) => {
    if (keyRef.current !== forKey) return;
    if (pageNo !== null) {
      const have = pages.current.get(pageNo);
      // Rows never change once made: new rows of the last page are added to what it holds.
      const first = page.rows[0];
      if (append && have && have.length && first && first.n === have[have.length - 1]!.n + 1) pages.current.set(pageNo, have.concat(page.rows));
      else if (!append || page.rows.length || !have) pages.current.set(pageNo, page.rows);
    }
    // Pages past the end (rows forgotten) and beyond what is kept are dropped.
    if (pages.current.size > PAGES_KEPT) {
      const keys = [...pages.current.keys()];
      for (const k of keys.slice(0, keys.length - PAGES_KEPT)) pages.current.delete(k);
    }
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
  }, []);

  const request = useCallback(
    async (pageNo: number, tailOnly = false) => {
      const forKey = keyRef.current;
      // The tail of the last page: only the rows after those it already holds.
      const have = pages.current.get(pageNo);
      let lastHeld = tailOnly && !filter && have && have.length ? have[have.length - 1]!.n : -1;
      // A full last page: what comes next starts the next page.
      if (lastHeld >= (pageNo + 1) * ROW_PAGE - 1) {
        pageNo += 1;
        lastHeld = -1;
      }
      const fromRow = lastHeld >= 0 ? lastHeld + 1 : pageNo * ROW_PAGE;
      const limit = Math.max(1, (pageNo + 1) * ROW_PAGE - fromRow);
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
      apply(r.value, pageNo, forKey, lastHeld >= 0);
      return r.value;
    },
    // key stands for spec, decoder and filter.
    [api, connectionId, key, apply],
  );

  /** Brings the tail up to date: the page holding the last rows, again until caught up. */
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
        const lastPage = Math.floor(Math.max(s.firstRow, s.total - 1, 0) / ROW_PAGE);
        const page = await request(lastPage, true);
        if (!page) break;
        // The reading grew past this page: its next pages are asked for when shown.
        if (page.caughtUp && !dirty.current) break;
        // Let the page paint between catch-up steps.
        await new Promise((r) => setTimeout(r, 0));
      }
    } finally {
      busy.current = false;
    }
  }, [request]);

  useEffect(() => {
    void refresh();
  }, [refresh, tick]);

  /** Asks for the pages holding rows [from, to] that are not loaded yet. */
  const ensure = useCallback(
    (from: number, to: number) => {
      const s = stateRef.current;
      const lastPage = Math.floor(Math.max(0, s.total - 1) / ROW_PAGE);
      for (let p = Math.floor(Math.max(0, from) / ROW_PAGE); p <= Math.floor(Math.max(0, to) / ROW_PAGE); p++) {
        if (inFlight.current.has(p)) continue;
        const have = pages.current.get(p);
        // The last page grows as rows come: refresh() keeps it up to date once it is loaded.
        if (have && p === lastPage && !filter) continue;
        const start = filter ? p * ROW_PAGE : Math.max(s.firstRow, p * ROW_PAGE);
        const expected = Math.max(0, Math.min(s.total, (p + 1) * ROW_PAGE) - start);
        if (have && have.length >= expected) continue;
        inFlight.current.add(p);
        void request(p).finally(() => inFlight.current.delete(p));
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
