import type { Virtualizer } from '@tanstack/react-virtual';
import { useCallback, useRef, useState } from 'react';

/** Height of a collapsed one-line row. */
export const ROW_TEXT = 26;

interface RowListOptions {
  scrollRef: React.RefObject<HTMLDivElement | null>;
  virtualizer: Virtualizer<HTMLDivElement, Element>;
  count: number;
  follow: boolean;
  setFollow: (follow: boolean) => void;
  /** Where the list is scrolled to, each time it moves (to come back to it later). */
  onScrolled?: (top: number) => void;
  /** Enter or Space on the focused row (index): expand or collapse it. */
  onActivate: (index: number) => void;
}

/**
 * What every traffic view's list does the same way: follow new rows while at the bottom and
 * stop when the user scrolls up; one tab stop, with arrow keys, Page Up/Down, Home and End
 * moving a focused row and Enter expanding it (Shift+arrows are left to a byte selection); and
 * the set of expanded rows.
 */
export function useRowList({ scrollRef, virtualizer, count, follow, setFollow, onScrolled, onActivate }: RowListOptions) {
  const lastTop = useRef(0);
  const [active, setActive] = useState<number | null>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(() => new Set());

  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 8;
    // Only a scroll upward is the user's: following's own scrolls only ever go down.
    if (atBottom) {
      if (!follow) setFollow(true);
    } else if (el.scrollTop < lastTop.current - 2 && follow) setFollow(false);
    lastTop.current = el.scrollTop;
    onScrolled?.(el.scrollTop);
  }, [scrollRef, follow, setFollow, onScrolled]);

  const onKeyDown = (e: React.KeyboardEvent<HTMLDivElement>) => {
    if (count === 0 || e.ctrlKey || e.altKey || e.metaKey || e.shiftKey) return;
    let next: number | null = null;
    const current = active ?? (e.key === 'ArrowUp' || e.key === 'End' ? count : -1);
    if (e.key === 'ArrowDown') next = Math.min(count - 1, current + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, current - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = count - 1;
    else if (e.key === 'PageDown' || e.key === 'PageUp') {
      const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 260) / ROW_TEXT) - 1);
      next = e.key === 'PageDown' ? Math.min(count - 1, Math.max(0, current) + page) : Math.max(0, current - page);
    } else if ((e.key === 'Enter' || e.key === ' ') && active !== null && e.target === e.currentTarget.querySelector(`[data-index="${active}"]`)) {
      e.preventDefault();
      onActivate(active);
      return;
    }
    if (next === null) return;
    e.preventDefault();
    setActive(next);
    if (follow && next < count - 1) setFollow(false);
    virtualizer.scrollToIndex(next, { align: 'auto' });
    requestAnimationFrame(() => (scrollRef.current?.querySelector(`[data-index="${next}"]`) as HTMLElement | null)?.focus({ preventScroll: true }));
  };

  /** Expands or collapses the row with this key (shown at index). */
  const toggle = useCallback(
    (key: number, index: number) => {
      setExpanded((prev) => {
        const next = new Set(prev);
        // A collapsed row goes back to its fixed height; the expanded size must not linger.
        if (next.delete(key)) virtualizer.resizeItem(index, ROW_TEXT);
        else next.add(key);
        return next;
      });
    },
    [virtualizer],
  );

  return { onScroll, onKeyDown, active, setActive, expanded, toggle };
}
