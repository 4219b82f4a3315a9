import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { formatBytes, formatClock, formatEndpoint } from '../../../shared/format';
import type { Chunk } from '../../../shared/model';
import { useApi } from '../api/context';
import { chunkAt, EMPTY_LIST, loadedChunks, missingPages, PAGE_SIZE, type ChunkList } from '../state/chunkList';
import { scrollMemory, useInspector, type Display } from '../state/store';
import { useViewField } from '../state/views';
import { ChunkDetail } from './ChunkDetail';
import { HexBytes, TextBytes, type Mark } from './views/Bytes';
import { marksFor, type MatchIndex, type Selection } from './views/marks';
import { ROW_TEXT, useRowList } from './views/useRowList';
import type { SearchMatch } from '../../../shared/search';

export type { Display };

export interface ChunksViewProps {
  connectionId: string;
  display: Display;
  perLine: 4 | 8 | 16;
  matches: MatchIndex | null;
  current: SearchMatch | undefined;
  selection: Selection | null;
  revealN: number;
  onRowsLabel: (label: string) => void;
}

/** Hex lines a collapsed row shows; expand a row to see all of it. */
const COLLAPSED_HEX_LINES = 4;
const ROW_HEX_LINE = 18;

/**
 * The selected connection's chunks, one row per read or send, in order. Virtualized, and
 * windowed: the store holds the live tail, and rows scrolled back to are fetched from the
 * engine by page, so a million chunks cost no more than a screenful. It follows new rows while
 * the view is at the bottom and stops when the user scrolls up.
 */
