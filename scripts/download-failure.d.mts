/** Starts each line electron-download-probe.cjs writes to the installer's stderr. */
export const FAILURE_MARK: string;

/** One failed request of Electron's download, as the probe reports it. */
export interface DownloadFailure {
  url: string;
  code?: string;
  message?: string;
  status?: number;
  statusText?: string;
}

/** The last request the probe saw fail, from the installer's stderr, or null when it saw none. */
export function lastFailure(stderr: string): DownloadFailure | null;

/**
 * Says in words why Electron's download failed (no network, a name that does not resolve, a
 * refused connection, a proxy set but unused or failing, an HTTP status, a certificate), from the
 * installer's stderr with the probe loaded, and whether it ran out of time.
 */
export function describeDownloadFailure(
  outcome: { stderr: string; timedOut?: boolean; timeoutMs?: number },
  env?: Record<string, string | undefined>,
): string;
