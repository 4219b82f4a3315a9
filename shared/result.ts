/**
 * The outcome of every command. Errors travel as data, never as a throw across IPC or the
 * WebSocket, so the renderer always gets a code and a sentence it can show to a person.
 */
export type Result<T> = { ok: true; value: T } | ({ ok: false } & ErrorInfo);

/** A failure explained for a person: a stable code, one sentence, and what to try next. */
export interface ErrorInfo {
  /** OS or app error code, such as ECONNREFUSED, EADDRINUSE or INVALID_INPUT. */
  code: string;
  /** What happened, in words a person understands. */
  message: string;
  /** What to do about it, when there is something to suggest. */
  hint?: string;
  /** For EADDRINUSE: the process that holds the port, when the OS lets us see it. */
  holder?: { pid: number; name: string };
  /** For input a form can fix: the field at fault ("responder.rules.0.pattern"), so the form can mark it. */
  field?: string;
  /** The connection record that shows more, such as a refused certificate chain. */
  connectionId?: string;
}

/** Wraps a value as a successful Result. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Builds a failed Result from an explanation. */
export function fail<T = never>(error: ErrorInfo): Result<T> {
  return { ok: false, ...error };
}
