import { constants } from 'node:os';

/** How a process that serves until told to stop ends on a signal. */
export interface SignalExitOptions {
  /** Stops everything; the process exits once it settles: 0 when it fulfils, 1 when it rejects. */
  stop: () => Promise<unknown>;
  /** Exit anyway, with code 1, this long after the first signal if stop() has not settled. */
  deadlineMs: number;
  /** Signals that stop the process (default SIGINT, SIGTERM and SIGHUP). */
  signals?: NodeJS.Signals[];
  /** Told, in words for the user, when the exit does not follow a clean stop. */
  report?: (message: string) => void;
  /** Ends the process (default process.exit). */
  exit?: (code: number) => void;
}

/** What SIGINT, SIGTERM and SIGHUP (a closed terminal) mean to a server: stop, then exit. */
export const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Stops on the first of the signals and exits, whatever the peers of the stopping sockets do:
 * a timer forces the exit at the deadline, and a second signal (a second Ctrl+C) exits at once
 * with 128 + its number, as a shell reports a process the signal ended. A forced exit still
 * runs the process's 'exit' handlers, which is where the capture store removes its folder.
 * Returns a function that removes the handlers again.
 */
export function exitOnSignals(options: SignalExitOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? STOP_SIGNALS;
  let stopping = false;

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.report?.(`${signal} again: exiting now.`);
      exit(128 + (constants.signals[signal] ?? 0));
      return;
    }
    stopping = true;
    const deadline = setTimeout(() => {
      options.report?.(`Did not stop within ${options.deadlineMs / 1000} s of ${signal}: exiting anyway.`);
      exit(1);
    }, options.deadlineMs);
    let stopped: Promise<unknown>;
    try {
      stopped = options.stop();
    } catch (err) {
      stopped = Promise.reject(err);
    }
    void stopped.then(
      () => finish(0),
      (err: unknown) => {
        options.report?.(`Could not stop cleanly: ${err instanceof Error ? err.message : String(err)}`);
        finish(1);
      },
    );
    function finish(code: number) {
      clearTimeout(deadline);
      exit(code);
    }
  };

  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.removeListener(signal, onSignal);
  };
}