export function ChunksView({ connectionId, display, perLine, matches, current, selection, revealN, onRowsLabel }: ChunksViewProps) {
  const api = useApi();
  const list = useInspector((s) => s.chunks[connectionId] ?? EMPTY_LIST);
  const total = useInspector((s) => {
    const c = s.connections[connectionId];
    return c ? c.chunksIn + c.chunksOut : 0;
  });
  const droppedChunks = useInspector((s) => s.connections[connectionId]?.droppedChunks ?? 0);
  const droppedBytes = useInspector((s) => s.connections[connectionId]?.droppedBytes ?? 0);
  const addChunkPage = useInspector((s) => s.addChunkPage);
  const [follow, setFollow] = useViewField(connectionId, 'follow');
  const scrollRef = useRef<HTMLDivElement>(null);
  const pending = useRef(new Set<number>());

  const [peerFilter, setPeerFilter] = useState('');
  // Datagram peers seen in what the window holds, for grouping UDP traffic by peer.
  const isUdp = useInspector((s) => s.connections[connectionId]?.transport === 'udp');
  const isRelay = useInspector((s) => s.connections[connectionId]?.origin === 'relay');
  // Only datagrams have peers; a TCP flood must not pay for looking.
  const peers = useMemo(() => (isUdp ? peersIn(list) : []), [isUdp, list]);
  const byPeer = useMemo(() => (peerFilter ? loadedChunks(list).filter((c) => c.peer && formatEndpoint(c.peer) === peerFilter) : null), [list, peerFilter]);

  // Chunks are evicted oldest first, so the first kept sequence number is the dropped count.
  const firstKept = Math.max(droppedChunks, list.firstKeptSeq);
  const hasMarker = firstKept > 0 && !byPeer;
  const rows = byPeer ? byPeer.length : Math.max(0, total - firstKept);
  useEffect(() => {
    onRowsLabel(`${rows.toLocaleString('en-US')} ${rows === 1 ? 'chunk' : 'chunks'}${byPeer ? ` with ${peerFilter}, of those loaded` : ''}`);
  }, [rows, byPeer, peerFilter, onRowsLabel]);
  const count = rows + (hasMarker ? 1 : 0);
  const seqOf = (index: number) => (byPeer ? (byPeer[index]?.seq ?? -1) : firstKept + index - (hasMarker ? 1 : 0));
  const getItemKey = useCallback(
    (index: number) => (hasMarker && index === 0 ? 'dropped' : byPeer ? (byPeer[index]?.seq ?? -1) : firstKept + index - (hasMarker ? 1 : 0)),
    [hasMarker, byPeer, firstKept],
  );
  const chunkOf = (index: number) => (byPeer ? byPeer[index] : chunkAt(list, seqOf(index)));

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: (index) => {
      if (hasMarker && index === 0) return ROW_TEXT;
      if (display === 'text') return ROW_TEXT;
      const c = chunkOf(index);
      const shown = Math.min(c?.size ?? perLine, COLLAPSED_HEX_LINES * perLine);
      const lines = Math.max(1, Math.ceil(shown / perLine)) + ((c?.size ?? 0) > shown ? 1 : 0);
      return lines * ROW_HEX_LINE + 8;
    },
    overscan: 10,
    // A function that changes only when the first kept chunk does: a new one makes the list
    // measure every row again, which under a flood would be every row on every batch.
    getItemKey,
  });

  useEffect(() => {
    virtualizer.measure();
  }, [display, perLine, virtualizer]);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    // Back where the user left this connection, unless it was following the newest rows.
    if (el && !follow) el.scrollTop = scrollMemory.get(connectionId) ?? 0;
    // Only when the connection changes: later scrolls are the user's.
  }, [connectionId]);

  useLayoutEffect(() => {
    // Straight to the bottom (the browser clamps): scrollToIndex would measure and re-check
    // over several frames, forcing layouts on every batch of a flood.
    const el = scrollRef.current;
    if (follow && el && count > 0) el.scrollTop = virtualizer.getTotalSize();
  }, [count, follow, virtualizer, display]);

  const items = virtualizer.getVirtualItems();
  const firstVisible = items.length ? seqOf(items[0]!.index) : 0;
  const lastVisible = items.length ? seqOf(items[items.length - 1]!.index) : -1;

  // While following, the rows on screen are the newest ones, whatever this render's range says:
  // under a flood a render can still hold the range from before the list scrolled to its new
  // bottom, and fetching those pages would move rows that are out of view a moment later.
  const newest = count > 0 ? seqOf(count - 1) : -1;
  const [fetchFrom, fetchTo] = follow ? [Math.max(firstKept, newest - (lastVisible - firstVisible)), newest] : [Math.max(firstKept, firstVisible), lastVisible];

  useEffect(() => {
    // Fetch the pages of visible rows that the live tail does not hold.
    if (byPeer || lastVisible < firstVisible) return;
    for (const pageNo of missingPages(list, fetchFrom, fetchTo)) {
      if (pending.current.has(pageNo)) continue;
      pending.current.add(pageNo);
      void api.getChunks({ connectionId, fromSeq: pageNo * PAGE_SIZE, limit: PAGE_SIZE }).then((r) => {
        pending.current.delete(pageNo);
        if (r.ok) addChunkPage(connectionId, pageNo, r.value.chunks, r.value.firstKeptSeq);
      });
    }
  }, [api, connectionId, list, fetchFrom, fetchTo, firstVisible, lastVisible, addChunkPage, byPeer]);

  // Next/previous match: scroll to the chunk that holds its first byte.
  useEffect(() => {
    if (!current || revealN === 0 || byPeer) return;
    const index = current.seq - firstKept + (hasMarker ? 1 : 0);
    if (index < 0 || index >= count) return;
    if (follow) setFollow(false);
    virtualizer.scrollToIndex(index, { align: 'center' });
    // Only when asked to reveal a match.
  }, [revealN]);

  const { onScroll, onKeyDown, setActive, expanded, toggle } = useRowList({
    scrollRef,
    virtualizer,
    count,
    follow,
    setFollow,
    onScrolled: useCallback((top: number) => scrollMemory.set(connectionId, top), [connectionId]),
    onActivate: (index) => {
      const seq = seqOf(index);
      if (seq >= 0 && !(hasMarker && index === 0)) toggle(seq, index);
    },
  });

  return (
    <>
      {(peers.length > 0 || !follow) && (
        <div className="traffic-subbar">
          {peers.length > 0 && (
            <label className="inline small">
              Peer
              <select aria-label="Peer" value={peerFilter} onChange={(e) => setPeerFilter(e.target.value)}>
                <option value="">All peers</option>
                {peers.map((p) => (
                  <option key={p.key} value={p.key}>
                    {p.key} ({p.count})
                  </option>
                ))}
              </select>
            </label>
          )}
          <span className="spacer" />
          {!follow && (
            <button type="button" onClick={() => setFollow(true)}>
              Jump to latest
            </button>
          )}
        </div>
      )}
      <div
        ref={scrollRef}
        className="traffic-scroll"
        role="log"
        aria-label="Traffic"
        aria-describedby="traffic-keys"
        onScroll={onScroll}
        onKeyDown={onKeyDown}
        tabIndex={0}
      >
        <span className="char-probe" aria-hidden="true">
          00000000000000000000
        </span>
        <span id="traffic-keys" className="visually-hidden">
          Arrow keys move through the rows, Enter expands one.
        </span>
        {count === 0 && <p className="muted empty">Nothing sent or received yet.</p>}
        <div role="table" aria-label="Chunks" aria-rowcount={count} style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const style = { transform: `translateY(${item.start}px)` };
            if (hasMarker && item.index === 0) {
              return (
                <div key={item.key} ref={virtualizer.measureElement} data-index={item.index} tabIndex={-1} onFocus={() => setActive(item.index)} role="row" aria-rowindex={1} className="chunk-row dropped-row" style={style}>
                  <span role="cell">
                    {droppedBytes.toLocaleString('en-US')} bytes earlier not kept ({droppedChunks.toLocaleString('en-US')} chunks dropped when the
                    capture budget was reached; the counters still include them)
                  </span>
                </div>
              );
            }
            const seq = seqOf(item.index);
            const chunk = chunkOf(item.index);
            if (!chunk) {
              return (
                <div
                  key={item.key}
                  ref={display === 'hex' ? virtualizer.measureElement : undefined}
                  data-index={item.index}
                  role="row"
                  tabIndex={-1}
                  onFocus={() => setActive(item.index)}
                  aria-rowindex={item.index + 1}
                  className="chunk-row loading-row"
                  style={display === 'hex' ? style : { ...style, height: ROW_TEXT }}
                >
                  <span role="cell" className="muted">
                    loading chunk {seq + 1}…
                  </span>
                </div>
              );
            }
            const prev = chunkAt(list, seq - 1);
            const isOpen = expanded.has(seq);
            // Collapsed text rows have a fixed height and are never measured: measuring reads
            // layout, and under a flood that would be a forced reflow for every new row.
            const measured = isOpen || display === 'hex';
            return (
              <div
                key={item.key}
                ref={measured ? virtualizer.measureElement : undefined}
                data-index={item.index}
                role="row"
                tabIndex={-1}
                onFocus={(e) => {
                  if (e.target === e.currentTarget) setActive(item.index);
                }}
                aria-rowindex={item.index + 1}
                className={`chunk-row dir-${chunk.direction}${isOpen ? ' expanded' : ''}`}
                data-dir={chunk.direction}
                data-time={chunk.time}
                data-seq={chunk.seq}
                style={measured ? style : { ...style, height: ROW_TEXT }}
              >
                <ChunkCells
                  relay={isRelay}
                  chunk={chunk}
                  prevTime={prev?.time}
                  display={display}
                  perLine={perLine}
                  expanded={isOpen}
                  index={item.index}
                  onToggle={toggle}
                  marks={marksFor(chunk.direction, chunk.offset, chunk.offset + chunk.size, matches, current, selection)}
                />
                {isOpen && <ChunkDetail connectionId={connectionId} chunk={chunk} display={display} perLine={perLine} marks={marksFor(chunk.direction, chunk.offset, chunk.offset + chunk.size, matches, current, selection)} />}
              </div>
            );
          })}
        </div>
      </div>
    </>
  );
}

