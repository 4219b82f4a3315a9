import { useEffect, useRef, useState } from 'react';
import { formatBytes } from '../../../../shared/format';
import type { FileJob } from '../../../../shared/model';
import type { ErrorInfo } from '../../../../shared/result';
import { useApi } from '../../api/context';
import { ErrorAlert } from '../../components/ErrorAlert';
import { HiddenFileInput } from '../../components/HiddenFileInput';
import { useInspector } from '../../state/store';
import { download, isCaptureFileName, openCaptureFile, openCapturePath, type UploadState } from './fileActions';

/**
 * Exports and opened files as they run and once they end: progress, Cancel, the download (browser
 * host) or where it was saved (desktop), and what was wrong with a file. Also the hidden file
 * input behind Open capture, and dropping a capture file on the window.
 */
export function FileJobs() {
  const api = useApi();
  const jobOrder = useInspector((s) => s.jobOrder);
  const jobs = useInspector((s) => s.jobs);
  const dialog = useInspector((s) => (s.fileDialog?.kind === 'open-capture' ? s.fileDialog.n : 0));
  const closeDialog = useInspector((s) => s.openFileDialog);
  const select = useInspector((s) => s.select);
  const input = useRef<HTMLInputElement>(null);
  const [upload, setUpload] = useState<UploadState | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const [dragging, setDragging] = useState(false);

  const open = async (file: File) => {
    if (!isCaptureFileName(file.name)) {
      setError({ code: 'NOT_A_CAPTURE', message: `${file.name} is not a capture file: open a .pcapng or .pcap file (from Wireshark, tcpdump or an export).` });
      return;
    }
    setError(null);
    const result = await openCaptureFile(api, file, setUpload);
    if (!result.ok) setError(result);
  };

  // Open capture (menu, shortcut, button): the file chooser.
  useEffect(() => {
    if (dialog === 0) return;
    closeDialog(null);
    input.current?.click();
  }, [dialog]);

  // Desktop: Open Recent, or a capture file opened with the app.
  useEffect(
    () =>
      api.onOpenFile?.((request) => {
        if (request.kind !== 'capture') return;
        void openCapturePath(api, request.path).then((r) => setError(r.ok ? null : r));
      }),
    [api],
  );

  // A capture file dropped anywhere on the window.
  useEffect(() => {
    const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
    const over = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
      setDragging(true);
    };
    const leave = (e: DragEvent) => {
      if (e.relatedTarget === null) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      setDragging(false);
      if (!hasFiles(e)) return;
      const file = e.dataTransfer?.files[0];
      if (!file || !isCaptureFileName(file.name)) return;
      e.preventDefault();
      void open(file);
    };
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, [api]);

  // Follow-ups of jobs this page started: download a finished export, select an opened file's first stream.
  const followUps = useInspector((s) => s.followUps);
  const setFollowUp = useInspector((s) => s.setFollowUp);
  useEffect(() => {
    for (const [id, follow] of Object.entries(followUps)) {
      const job = jobs[id];
      if (!job || job.state === 'running') continue;
      setFollowUp(id, null);
      if (job.state !== 'done') continue;
      if (follow === 'download') download(api, job);
      else {
        const s = useInspector.getState();
        const first = s.connectionOrder.find((cid) => s.connections[cid]?.source?.jobId === id);
        if (first) select(first);
      }
    }
  }, [jobs, followUps, api, select, setFollowUp]);

  const shown = jobOrder.map((id) => jobs[id]).filter((j): j is FileJob => j !== undefined && !dismissed.has(j.id));

  return (
    <>
      <HiddenFileInput inputRef={input} label="Capture file to open" accept=".pcapng,.pcap,.cap,.ntar,application/vnd.tcpdump.pcap" onFile={(file) => void open(file)} />
      {dragging && (
        <div className="drop-hint" aria-hidden="true">
          Drop a .pcapng or .pcap file to open it
        </div>
      )}
      {(shown.length > 0 || upload || error) && (
        <section className="file-jobs" aria-label="Files">
          {upload && (
            <div className="file-job" role="status">
              <span>
                Sending <span className="mono">{upload.name}</span> to the host: {formatBytes(upload.sent)} of {formatBytes(upload.total)}
              </span>
              <progress aria-label={`Upload of ${upload.name}`} value={upload.sent} max={Math.max(1, upload.total)} />
            </div>
          )}
          {shown.map((job) => (
            <JobRow key={job.id} job={job} onDismiss={() => setDismissed((d) => new Set(d).add(job.id))} />
          ))}
          {shown.filter((j) => j.state !== 'running').length > 1 && (
            <div>
              <button type="button" className="mini" onClick={() => setDismissed((d) => new Set([...d, ...shown.filter((j) => j.state !== 'running').map((j) => j.id)]))}>
                Dismiss all finished
              </button>
            </div>
          )}
          <ErrorAlert error={error} onDismiss={() => setError(null)} />
        </section>
      )}
    </>
  );
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

function JobRow({ job, onDismiss }: { job: FileJob; onDismiss: () => void }) {
  const api = useApi();
  const what = job.kind === 'export' ? `Export ${job.name}` : `Open ${job.name}`;
  const percent = job.total > 0 ? Math.min(100, Math.floor((job.done / job.total) * 100)) : 0;
  let words: string;
  if (job.state === 'running') {
    words =
      job.kind === 'export'
        ? `Exporting ${job.format ?? ''}: ${plural(job.connections, 'connection')}, ${formatBytes(job.done)} of ${formatBytes(job.total)}`
        : `Opening: ${formatBytes(job.done)} of ${formatBytes(job.total)} read, ${plural(job.connections, 'stream')}`;
  } else if (job.state === 'done') {
    words =
      job.kind === 'export'
        ? `Exported ${plural(job.connections, 'connection')} (${plural(job.chunks, 'chunk')}) as ${job.format}: ${formatBytes(job.bytes ?? 0)}`
        : `Opened: ${plural(job.connections, 'stream')}, ${plural(job.chunks, 'chunk')} from ${formatBytes(job.total)}`;
  } else if (job.state === 'cancelled') words = job.kind === 'export' ? 'Export cancelled; no file was kept.' : 'Cancelled; the streams read so far are kept.';
  else words = `Failed: ${job.message ?? 'unknown error'}`;
  return (
    <div className={`file-job job-${job.state}`} role="group" aria-label={what}>
      <span className="strong ellipsis mono">{job.name}</span>
      <span role="status">{words}</span>
      {job.state === 'running' && <progress aria-label={`Progress of ${what}`} value={percent} max={100} />}
      {job.state === 'running' ? (
        <button type="button" className="mini" onClick={() => void api.cancelFileJob({ jobId: job.id })} aria-label={`Cancel ${what}`}>
          Cancel
        </button>
      ) : (
        <>
          {job.state === 'done' && job.fileId && api.downloadUrl && (
            <a className="mini-link" href={api.downloadUrl(job.fileId, job.name)} download={job.name}>
              Download
            </a>
          )}
          {job.state === 'done' && job.path && <span className="muted small mono ellipsis">saved to {job.path}</span>}
          <button type="button" className="mini" onClick={onDismiss} aria-label={`Dismiss ${what}`}>
            Dismiss
          </button>
        </>
      )}
      {job.problems.length > 0 && (
        <details className="job-problems">
          <summary>
            {job.problems.length} note{job.problems.length === 1 ? '' : 's'}
          </summary>
          <ul>
            {job.problems.map((p, i) => (
              <li key={i}>{p}</li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
