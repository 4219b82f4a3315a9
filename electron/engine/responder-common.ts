/** What the kinds of responder share. */

export const encoder = new TextEncoder();
export const EMPTY = new Uint8Array(0);

/** Runs a callback from a timer or an event without ever letting it throw into the event loop. */
export function guarded<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch {
      // A responder is a convenience: whatever goes wrong in it must not take the engine down.
    }
  };
}
