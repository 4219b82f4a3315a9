import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { hexBytesPerLine } from '../../../../shared/bytes';
import { DECODER_CHOICES, DECODER_LABELS, type DecoderChoice } from '../../../../shared/decoded';
import { DEFAULT_FRAMING, describeFraming, VIEW_MODES, type ReadingSpec } from '../../../../shared/reading';
import { useShallow } from 'zustand/react/shallow';
import { useInspector } from '../../state/store';
import { useViewField } from '../../state/views';
import { FindBar } from '../find/FindBar';
import { ChunksView } from '../TrafficView';
import { FramingForm } from './FramingForm';
import { indexMatches, type Selection } from './marks';
import { RowsView } from './RowsView';
import { SelectionInspector } from './SelectionInspector';

/** Width of the row's fixed columns (direction, time, size, actions; offsets in reading views). */
const FIXED_CHUNKS = 336;
const FIXED_ROWS = 440;

/**
 * A connection's traffic: the find bar, the view toolbar (Chunks, Lines, Stream or Frames; Text
 * or Hex dump; a decoder; the framing), the rows, and the byte inspector for a selection.
 */
export function Traffic({ connectionId }: { connectionId: string }) {
  const [mode, setMode] = useViewField(connectionId, 'mode');
  const [display, setDisplay] = useViewField(connectionId, 'display');
  const [decoder, setDecoder] = useViewField(connectionId, 'decoder');
  const [mergeMs, setMergeMs] = useViewField(connectionId, 'mergeMs');
  const [ownFraming] = useViewField(connectionId, 'framing');
  const inherited = useInspector((s) => {
    const lid = s.connections[connectionId]?.listenerId;
    return lid ? s.listenerFraming[lid] : undefined;
  });
  const framing = ownFraming ?? inherited ?? DEFAULT_FRAMING;
  // What the views need of the search; its progress reports (many a second) do not re-render them.
  const find = useInspector(
    useShallow((s) => ({
      open: s.find.open,
      focusN: s.find.focusN,
      revealN: s.find.revealN,
      searchId: s.find.searchId,
      done: s.find.progress?.done === true,
      onlyMatching: s.find.onlyMatching,
      matches: s.find.matches,
      current: s.find.current,
    })),
  );
  const [framingOpen, setFramingOpen] = useState(false);
  const [rowsLabel, setRowsLabel] = useState('');
  const [selection, setSelection] = useState<Selection | null>(null);
  const [perLine, setPerLine] = useState<4 | 8 | 16>(16);
  const bodyRef = useRef<HTMLDivElement>(null);

  const filterOn = find.onlyMatching && find.searchId !== null && find.done;
  const spec: ReadingSpec = useMemo(() => {
    if (mode === 'lines') return { view: 'lines' };
    if (mode === 'stream') return { view: 'stream', mergeMs };
    if (mode === 'frames') return { view: 'frames', framing };
    return { view: 'chunks' };
  }, [mode, mergeMs, framing]);

  const matches = useMemo(() => (find.matches.length ? indexMatches(find.matches, connectionId) : null), [find.matches, connectionId]);
  const currentMatch = find.matches[find.current];
  const current = currentMatch?.connectionId === connectionId ? currentMatch : undefined;

  useLayoutEffect(() => {
    const el = bodyRef.current;
    if (!el) return;
    const measure = () => {
      const probe = el.querySelector<HTMLElement>('.char-probe');
      const charWidth = probe ? probe.getBoundingClientRect().width / 20 || 8.5 : 8.5;
      const fixed = mode === 'chunks' && !filterOn ? FIXED_CHUNKS : FIXED_ROWS;
      setPerLine(hexBytesPerLine(Math.floor((el.clientWidth - fixed) / charWidth)));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [mode, filterOn]);

  useEffect(() => setSelection(null), [connectionId]);

  const onRowsLabel = useCallback((label: string) => setRowsLabel(label), []);

  // Bytes are selected with the mouse in a hex dump (shift extends), or with Shift+arrows.
  const onMouseDown = (e: React.MouseEvent) => {
    const byte = (e.target as HTMLElement).closest<HTMLElement>('[data-off]');
    if (!byte || e.button !== 0) return;
    const row = byte.closest<HTMLElement>('[data-dir]');
    const off = Number(byte.dataset.off);
    const direction = row?.dataset.dir === 'out' ? 'out' : 'in';
    const seq = Number(row?.dataset.seq ?? 0);
    // No text selection; the keyboard goes to the traffic, for shift+arrows.
    e.preventDefault();
    (e.currentTarget as HTMLElement).querySelector<HTMLElement>('.traffic-scroll')?.focus({ preventScroll: true });
    setSelection((s) => (e.shiftKey && s && s.direction === direction ? { ...s, focus: off, fromSeq: Math.min(s.fromSeq, seq) } : { direction, anchor: off, focus: off, fromSeq: seq }));
  };
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (!selection) {
      // Shift+Right on a row (hex dump) starts a selection at its first byte.
      if (!(e.shiftKey && e.key === 'ArrowRight' && display === 'hex')) return;
      const row = (e.target as HTMLElement).closest<HTMLElement>('[data-dir]');
      const first = row?.querySelector<HTMLElement>('[data-off]');
      if (!row || !first) return;
      e.preventDefault();
      const off = Number(first.dataset.off);
      setSelection({ direction: row.dataset.dir === 'out' ? 'out' : 'in', anchor: off, focus: off, fromSeq: Number(row.dataset.seq ?? 0) });
      return;
    }
    if (e.key === 'Escape') {
      e.stopPropagation();
      setSelection(null);
      return;
    }
    if (!e.shiftKey || e.ctrlKey || e.metaKey || e.altKey) return;
    const step = e.key === 'ArrowLeft' ? -1 : e.key === 'ArrowRight' ? 1 : e.key === 'ArrowUp' ? -perLine : e.key === 'ArrowDown' ? perLine : 0;
    if (!step) return;
    e.preventDefault();
    setSelection({ ...selection, focus: Math.max(0, selection.focus + step) });
  };

  const common = { connectionId, display, perLine, matches, current, selection, revealN: find.revealN, onRowsLabel };
  return (
    <div className="traffic">
      <FindBar connectionId={connectionId} />
      <div className="traffic-toolbar" role="toolbar" aria-label="View">
        <div role="radiogroup" aria-label="View" className="segmented">
          {VIEW_MODES.map((v) => (
            <label key={v.mode}>
              <input type="radio" name={`mode-${connectionId}`} checked={mode === v.mode} onChange={() => setMode(v.mode)} />
              {v.label}
            </label>
          ))}
        </div>
        <div role="radiogroup" aria-label="Display" className="segmented">
          <label>
            <input type="radio" name={`display-${connectionId}`} checked={display === 'text'} onChange={() => setDisplay('text')} />
            Text
          </label>
          <label>
            <input type="radio" name={`display-${connectionId}`} checked={display === 'hex'} onChange={() => setDisplay('hex')} />
            Hex dump
          </label>
        </div>
        <label className="inline small">
          Decode
          <select value={decoder} onChange={(e) => setDecoder(e.target.value as DecoderChoice)}>
            {DECODER_CHOICES.map((d) => (
              <option key={d} value={d}>
                {DECODER_LABELS[d]}
              </option>
            ))}
          </select>
        </label>
        {mode === 'frames' && (
          <button type="button" aria-expanded={framingOpen} onClick={() => setFramingOpen((v) => !v)} title="How this connection's streams are cut into frames">
            Framing: {describeFraming(framing)}
            {!ownFraming && inherited ? ' (listener’s)' : ''}
          </button>
        )}
        {mode === 'stream' && (
          <label className="inline small" title="Chunks of one direction further apart than this start a new row; empty merges all">
            Merge within (ms)
            <input
              type="number"
              min={0}
              className="narrow"
              value={mergeMs ?? ''}
              placeholder="all"
              onChange={(e) => setMergeMs(e.target.value === '' ? null : Math.max(0, Math.floor(Number(e.target.value) || 0)))}
            />
          </label>
        )}
        <span className="muted small" aria-live="off">
          {rowsLabel}
        </span>
        <span className="spacer" />
        {!find.open && (
          <button type="button" className="mini" onClick={() => useInspector.getState().setFind({ open: true, focusN: find.focusN + 1 })} title="Search the traffic (Ctrl+F)">
            Search…
          </button>
        )}
      </div>
      {mode === 'frames' && framingOpen && <FramingForm connectionId={connectionId} current={framing} own={ownFraming !== undefined} onDone={() => setFramingOpen(false)} />}
      <div className="traffic-body" ref={bodyRef} onMouseDown={onMouseDown} onKeyDown={onKeyDown}>
        <span className="char-probe" aria-hidden="true">
          00000000000000000000
        </span>
        {mode === 'chunks' && !filterOn && decoder === 'none' ? (
          <ChunksView key={connectionId} {...common} />
        ) : (
          <RowsView key={`${connectionId}-${spec.view}`} {...common} spec={spec} decoder={decoder} filter={filterOn ? { searchId: find.searchId! } : null} />
        )}
      </div>
      {selection && <SelectionInspector connectionId={connectionId} selection={selection} onClose={() => setSelection(null)} />}
    </div>
  );
}
