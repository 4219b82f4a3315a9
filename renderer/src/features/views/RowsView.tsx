import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { DecoderChoice } from '../../../../shared/decoded';
import { formatBytes, formatClock, formatEndpoint } from '../../../../shared/format';
import type { ReadingSpec, ViewRow } from '../../../../shared/reading';
import type { SearchMatch } from '../../../../shared/search';
import { useInspector, type Display } from '../../state/store';
import { useViewField } from '../../state/views';
import { HexBytes, TextBytes, type Mark } from './Bytes';
import { marksFor, type MatchIndex, type Selection } from './marks';
import { RowDetail } from './RowDetail';
import { ROW_TEXT, useRowList } from './useRowList';
import { useRows } from './useRows';

const ROW_HEX_LINE = 18;
const COLLAPSED_HEX_LINES = 4;
/**
 * Rows the list holds at most. The list lays out every row it holds each time the count changes
 * (the virtualizer measures them all), and a reading keeps up to a million rows: held whole,
 * a flood of short lines spent the page's time measuring rows no one could scroll to. While
 * following, the list is the newest rows; scrolled away it stays put, and *Show earlier* moves it back.
 */
export const LIST_WINDOW = 50_000;

export interface RowsViewProps {
  connectionId: string;
  spec: ReadingSpec;
  decoder: DecoderChoice;
  display: Display;
  perLine: 4 | 8 | 16;
  filter: { searchId: string } | null;
  matches: MatchIndex | null;
  current: SearchMatch | undefined;
  selection: Selection | null;
  /** Bumped to scroll to the current match. */
  revealN: number;
  onRowsLabel: (label: string) => void;
}

/** What a row is called in each view, for counts and labels. */
const NOUN: Record<ReadingSpec['view'], [string, string]> = {
  chunks: ['chunk', 'chunks'],
  lines: ['line', 'lines'],
  stream: ['run', 'runs'],
  frames: ['frame', 'frames'],
};

/**
 * A connection's traffic read as lines, stream runs or frames (or matching chunks), one row each,
 * virtualized and live. Rows come from the engine by page; the view follows new rows while it
 * is at the bottom.
 */
