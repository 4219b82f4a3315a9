import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { formatEscaped, hexDump } from '../../../shared/bytes';
import { formatBytes, formatClock } from '../../../shared/format';
import type { Chunk } from '../../../shared/model';
import { useInspector, type ChunkList } from '../state/store';

type Display = 'text' | 'hex';

const EMPTY: ChunkList = { items: [], start: 0, end: 0, firstKeptSeq: 0 };

/**
 * The selected connection's chunks, one row per read or send, in order. Virtualized; it follows
 * new rows while the view is at the bottom and stops when the user scrolls up.
 */
export function TrafficView({ connectionId }: { connectionId: string }) {
  const list = useInspector((s) => s.chunks[connectionId] ?? EMPTY);
  const droppedBytes = useInspector((s) => s.connections[connectionId]?.droppedBytes ?? 0);
  const [display, setDisplay] = useState<Display>('text');
  const [follow, setFollow] = useState(true);
  const scrollRef = useRef<HTMLDivElement>(null);
  const lastTop = useRef(0);
  const hasMarker = list.firstKeptSeq > 0 && droppedBytes > 0;
  const rows = list.end - list.start;
  const count = rows + (hasMarker ? 1 : 0);

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => (display === 'hex' ? 44 : 28),
    overscan: 12,
    getItemKey: (i) => {
      if (hasMarker && i === 0) return 'dropped';
      const c = list.items[list.start + i - (hasMarker ? 1 : 0)];
      return c ? c.seq : `missing-${i}`;
    },
  });

  useEffect(() => {
    // Switching text and hex changes every row's height.
    virtualizer.measure();
  }, [display, virtualizer]);

  useLayoutEffect(() => {
    if (follow && count > 0) virtualizer.scrollToIndex(count - 1, { align: 'end' });
  }, [count, follow, virtualizer, display]);

  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 8;
    // Only a scroll upward is the user's: following's own scrolls only ever go down.
    if (atBottom) setFollow(true);
    else if (el.scrollTop < lastTop.current - 2) setFollow(false);
    lastTop.current = el.scrollTop;
  }, []);

  return (
    <div className="traffic">
      <div className="traffic-toolbar">
        <div role="radiogroup" aria-label="Display" className="segmented">
          <label>
            <input type="radio" name="display" checked={display === 'text'} onChange={() => setDisplay('text')} />
            Text
          </label>
          <label>
            <input type="radio" name="display" checked={display === 'hex'} onChange={() => setDisplay('hex')} />
            Hex dump
          </label>
        </div>
        <span className="muted small">
          {rows} {rows === 1 ? 'chunk' : 'chunks'} shown
        </span>
        <span className="spacer" />
        {!follow && (
          <button type="button" onClick={() => setFollow(true)}>
            Jump to latest
          </button>
        )}
      </div>
      <div ref={scrollRef} className="traffic-scroll" role="log" aria-label="Traffic" onScroll={onScroll} tabIndex={0}>
        {count === 0 && <p className="muted empty">Nothing sent or received yet.</p>}
        <div role="table" aria-label="Chunks" aria-rowcount={count} style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            if (hasMarker && item.index === 0) {
              return (
                <div
                  key={item.key}
                  ref={virtualizer.measureElement}
                  data-index={item.index}
                  role="row"
                  aria-rowindex={1}
                  className="chunk-row dropped-row"
                  style={{ transform: `translateY(${item.start}px)` }}
                >
                  <span role="cell">{formatBytes(droppedBytes)} earlier not kept (capture budget reached)</span>
                </div>
              );
            }
            const index = list.start + item.index - (hasMarker ? 1 : 0);
            const chunk = list.items[index];
            if (!chunk) return null;
            const prev = index > list.start ? list.items[index - 1] : undefined;
            return (
              <div
                key={item.key}
                ref={virtualizer.measureElement}
                data-index={item.index}
                role="row"
                aria-rowindex={item.index + 1}
                className={`chunk-row dir-${chunk.direction}`}
                data-time={chunk.time}
                data-seq={chunk.seq}
                style={{ transform: `translateY(${item.start}px)` }}
              >
                <ChunkCells chunk={chunk} prevTime={prev?.time} display={display} />
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

const ChunkCells = memo(function ChunkCells({
  chunk,
  prevTime,
  display,
}: {
  chunk: Chunk;
  prevTime: number | undefined;
  display: Display;
}) {
  const more = chunk.size - chunk.data.byteLength;
  const delta = prevTime === undefined ? '' : `+${formatDelta(chunk.time - prevTime)}`;
  return (
    <>
      <span role="cell" className="cell-dir" title={chunk.direction === 'in' ? 'received' : 'sent'}>
        {chunk.direction === 'in' ? '← in' : '→ out'}
      </span>
      <span role="cell" className="cell-time mono" title={delta ? `${delta} after the previous chunk` : undefined}>
        {formatClock(chunk.time)}
        {delta && <span className="delta">{delta}</span>}
      </span>
      <span role="cell" className="cell-size mono">
        {chunk.size} B
      </span>
      <span role="cell" className="cell-data mono">
        {display === 'text' ? (
          formatEscaped(chunk.data)
        ) : (
          <span className="hexdump">
            {hexDump(chunk.data).map((line) => (
              <span key={line.offset} className="hex-line">
                <span className="hex-offset">{line.offset}</span>
                <span className="hex-bytes">{line.hex}</span>
                <span className="hex-ascii">{line.ascii}</span>
              </span>
            ))}
          </span>
        )}
        {more > 0 && <span className="muted"> … {formatBytes(more)} more not shown</span>}
      </span>
    </>
  );
});

function formatDelta(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}
