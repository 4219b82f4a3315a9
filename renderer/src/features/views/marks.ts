import type { Direction } from '../../../../shared/model';
import type { SearchMatch } from '../../../../shared/search';
import type { Mark } from './Bytes';

/** A byte selection: a range of one direction's stream (anchor where it began, focus where it ends). */
export interface Selection {
  direction: Direction;
  anchor: number;
  focus: number;
  /** A chunk at or before the selection, where reading it back may start. */
  fromSeq: number;
}

/** The selection as [from, to). */
export function selectionRange(s: Selection): { from: number; to: number } {
  return { from: Math.min(s.anchor, s.focus), to: Math.max(s.anchor, s.focus) + 1 };
}

/** One connection's matches, per direction, sorted by offset, for painting rows fast. */
export interface MatchIndex {
  in: SearchMatch[];
  out: SearchMatch[];
}

export const NO_MARKS: readonly Mark[] = [];

export function indexMatches(matches: readonly SearchMatch[], connectionId: string): MatchIndex {
  const idx: MatchIndex = { in: [], out: [] };
  for (const m of matches) if (m.connectionId === connectionId) idx[m.direction].push(m);
  idx.in.sort((a, b) => a.offset - b.offset);
  idx.out.sort((a, b) => a.offset - b.offset);
  return idx;
}

/** The marks of a range [from, to) of one direction: matches, the current match, the selection. */
export function marksFor(direction: Direction, from: number, to: number, index: MatchIndex | null, current: SearchMatch | undefined, selection: Selection | null): readonly Mark[] {
  const out: Mark[] = [];
  const list = index?.[direction];
  if (list && list.length) {
    let lo = 0;
    let hi = list.length;
    // First match that ends after `from`… approximately: the first starting at or after from - 4096.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.offset + list[mid]!.length <= from - 4096) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < list.length && list[i]!.offset < to; i++) {
      const m = list[i]!;
      if (m.offset + m.length > from) out.push({ from: m.offset, to: m.offset + m.length, cls: m === current ? 'match-current' : 'match' });
    }
  }
  if (selection && selection.direction === direction) {
    const r = selectionRange(selection);
    if (r.to > from && r.from < to) out.push({ from: r.from, to: r.to, cls: 'selected' });
  }
  return out.length ? out : NO_MARKS;
}
