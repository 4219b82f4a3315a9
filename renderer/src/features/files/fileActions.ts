/**
 * What the page does with capture files, in either host: open one (the desktop app passes its
 * path; the browser host uploads it first), and start an export (the desktop app asks where to
 * save it; the browser host downloads it once the engine has written it).
 */
import type { InspectorApi } from '../../../../shared/contract';
import { exportFileName } from '../../../../shared/export-name';
import type { ExportFormat, FileJob } from '../../../../shared/model';
import type { ErrorInfo, Result } from '../../../../shared/result';
import { useInspector, type ExportScope } from '../../state/store';

/** Files a person may open as captures. */
export const CAPTURE_EXTENSIONS = ['.pcapng', '.pcap', '.cap', '.ntar'];

export function isCaptureFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return CAPTURE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Remembers what to do when a job this page started ends (the job may already have ended). */
function followUp(jobId: string, what: 'download' | 'select'): void {
  useInspector.getState().setFollowUp(jobId, what);
}

/** Upload progress of a file the browser host is receiving, for the status line. */
export interface UploadState {
  name: string;
  sent: number;
  total: number;
}

/** Opens a capture file the user chose or dropped. */
export async function openCaptureFile(api: InspectorApi, file: File, onUpload: (state: UploadState | null) => void): Promise<Result<FileJob>> {
  let result: Result<FileJob>;
  const path = api.pathForFile?.(file);
  if (path) {
    result = await api.openCapture({ filePath: path, name: file.name });
    if (result.ok) api.noteRecentFile?.({ kind: 'capture', path });
  } else if (api.uploadFile) {
    onUpload({ name: file.name, sent: 0, total: file.size });
    const uploaded = await api.uploadFile(file, (sent) => onUpload({ name: file.name, sent, total: file.size }));
    onUpload(null);
    if (!uploaded.ok) return uploaded;
    result = await api.openCapture({ fileId: uploaded.value.fileId, name: file.name });
  } else {
    return { ok: false, code: 'UNSUPPORTED', message: 'This host cannot open files.' };
  }
  if (result.ok) followUp(result.value.id, 'select');
  return result;
}

/** Opens a capture file by its path (desktop: Open Recent, a file opened with the app). */
export async function openCapturePath(api: InspectorApi, path: string): Promise<Result<FileJob>> {
  const result = await api.openCapture({ filePath: path });
  if (result.ok) {
    followUp(result.value.id, 'select');
    api.noteRecentFile?.({ kind: 'capture', path });
  }
  return result;
}

export interface ExportChoice {
  scope: ExportScope;
  format: ExportFormat;
  display: 'text' | 'hex';
  direction: 'in' | 'out' | 'both';
}

/** The name an export is suggested under (the desktop save dialog starts with it). */
export function suggestedName(choice: ExportChoice): string {
  return exportFileName(choice);
}

/** Starts an export; null when the user cancelled the save dialog. */
export async function startExport(api: InspectorApi, choice: ExportChoice): Promise<Result<FileJob> | null> {
  let filePath: string | undefined;
  if (api.chooseSavePath) {
    let chosen: string | null;
    try {
      chosen = await api.chooseSavePath(suggestedName(choice));
    } catch (err) {
      return { ok: false, code: 'SAVE_DIALOG', message: `Could not ask where to save: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (!chosen) return null;
    filePath = chosen;
  }
  const result = await api.exportCapture({ ...choice, ...(filePath ? { filePath } : {}) });
  if (result.ok && !filePath) followUp(result.value.id, 'download');
  return result;
}

/** Downloads an export the browser host kept. */
export function download(api: InspectorApi, job: FileJob): void {
  if (!job.fileId || !api.downloadUrl) return;
  const a = document.createElement('a');
  a.href = api.downloadUrl(job.fileId, job.name);
  a.download = job.name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

export function errorOf(result: Result<unknown>): ErrorInfo | null {
  return result.ok ? null : result;
}
