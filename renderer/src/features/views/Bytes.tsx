import { memo } from 'react';
import { formatEscaped } from '../../../../shared/bytes';

/** A range of stream offsets to paint: a search match, the current match, or the selection. */
export interface Mark {
  from: number;
  to: number;
  cls: 'match' | 'match-current' | 'selected';
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function classesAt(marks: readonly Mark[], off: number): string {
  let cls = '';
  for (const m of marks) if (off >= m.from && off < m.to) cls += ` ${m.cls}`;
  return cls;
}

/**
 * Bytes as escaped text, with marks painted and chunk boundaries shown as thin bars. `start` is
 * the stream offset of bytes[0]; marks and boundaries are stream offsets too.
 */
export const TextBytes = memo(function TextBytes({ bytes, start, marks, boundaries, className }: { bytes: Uint8Array; start: number; marks: readonly Mark[]; boundaries: readonly number[]; className?: string }) {
  const end = start + bytes.byteLength;
  if (marks.length === 0 && boundaries.length === 0) return <span className={className}>{formatEscaped(bytes)}</span>;
  const cuts = new Set<number>([start, end]);
  for (const m of marks) {
    if (m.from > start && m.from < end) cuts.add(m.from);
    if (m.to > start && m.to < end) cuts.add(m.to);
  }
  const bounds = new Set<number>();
  for (const b of boundaries) {
    if (b > start && b < end) {
      cuts.add(b);
      bounds.add(b);
    }
  }
  const points = [...cuts].sort((a, b) => a - b);
  const parts: React.ReactNode[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const from = points[i]!;
    const to = points[i + 1]!;
    if (bounds.has(from)) parts.push(<span key={`b${from}`} className="chunk-boundary" title={`chunk boundary at offset ${from}`} />);
    const cls = classesAt(marks, from).trim();
    const text = formatEscaped(bytes.subarray(from - start, to - start));
    parts.push(cls ? <mark key={from} className={cls}>{text}</mark> : <span key={from}>{text}</span>);
  }
  return <span className={className}>{parts}</span>;
});

/**
 * A hex dump whose bytes are separate elements (data-off is each byte's stream offset), so a
 * byte can be clicked, selected and painted. Offsets are stream offsets.
 */
export const HexBytes = memo(function HexBytes({ bytes, start, perLine, marks, boundaries, maxLines }: { bytes: Uint8Array; start: number; perLine: 4 | 8 | 16; marks: readonly Mark[]; boundaries: readonly number[]; maxLines?: number }) {
  const bounds = new Set(boundaries);
  const lines: React.ReactNode[] = [];
  const count = Math.min(Math.ceil(bytes.byteLength / perLine), maxLines ?? Infinity);
  const half = perLine / 2;
  for (let l = 0; l < count; l++) {
    const cells: React.ReactNode[] = [];
    let ascii = '';
    for (let k = 0; k < perLine; k++) {
      const i = l * perLine + k;
      // Spaces are text, so a copied dump reads "48 69 0d 0a" (two between the halves).
      if (k > 0) cells.push(k === half && perLine > 4 ? '  ' : ' ');
      if (i >= bytes.byteLength) {
        cells.push(<span key={k} className="hb pad">{'  '}</span>);
        continue;
      }
      const off = start + i;
      const b = bytes[i]!;
      ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      cells.push(
        <span key={k} data-off={off} className={`hb${bounds.has(off) ? ' bnd' : ''}${classesAt(marks, off)}`}>
          {HEX[b]}
        </span>,
      );
    }
    lines.push(
      <span key={l} className="hex-line">
        <span className="hex-offset">{(start + l * perLine).toString(16).padStart(8, '0')}</span>
        <span className="hex-bytes">{cells}</span>
        <span className="hex-ascii">{ascii}</span>
      </span>,
    );
  }
  return <span className="hexdump">{lines}</span>;
});
