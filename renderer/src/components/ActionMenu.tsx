import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';

/** One entry of an action menu. */
export interface MenuAction {
  label: string;
  onSelect: () => void;
  danger?: boolean;
}

/**
 * A button that opens a menu of actions (WAI-ARIA menu button): arrow keys move through the
 * items, Enter picks one, Escape or a click elsewhere closes it and focus returns to the button.
 * The menu is drawn over everything, so a scrolling list never clips it.
 */
export function ActionMenu({
  label,
  actions,
  open,
  onOpenChange,
  className,
}: {
  /** The button's accessible name, such as "Actions for 127.0.0.1:5000". */
  label: string;
  actions: readonly MenuAction[];
  open: boolean;
  onOpenChange: (open: boolean) => void;
  className?: string;
}) {
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLUListElement>(null);
  const [position, setPosition] = useState<{ top: number; left: number } | null>(null);

  useLayoutEffect(() => {
    if (!open || !button.current) return;
    const r = button.current.getBoundingClientRect();
    const width = 220;
    setPosition({ top: r.bottom + 2, left: Math.max(4, Math.min(window.innerWidth - width - 4, r.right - width)) });
  }, [open]);

  useEffect(() => {
    if (!open) return;
    (menu.current?.querySelector('[role="menuitem"]') as HTMLElement | null)?.focus();
    const onDown = (e: MouseEvent) => {
      if (!menu.current?.contains(e.target as Node) && !button.current?.contains(e.target as Node)) onOpenChange(false);
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, [open, position, onOpenChange]);

  const close = (refocus: boolean) => {
    onOpenChange(false);
    if (refocus) button.current?.focus();
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    const items = [...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const i = items.indexOf(document.activeElement as HTMLElement);
    e.stopPropagation();
    if (e.key === 'Escape' || e.key === 'Tab') {
      e.preventDefault();
      close(true);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = (i + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
      items[next]?.focus();
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      items[e.key === 'Home' ? 0 : items.length - 1]?.focus();
    }
  };

  return (
    <>
      <button
        ref={button}
        type="button"
        tabIndex={-1}
        className={`mini menu-button ${className ?? ''}`}
        aria-label={label}
        title={label}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={(e) => {
          e.stopPropagation();
          onOpenChange(!open);
        }}
      >
        ⋯
      </button>
      {open &&
        position &&
        createPortal(
          <ul ref={menu} role="menu" aria-label={label} className="action-menu" style={{ top: position.top, left: position.left }} onKeyDown={onKeyDown}>
            {actions.map((a) => (
              <li key={a.label} role="none">
                <button
                  type="button"
                  role="menuitem"
                  tabIndex={-1}
                  className={a.danger ? 'danger' : undefined}
                  onClick={() => {
                    close(false);
                    a.onSelect();
                  }}
                >
                  {a.label}
                </button>
              </li>
            ))}
          </ul>,
          document.body,
        )}
    </>
  );
}
