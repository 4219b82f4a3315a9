import { useCallback } from 'react';
import { DEFAULT_VIEW, useInspector, type ConnectionView } from './store';

/** The id of the one Message box on screen (the selected connection's). */
export const MESSAGE_INPUT_ID = 'message-input';

/** Puts the cursor in the Message box, if one is shown. */
export function focusMessage(): boolean {
  const el = document.getElementById(MESSAGE_INPUT_ID);
  if (!(el instanceof HTMLTextAreaElement) || el.disabled) return false;
  el.focus();
  return true;
}

/** Rows a message box shows: one for a one-line message, growing to six. */
export function messageRows(text: string): number {
  let lines = 1;
  for (let i = 0; i < text.length && lines < 6; i++) if (text.charCodeAt(i) === 10) lines++;
  return lines;
}

/** One field of a connection's kept view, and a setter for it. */
export function useViewField<K extends keyof ConnectionView>(id: string, key: K): [ConnectionView[K], (value: ConnectionView[K]) => void] {
  const value = useInspector((s) => (s.views[id] ?? DEFAULT_VIEW)[key]);
  const setView = useInspector((s) => s.setView);
  const set = useCallback((v: ConnectionView[K]) => setView(id, { [key]: v } as Partial<ConnectionView>), [id, key, setView]);
  return [value, set];
}