export function RowsView({ connectionId, spec, decoder, display, perLine, filter, matches, current, selection, revealN, onRowsLabel }: RowsViewProps) {
  const tick = useInspector((s) => {
    const c = s.connections[connectionId];
    return c ? c.chunksIn + c.chunksOut + c.droppedChunks * 1e-9 : 0;
  });
  const isRelay = useInspector((s) => s.connections[connectionId]?.origin === 'relay');
  const { state, rowAt, ensure } = useRows(connectionId, spec, decoder, tick, filter);
  const [follow, setFollow] = useViewField(connectionId, 'follow');
  const scrollRef = useRef<HTMLDivElement>(null);
  const [singular, plural] = NOUN[spec.view];

  // The window of rows the list holds: the newest while following, else where it was left.
  const newestStart = filter ? 0 : Math.max(state.firstRow, state.total - LIST_WINDOW);
  const held = useRef<number | null>(null);
  const [, moved] = useState(0);
  const base = filter || follow || held.current === null ? newestStart : Math.max(state.firstRow, held.current);
  useLayoutEffect(() => {
    held.current = base;
  });
  const windowEnd = filter ? state.total : Math.min(state.total, base + LIST_WINDOW);
  const rows = Math.max(0, windowEnd - base);
  const earlier = filter ? 0 : base - state.firstRow;
  const allRows = filter ? rows : Math.max(0, state.total - state.firstRow);
  const hasMarker = !filter && (state.droppedBytes > 0 || earlier > 0);
  const pending = filter || windowEnd < state.total ? [] : state.pending;
  const count = rows + pending.length + (hasMarker ? 1 : 0);
  const markerOffset = hasMarker ? 1 : 0;
  const listIndex = (index: number) => base + index - markerOffset;
  const rowOf = (index: number): ViewRow | undefined => {
    const i = index - markerOffset;
    if (i < 0) return undefined;
    if (i < rows) return rowAt(base + i);
    return pending[i - rows];
  };
  const measuredMode = display === 'hex' || spec.view === 'stream';

  // Numbers, not strings: the list asks for every row's key on each change of the row count.
  const getItemKey = useCallback((index: number) => (markerOffset && index === 0 ? -1 : base + index - markerOffset), [base, markerOffset]);
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    // Called for every row whenever the row count changes: one-line rows answer at once.
    estimateSize: (index) => {
      if ((hasMarker && index === 0) || (display === 'text' && spec.view !== 'stream')) return ROW_TEXT;
      const row = rowOf(index);
      if (display === 'hex') {
        const size = row ? row.to - row.from : perLine;
        const shown = spec.view === 'stream' ? size : Math.min(size, COLLAPSED_HEX_LINES * perLine);
        return Math.max(1, Math.ceil(shown / perLine)) * ROW_HEX_LINE + 8;
      }
      if (spec.view === 'stream') return Math.max(1, Math.ceil((row ? row.to - row.from : 80) / 90)) * 19 + 8;
      return ROW_TEXT;
    },
    overscan: 8,
    // Keys by position alone (a pending row keeps its key when it completes), and a function
    // that changes only when rows are dropped: a new one makes the list measure every row again.
    getItemKey,
  });

  useEffect(() => {
    // Every row the reading has, listed or not.
    onRowsLabel(`${allRows.toLocaleString('en-US')} ${allRows === 1 ? singular : plural}${filter ? ' matching' : ''}${state.pending.length && !filter ? `, ${state.pending.length} arriving` : ''}`);
  }, [allRows, state.pending.length, singular, plural, filter, onRowsLabel]);

  useEffect(() => {
    virtualizer.measure();
  }, [display, perLine, virtualizer, spec.view]);

  const items = virtualizer.getVirtualItems();
  const firstItem = items[0]?.index ?? 0;
  const lastItem = items[items.length - 1]?.index ?? -1;
  useEffect(() => {
    if (lastItem < firstItem) return;
    ensure(Math.max(base, listIndex(firstItem)), Math.min(base + rows - 1, listIndex(lastItem)));
    // listIndex depends on base and the marker only.
  }, [ensure, firstItem, lastItem, base, rows, state.version]);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (follow && el && count > 0) el.scrollTop = virtualizer.getTotalSize();
  }, [count, follow, virtualizer, state.version]);

  // Next/previous match: scroll to the row that holds it.
  useEffect(() => {
    if (!current || revealN === 0) return;
    const start = Math.max(0, listIndex(firstItem) - base);
    let found = -1;
    // Loaded rows first (cheap); rows not loaded are found by their offsets once fetched.
    for (let i = 0; i < rows && found < 0; i++) {
      const r = rowAt(base + ((start + i) % rows));
      if (r && r.direction === current.direction && r.from <= current.offset && r.to > current.offset) found = (start + i) % rows;
    }
    if (found < 0) return;
    if (follow) setFollow(false);
    virtualizer.scrollToIndex(found + markerOffset, { align: 'center' });
    // Only when asked to reveal, or when the rows it needs arrive.
  }, [revealN, state.version]);

  /** Moves the window back by its length, keeping the rows on screen where they are. */
  const showEarlier = () => {
    const to = Math.max(state.firstRow, base - LIST_WINDOW);
    const shift = base - to;
    held.current = to;
    if (follow) setFollow(false);
    moved((n) => n + 1);
    requestAnimationFrame(() => virtualizer.scrollToIndex(shift + (firstItem > 0 ? firstItem : 1), { align: 'start' }));
  };

  const { onScroll, onKeyDown, setActive, expanded, toggle } = useRowList({
    scrollRef,
    virtualizer,
    count,
    follow,
    setFollow,
    onActivate: (index) => {
      const row = rowOf(index);
      if (row && !row.pending) toggle(row.n, index);
    },
  });

  return (
    <>
      {state.error && (
        <p role="alert" className="alert small">
          {state.error}
        </p>
      )}
      {state.errors.map((err) => (
        <p key={err.direction} role="alert" className="alert small reading-error">
          {isRelay ? (err.direction === 'in' ? 'Client to server' : 'Server to client') : err.direction === 'in' ? 'Received' : 'Sent'} stream, offset {err.at.toLocaleString('en-US')}: {err.message} Bytes after it are not framed; the
          capture keeps them (see Chunks or Stream).
        </p>
      ))}
      {!follow && virtualizer.getTotalSize() > (scrollRef.current?.clientHeight ?? 0) && (
        <button type="button" className="jump-latest" onClick={() => setFollow(true)}>
          Jump to latest
        </button>
      )}
      <div ref={scrollRef} className={`traffic-scroll view-${spec.view}`} role="log" aria-label="Traffic" onScroll={onScroll} onKeyDown={onKeyDown} tabIndex={0}>
        {count === 0 && <p className="muted empty">{filter ? `No ${plural} match.` : state.caughtUp ? 'Nothing sent or received yet.' : 'Reading the capture…'}</p>}
        <div role="table" aria-label={plural[0]!.toUpperCase() + plural.slice(1)} aria-rowcount={count} style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const style = { transform: `translateY(${item.start}px)` };
            if (hasMarker && item.index === 0) {
              return (
                <div key={item.key} data-index={item.index} role="row" aria-rowindex={1} className="chunk-row dropped-row" style={{ ...style, height: ROW_TEXT }}>
                  <span role="cell">
                    {earlier > 0 && (
                      <>
                        {earlier.toLocaleString('en-US')} earlier {earlier === 1 ? singular : plural} not listed here{' '}
                        <button type="button" className="mini" onClick={showEarlier}>
                          Show earlier
                        </button>
                        {state.droppedBytes > 0 ? '; ' : ''}
                      </>
                    )}
                    {state.droppedBytes > 0 && <>{formatBytes(state.droppedBytes)} earlier not kept (dropped when the capture budget was reached)</>}
                  </span>
                </div>
              );
            }
            const row = rowOf(item.index);
            if (!row) {
              return (
                <div key={item.key} data-index={item.index} role="row" aria-rowindex={item.index + 1} className="chunk-row loading-row" style={{ ...style, height: ROW_TEXT }}>
                  <span role="cell" className="muted">
                    loading {singular} {(listIndex(item.index) + 1).toLocaleString('en-US')}…
                  </span>
                </div>
              );
            }
            const open = !row.pending && expanded.has(row.n);
            const measured = open || measuredMode;
            const marks = marksFor(row.direction, row.from, row.to, matches, current, selection);
            return (
              <div
                key={item.key}
                ref={measured ? virtualizer.measureElement : undefined}
                data-index={item.index}
                data-dir={row.direction}
                data-seq={row.seqFrom}
                data-time={row.time}
                role="row"
                tabIndex={-1}
                onFocus={(e) => {
                  if (e.target === e.currentTarget) setActive(item.index);
                }}
                aria-rowindex={item.index + 1}
                className={`chunk-row view-row dir-${row.direction}${open ? ' expanded' : ''}${row.pending ? ' pending-row' : ''}`}
                style={measured ? style : { ...style, height: ROW_TEXT }}
              >
                <RowCells row={row} view={spec.view} relay={isRelay} display={display} perLine={perLine} marks={marks} expanded={open} index={item.index} onToggle={toggle} />
                {open && <RowDetail connectionId={connectionId} row={row} display={display} perLine={perLine} decoder={decoder} marks={marks} />}
              </div>
            );
          })}
        </div>
      </div>
    </>
  );
}

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export const RowCells = memo(function RowCells({
  row,
  view,
  relay,
  display,
  perLine,
  marks,
  expanded,
  index,
  onToggle,
}: {
  row: ViewRow;
  view: ReadingSpec['view'];
  relay: boolean;
  display: Display;
  perLine: 4 | 8 | 16;
  marks: readonly Mark[];
  expanded: boolean;
  index: number;
  onToggle: (key: number, index: number) => void;
}) {
  const size = row.to - row.from;
  // As text, a frame's header and delimiter (a line's end) are marks beside the payload.
  const head = display === 'text' ? (row.head ?? 0) : 0;
  const tail = display === 'text' ? (row.tail ?? 0) : 0;
  const shownBytes = row.data.subarray(Math.min(head, row.data.byteLength), Math.max(head, Math.min(row.data.byteLength, size - tail)));
  const hidden = size - head - tail - shownBytes.byteLength;
  const tailBytes = tail && row.data.byteLength >= size ? row.data.subarray(size - tail, size) : null;
  const joined = row.seqTo > row.seqFrom;
  const hexLines = view === 'stream' ? undefined : COLLAPSED_HEX_LINES;
  return (
    <>
      <span role="cell" className="cell-dir" title={relay ? (row.direction === 'in' ? 'client to server' : 'server to client') : row.direction === 'in' ? 'received' : row.auto ? 'sent automatically' : 'sent'}>
        {relay ? (row.direction === 'in' ? 'c→s' : 's→c') : row.direction === 'in' ? '← in' : row.auto ? '→ auto' : '→ out'}
      </span>
      <span role="cell" className="cell-time mono">
        {formatClock(row.time)}
      </span>
      <span role="cell" className="cell-offsets mono" title={`stream offsets ${row.from} to ${row.to - 1} of the ${row.direction === 'in' ? 'received' : 'sent'} stream`}>
        {size > 0 ? `${row.from}–${row.to - 1}` : row.from}
      </span>
      <span role="cell" className="cell-size mono">
        {size.toLocaleString('en-US')} B
      </span>
      <span role="cell" className={`cell-data mono${display === 'hex' ? ' hex' : ''}${view === 'stream' && display === 'text' ? ' wrap' : ''}`}>
        {row.peer && (
          <span className="peer">
            {row.direction === 'in' ? 'from ' : 'to '}
            {formatEndpoint(row.peer)}{' '}
          </span>
        )}
        {row.continued && <span className="badge-mini" title="The run of this direction goes on from the row before">…</span>}
        {head > 0 && (
          <span className="frame-head" title={`${head}-byte header (the length field)`}>
            {Array.from(row.data.subarray(0, head), (b) => HEX2[b]).join(' ')}
          </span>
        )}
        {display === 'text' ? (
          <TextBytes bytes={shownBytes} start={row.from + head} marks={marks} boundaries={view === 'chunks' ? [] : row.boundaries} className={view === 'stream' ? 'wrapped' : 'oneline'} />
        ) : (
          <HexBytes bytes={row.data} start={row.from} perLine={perLine} marks={marks} boundaries={view === 'chunks' ? [] : row.boundaries} {...(hexLines !== undefined ? { maxLines: hexLines } : {})} />
        )}
        {tail > 0 && view === 'lines' && (
          <span className="line-end" title={row.end === 'crlf' ? 'line ends with CR LF' : 'line ends with LF'}>
            {row.end === 'crlf' ? 'CRLF' : 'LF'}
          </span>
        )}
        {tailBytes && view === 'frames' && (
          <span className="line-end" title="the frame's delimiter">
            {Array.from(tailBytes, (b) => HEX2[b]).join(' ')}
          </span>
        )}
        {hidden > 0 && !expanded && display === 'text' && <span className="muted more"> … {formatBytes(hidden)} more</span>}
        {joined && view !== 'chunks' && !row.pending && (
          <span className="badge-mini joined" title={`joined from reads ${row.seqFrom + 1} to ${row.seqTo + 1}`}>
            joined
          </span>
        )}
        {row.cut && (
          <span className="badge-mini warn" title="Longer than the size limit without its delimiter: cut here, the rest is the next row">
            cut
          </span>
        )}
        {row.pending && (
          <span className="badge-mini pending" title="Not complete yet">
            {row.need !== undefined ? `pending ${size.toLocaleString('en-US')} of ${row.need.toLocaleString('en-US')} B` : 'pending'}
          </span>
        )}
        {row.summary !== undefined && (
          <span className={`row-summary${row.decodeError ? ' warn' : ''}`} title={row.decodeError ?? `${row.decoder ?? ''}: ${row.summary}`}>
            {row.decoder ? `${row.decoder}: ` : ''}
            {row.decodeError ? row.decodeError : row.summary}
          </span>
        )}
      </span>
      <span role="cell" className="cell-actions">
        {!row.pending && (
          <button type="button" tabIndex={-1} className="mini" aria-expanded={expanded} aria-label={`${expanded ? 'Collapse' : 'Expand'} ${view === 'lines' ? 'line' : view === 'stream' ? 'run' : view === 'frames' ? 'frame' : 'chunk'} ${row.n + 1}`} onClick={() => onToggle(row.n, index)}>
            {expanded ? '▾' : '▸'}
          </button>
        )}
      </span>
    </>
  );
});