const ChunkCells = memo(function ChunkCells({
  relay,
  index,
  chunk,
  prevTime,
  display,
  perLine,
  expanded,
  onToggle,
  marks,
}: {
  marks: readonly Mark[];
  relay: boolean;
  index: number;
  chunk: Chunk;
  prevTime: number | undefined;
  display: Display;
  perLine: 4 | 8 | 16;
  expanded: boolean;
  onToggle: (seq: number, index: number) => void;
}) {
  const delta = prevTime === undefined ? '' : `+${formatDelta(chunk.time - prevTime)}`;
  const hidden = chunk.size - (display === 'hex' ? Math.min(chunk.size, COLLAPSED_HEX_LINES * perLine) : chunk.data.byteLength);
  return (
    <>
      {relay ? (
        <span role="cell" className="cell-dir" title={`${chunk.direction === 'in' ? 'client to server' : 'server to client'}${chunk.auto ? ', injected' : ''}`}>
          {chunk.direction === 'in' ? 'c→s' : 's→c'}
          {chunk.auto ? '*' : ''}
        </span>
      ) : (
        <span role="cell" className="cell-dir" title={chunk.direction === 'in' ? 'received' : chunk.auto ? 'sent automatically (auto-reply or program)' : 'sent'}>
          {chunk.direction === 'in' ? '← in' : chunk.auto ? '→ auto' : '→ out'}
        </span>
      )}
      <span role="cell" className="cell-time mono" title={delta ? `${delta} after the previous chunk` : undefined}>
        {formatClock(chunk.time)}
        {delta && <span className="delta"> {delta}</span>}
      </span>
      <span role="cell" className="cell-size mono">
        {chunk.size.toLocaleString('en-US')} B
      </span>
      <span role="cell" className={`cell-data mono${expanded ? ' open' : ''}${display === 'hex' ? ' hex' : ''}`}>
        {chunk.peer && (
          <span className="peer" title={chunk.direction === 'in' ? 'sender' : 'destination'}>
            {chunk.direction === 'in' ? 'from ' : 'to '}
            {formatEndpoint(chunk.peer)}{' '}
          </span>
        )}
        {display === 'text' ? (
          <TextBytes bytes={chunk.data.subarray(0, 512)} start={chunk.offset} marks={marks} boundaries={NO_BOUNDARIES} className="oneline" />
        ) : (
          <HexBytes bytes={chunk.data.subarray(0, COLLAPSED_HEX_LINES * perLine)} start={chunk.offset} perLine={perLine} marks={marks} boundaries={NO_BOUNDARIES} />
        )}
        {hidden > 0 && !expanded && <span className="muted more"> … {formatBytes(hidden)} more</span>}
      </span>
      <span role="cell" className="cell-actions">
        <button type="button" tabIndex={-1} className="mini" aria-expanded={expanded} aria-label={`${expanded ? 'Collapse' : 'Expand'} chunk ${chunk.seq + 1}`} onClick={() => onToggle(chunk.seq, index)}>
          {expanded ? '▾' : '▸'}
        </button>
      </span>
    </>
  );
});

const NO_BOUNDARIES: readonly number[] = [];

function formatDelta(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** The peers of the datagrams a window holds, with how many of each, most frequent first. */
function peersIn(list: ChunkList): Array<{ key: string; count: number }> {
  const counts = new Map<string, number>();
  for (const c of loadedChunks(list)) if (c.peer) counts.set(formatEndpoint(c.peer), (counts.get(formatEndpoint(c.peer)) ?? 0) + 1);
  return [...counts].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count);
}
