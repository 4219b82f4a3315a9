import { useEffect, useRef } from 'react';
import type { SearchQuery } from '../../../../shared/search';
import { useApi } from '../../api/context';
import { EMPTY_FIND, useInspector } from '../../state/store';

/** Matches fetched for next/previous and highlights; the count beyond is still exact. */
const MATCHES_LISTED = 100_000;

function toLocalInput(ms: number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 23);
}

function fromLocalInput(text: string): number | undefined {
  if (!text) return undefined;
  const ms = new Date(text).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The find bar (Ctrl+F): text, hex or regex, in this connection or all, a direction and a time
 * range. The engine searches the whole capture; progress shows while it runs and it can be
 * cancelled. Next and previous go through the matches, across connections.
 */
export function FindBar({ connectionId }: { connectionId: string }) {
  const api = useApi();
  const find = useInspector((s) => s.find);
  const setFind = useInspector((s) => s.setFind);
  const select = useInspector((s) => s.select);
  const input = useRef<HTMLInputElement>(null);
  const q = find.query;
  const running = find.searchId !== null && find.progress !== null && !find.progress.done;
  const starting = find.searchId !== null && find.progress === null;

  useEffect(() => {
    if (find.open) requestAnimationFrame(() => input.current?.select());
  }, [find.open, find.focusN]);

  // When the search is done, fetch its matches once. The bar is mounted again with each
  // connection shown: a search whose matches are loaded must not move the selection again.
  const doneId = find.progress?.done ? find.searchId : null;
  useEffect(() => {
    if (!doneId || useInspector.getState().find.matchesOf === doneId) return;
    let live = true;
    void api.getSearchMatches({ searchId: doneId, fromIndex: 0, limit: MATCHES_LISTED }).then((r) => {
      const s = useInspector.getState();
      if (!live || s.find.searchId !== doneId) return;
      if (!r.ok) return setFind({ error: r.message });
      const matches = r.value.matches;
      // The first match in the connection being looked at, else the first of all.
      let current = matches.findIndex((m) => m.connectionId === s.selectedId);
      if (current < 0) current = matches.length ? 0 : -1;
      setFind({ matches, matchesOf: doneId, current, revealN: s.find.revealN + 1 });
      const m = matches[current];
      if (m && m.connectionId !== s.selectedId) select(m.connectionId);
    });
    return () => {
      live = false;
    };
  }, [api, doneId, setFind, select]);

  if (!find.open) return null;

  const setQuery = (patch: Partial<SearchQuery>) => setFind({ query: { ...q, ...patch } });

  async function start(e: React.FormEvent) {
    e.preventDefault();
    if (find.searchId && running) await api.cancelSearch({ searchId: find.searchId });
    const scope = find.scope;
    setFind({ searchId: null, progress: null, matches: [], current: -1, error: null, searchedId: scope === 'connection' ? connectionId : null });
    const r = await api.startSearch({ query: q, ...(scope === 'connection' ? { connectionIds: [connectionId] } : {}) });
    if (!r.ok) return setFind({ error: r.message });
    setFind({ searchId: r.value.searchId });
  }

  function step(delta: number) {
    const n = find.matches.length;
    if (n === 0) return;
    const current = (((find.current < 0 ? (delta > 0 ? -1 : 0) : find.current) + delta) % n + n) % n;
    const m = find.matches[current]!;
    if (m.connectionId !== useInspector.getState().selectedId) select(m.connectionId);
    setFind({ current, revealN: find.revealN + 1 });
  }

  const p = find.progress;
  const percent = p && p.totalBytes > 0 ? Math.min(100, Math.round((p.searchedBytes / p.totalBytes) * 100)) : 0;
  const connections = new Set(find.matches.map((m) => m.connectionId)).size;
  let status = '';
  if (starting) status = 'Starting…';
  else if (p && !p.done) status = `Searching… ${percent}% (${p.matches.toLocaleString('en-US')} ${p.matches === 1 ? 'match' : 'matches'} so far)`;
  else if (p?.done) {
    const what = p.cancelled ? 'Cancelled: ' : '';
    status =
      p.matches === 0
        ? `${what}No matches`
        : `${what}${find.current >= 0 ? `Match ${(find.current + 1).toLocaleString('en-US')} of ` : ''}${p.matches.toLocaleString('en-US')}${p.truncated ? ` (the first ${find.matches.length.toLocaleString('en-US')} listed)` : ''}${find.scope === 'all' || connections > 1 ? ` in ${connections} ${connections === 1 ? 'connection' : 'connections'}` : ''}`;
    if (p.error) status = p.error;
  }

  return (
    <form
      className="find-bar"
      role="search"
      aria-label="Search the traffic"
      onSubmit={(e) => void start(e)}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          setFind({ open: false });
        } else if (e.key === 'F3' || (e.key === 'Enter' && (e.shiftKey || e.altKey) && find.matches.length)) {
          e.preventDefault();
          step(e.shiftKey ? -1 : 1);
        }
      }}
    >
      <label className="find-field">
        Find
        <input
          ref={input}
          type="search"
          value={q.pattern}
          placeholder={q.kind === 'hex' ? 'de ad be ef' : q.kind === 'regex' ? 'id=(\\d+)' : 'text'}
          aria-invalid={find.error ? true : undefined}
          aria-describedby={find.error ? 'find-error' : undefined}
          onChange={(e) => setQuery({ pattern: e.target.value })}
          spellCheck={false}
        />
      </label>
      <label className="inline small">
        As
        <select value={q.kind} onChange={(e) => setQuery({ kind: e.target.value as SearchQuery['kind'] })}>
          <option value="text">Text</option>
          <option value="hex">Hex bytes</option>
          <option value="regex">Regex</option>
        </select>
      </label>
      <label className="inline small">
        <input type="checkbox" checked={q.caseSensitive} onChange={(e) => setQuery({ caseSensitive: e.target.checked })} disabled={q.kind === 'hex'} />
        Match case
      </label>
      <label className="inline small">
        Direction
        <select value={q.direction} onChange={(e) => setQuery({ direction: e.target.value as SearchQuery['direction'] })}>
          <option value="both">Both</option>
          <option value="in">Received (in)</option>
          <option value="out">Sent (out)</option>
        </select>
      </label>
      <label className="inline small">
        In
        <select value={find.scope} onChange={(e) => setFind({ scope: e.target.value as 'connection' | 'all' })}>
          <option value="connection">This connection</option>
          <option value="all">All connections</option>
        </select>
      </label>
      <details className="find-time">
        <summary className="small">Time range</summary>
        <label className="inline small">
          From time
          <input type="datetime-local" step="0.001" value={toLocalInput(q.fromTime)} onChange={(e) => setQuery({ fromTime: fromLocalInput(e.target.value) })} />
        </label>
        <label className="inline small">
          To time
          <input type="datetime-local" step="0.001" value={toLocalInput(q.toTime)} onChange={(e) => setQuery({ toTime: fromLocalInput(e.target.value) })} />
        </label>
      </details>
      <button type="submit" aria-busy={running || starting}>
        Search
      </button>
      {running && find.searchId && (
        <button type="button" onClick={() => void api.cancelSearch({ searchId: find.searchId! })}>
          Cancel search
        </button>
      )}
      <button type="button" onClick={() => step(-1)} disabled={find.matches.length === 0} aria-label="Previous match">
        ↑
      </button>
      <button type="button" onClick={() => step(1)} disabled={find.matches.length === 0} aria-label="Next match">
        ↓
      </button>
      <label className="inline small">
        <input type="checkbox" checked={find.onlyMatching} onChange={(e) => setFind({ onlyMatching: e.target.checked })} />
        Show only matching rows
      </label>
      {running && <progress aria-label="Search progress" max={100} value={percent} />}
      <span role="status" className="small find-status">
        {status}
      </span>
      {find.error && (
        <span id="find-error" role="alert" className="alert small">
          {find.error}
        </span>
      )}
      <span className="spacer" />
      <button type="button" className="mini" aria-label="Close search" onClick={() => setFind({ ...EMPTY_FIND, query: q, scope: find.scope, focusN: find.focusN })}>
        ✕
      </button>
    </form>
  );
}
