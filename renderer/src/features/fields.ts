import { useCallback, useEffect, type RefObject } from 'react';
import { useInspector } from '../state/store';
import type { ErrorInfo } from '../../../shared/result';

/** Reads a port field: a whole number in range, with a message a person understands. */
export function parsePortField(
  text: string,
  { allowZero, field = 'port', label = 'Port' }: { allowZero: boolean; field?: string; label?: string },
): { ok: true; port: number } | { ok: false; error: ErrorInfo } {
  const t = text.trim();
  const min = allowZero ? 0 : 1;
  const message = `Port must be a whole number from ${min} to 65535${allowZero ? ' (0 picks a free port)' : ''}.`;
  if (!/^\d{1,5}$/.test(t)) {
    return { ok: false, error: { code: 'INVALID_INPUT', field, message: t ? `${label}: "${t}" is not a port. ${message}` : `${label}: enter a port. ${message}` } };
  }
  const port = Number(t);
  if (port < min || port > 65535) return { ok: false, error: { code: 'INVALID_INPUT', field, message: `${label}: ${port} is out of range. ${message}` } };
  return { ok: true, port };
}

/**
 * What a New form does once it made something: closes, selects it, and moves keyboard focus
 * to its row in the connections list.
 */
export function useCreated(): (id: string) => void {
  const select = useInspector((s) => s.select);
  const requestFocus = useInspector((s) => s.requestFocus);
  const openNew = useInspector((s) => s.openNew);
  return useCallback(
    (id: string) => {
      openNew(null);
      select(id);
      requestFocus(id);
    },
    [openNew, select, requestFocus],
  );
}

/**
 * Marks the field an error is about: inside `form`, the input whose data-field is the error's
 * field (or the nearest enclosing one: "responder.args.2" marks "responder.args") gets
 * aria-invalid and the cursor. Marks go when the error does.
 */
export function useFieldError(form: RefObject<HTMLElement | null>, error: ErrorInfo | null): void {
  useEffect(() => {
    const root = form.current;
    if (!root) return;
    for (const el of root.querySelectorAll('[data-field][aria-invalid="true"]')) el.removeAttribute('aria-invalid');
    let key = error?.field;
    while (key) {
      const el = root.querySelector<HTMLElement>(`[data-field="${CSS.escape(key)}"]`);
      if (el) {
        el.setAttribute('aria-invalid', 'true');
        el.focus();
        return;
      }
      key = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : undefined;
    }
  }, [form, error]);
}
