import { formatBytes } from '../../../../shared/format';
import { MAX_CLIENT_MESSAGE_BYTES, MAX_HISTORY_ENTRY_CHARS, commandMessageBytes, utf8Length } from '../../../../shared/limits';
import type { SavedState } from '../../../../shared/model';

/**
 * The saved state as one setSaved message can carry it to the host: history entries longer than
 * the host keeps are left out, and then the oldest entries until the message fits. Saved
 * messages are never dropped: when they alone do not fit, the reason comes back instead.
 */
export function fitSaved(state: SavedState, limit = MAX_CLIENT_MESSAGE_BYTES): { ok: true; state: SavedState } | { ok: false; message: string } {
  const history = state.history.filter((entry) => entry.length <= MAX_HISTORY_ENTRY_CHARS);
  const base = commandMessageBytes('setSaved', { ...state, history: [] });
  if (base > limit) {
    return {
      ok: false,
      message: `Not saved: the saved messages would take ${formatBytes(base)}, more than the ${formatBytes(limit)} the host takes at once. Delete some, or save shorter ones.`,
    };
  }
  // Each entry costs its JSON string and a comma; counted per entry, not by encoding it all again.
  let size = base;
  let keepFrom = history.length;
  while (keepFrom > 0) {
    const cost = utf8Length(JSON.stringify(history[keepFrom - 1])) + 1;
    if (size + cost > limit) break;
    size += cost;
    keepFrom -= 1;
  }
  return { ok: true, state: { ...state, history: history.slice(keepFrom) } };
}
