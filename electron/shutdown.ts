/**
 * How the desktop app ends. Quitting from the window and being told to stop by a signal take the
 * same path: stop the engine once (close every socket, end programs, remove the capture's
 * temporary folder), then leave. Whatever peers or programs do, the process is gone within a
 * deadline. Plain Node, no Electron, so it is tested with real processes and real signals;
 * main.ts wires it to app.quit, app.exit and before-quit.
 */
import { constants } from 'node:os';

/** Ctrl+C, `kill` (and logout or shutdown), and the terminal going away. */
export const QUIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** How long stopping may take before the process leaves anyway. */
export const QUIT_DEADLINE_MS = 5000;

/** The status a shell reports for a process ended by `signal`: 128 plus its number. */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

export interface QuitFlowOptions {
  /** Stops the engine. Called at most once. */
  stop: () => Promise<unknown>;
  /** The ordinary quit (Electron's app.quit): windows close, then the process exits with 0. */
  quit: () => void;
  /** Leaves at once with a status (Electron's app.exit). */
  exit: (code: number) => void;
  deadlineMs?: number;
  /** Told when stopping fails or overruns the deadline. */
  warn?: (message: string) => void;
  /**
   * The status after a clean stop that a signal asked for (default 128 + its number, as a shell
   * reports a process a signal ended). A server run from npm returns 0, so that stopping it with
   * Ctrl+C is not reported as a failure.
   */
  statusAfterSignal?: (signal: NodeJS.Signals) => number;
}

export interface QuitFlow {
  /**
   * For the app's before-quit event: true when the engine has stopped and the quit may go on;
   * false when the quit must wait (prevent it): stopping has begun and quit() follows.
   */
  beforeQuit(): boolean;
  /** For SIGINT, SIGTERM and SIGHUP: stop, then exit with 128 + the signal's number. A second signal exits at once. */
  signal(signal: NodeJS.Signals): void;
}

/** The one ending path of the desktop app; see the module comment. */
export function createQuitFlow({
  stop,
  quit,
  exit,
  deadlineMs = QUIT_DEADLINE_MS,
  warn = () => {},
  statusAfterSignal = exitCodeForSignal,
}: QuitFlowOptions): QuitFlow {
  let state: 'running' | 'stopping' | 'stopped' = 'running';
  let signalled: NodeJS.Signals | null = null;
  let deadline: ReturnType<typeof setTimeout> | null = null;
  let left = false;

  const leave = (code: number): void => {
    if (left) return;
    left = true;
    if (deadline) clearTimeout(deadline);
    exit(code);
  };

  const finish = (): void => {
    state = 'stopped';
    if (signalled) leave(statusAfterSignal(signalled));
    // The deadline keeps running: if closing the windows stalls too, it still ends the process.
    else quit();
  };

  const begin = (): void => {
    if (state !== 'running') return;
    state = 'stopping';
    deadline = setTimeout(() => {
      warn(`stopping took longer than ${deadlineMs / 1000} s; leaving without waiting any longer.`);
      leave(signalled ? exitCodeForSignal(signalled) : 1);
    }, deadlineMs);
    // Never the reason the process stays alive.
    deadline.unref?.();
    Promise.resolve()
      .then(stop)
      .catch((err: unknown) => warn(`could not stop cleanly (${err instanceof Error ? err.message : String(err)}).`))
      .then(finish);
  };

  return {
    beforeQuit() {
      if (state === 'stopped') return true;
      begin();
      return false;
    },
    signal(signal) {
      // Asked twice, or asked again after stopping: the user wants out now.
      if (signalled || state === 'stopped') return leave(exitCodeForSignal(signal));
      signalled = signal;
      begin();
    },
  };
}

/** Calls `onSignal` for each of QUIT_SIGNALS instead of Node's default (dying on the spot). Returns a remover. */
export function onQuitSignals(
  target: Pick<NodeJS.Process, 'on' | 'removeListener'>,
  onSignal: (signal: NodeJS.Signals) => void,
): () => void {
  const handlers = QUIT_SIGNALS.map((signal) => {
    const handler = (): void => onSignal(signal);
    target.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) target.removeListener(signal, handler);
  };
}
