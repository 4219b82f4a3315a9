import { useCallback } from 'react';
import { useInspector } from '../state/store';
import type { ErrorInfo } from '../../../shared/result';

/** Reads a port field: a whole number in range, with a message a person understands. */
export function parsePortField(
  text: string,
  { allowZero }: { allowZero: boolean },
): { ok: true; port: number } | { ok: false; error: ErrorInfo } {
  const t = text.trim();
  const min = allowZero ? 0 : 1;
  const message = `Port must be a whole number from ${min} to 65535${allowZero ? ' (0 picks a free port)' : ''}.`;
  if (!/^\d{1,5}$/.test(t)) {
    return { ok: false, error: { code: 'INVALID_INPUT', message: t ? `"${t}" is not a port. ${message}` : `Enter a port. ${message}` } };
  }
  const port = Number(t);
  if (port < min || port > 65535) return { ok: false, error: { code: 'INVALID_INPUT', message: `${port} is out of range. ${message}` } };
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
