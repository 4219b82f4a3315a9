/**
 * What an export's file is called, for the page (the desktop save dialog starts with it) and the
 * engine (the browser host's download) alike.
 */
import type { ExportFormat } from './model';

/** The part of an export request its name depends on. */
export interface ExportNaming {
  scope: { connectionId: string } | { listenerId: string } | { jobId: string } | { all: true };
  format: ExportFormat;
  direction: 'in' | 'out' | 'both';
}

/** Raw bytes of one direction of one connection are a plain file; every other raw export is a tar archive. */
export function isSingleRawFile(e: ExportNaming): boolean {
  return e.format === 'raw' && 'connectionId' in e.scope && e.direction !== 'both';
}

/**
 * "socket-inspector-C3-in-20261201T094806.bin". `what` names an opened file's streams better
 * than its job id where the caller knows the file's name; `stamp` is left out where the time
 * is not known yet.
 */
export function exportFileName(e: ExportNaming, options: { what?: string; stamp?: string } = {}): string {
  const s = e.scope;
  const what = options.what ?? ('connectionId' in s ? s.connectionId : 'listenerId' in s ? `${s.listenerId}-connections` : 'jobId' in s ? `${s.jobId}-streams` : 'all-connections');
  const single = isSingleRawFile(e);
  const ext = { pcapng: 'pcapng', ndjson: 'ndjson', transcript: 'txt', raw: single ? 'bin' : 'tar' }[e.format];
  return `socket-inspector-${what}${single ? `-${e.direction}` : ''}${options.stamp ? `-${options.stamp}` : ''}.${ext}`;
}
