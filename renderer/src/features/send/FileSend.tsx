import { useRef, useState } from 'react';
import { formatBytes } from '../../../../shared/format';
import { FILE_SEND_PIECE_BYTES } from '../../../../shared/limits';
import type { ErrorInfo } from '../../../../shared/result';
import { useApi } from '../../api/context';
import { ErrorAlert } from '../../components/ErrorAlert';

/** Sends a file's bytes to the connection in pieces, with progress and Cancel. */
export function FileSend({ connectionId, disabled }: { connectionId: string; disabled: boolean }) {
  const api = useApi();
  const [progress, setProgress] = useState<{ name: string; sent: number; total: number } | null>(null);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const cancelled = useRef(false);
  const input = useRef<HTMLInputElement>(null);

  async function sendFile(file: File) {
    cancelled.current = false;
    setError(null);
    setStatus('');
    setProgress({ name: file.name, sent: 0, total: file.size });
    let sent = 0;
    try {
      while (sent < file.size) {
        if (cancelled.current) {
          setStatus(`Cancelled after ${formatBytes(sent)} of ${file.name}.`);
          return;
        }
        const piece = new Uint8Array(await file.slice(sent, sent + FILE_SEND_PIECE_BYTES).arrayBuffer());
        // Each send resolves once the socket has taken the bytes, so a slow peer slows us down.
        const result = await api.send({ connectionId, data: piece });
        if (!result.ok) {
          setError({ ...result, message: `Sending ${file.name} stopped after ${formatBytes(sent)}: ${result.message}` });
          return;
        }
        sent += piece.byteLength;
        setProgress({ name: file.name, sent, total: file.size });
      }
      setStatus(`Sent ${file.name}: ${sent.toLocaleString('en-US')} bytes.`);
    } catch (err) {
      setError({ code: 'FILE', message: `Could not read ${file.name}: ${err instanceof Error ? err.message : String(err)}` });
    } finally {
      setProgress(null);
      if (input.current) input.current.value = '';
    }
  }

  return (
    <div className="file-send">
      <label className={`file-button${disabled || progress ? ' disabled' : ''}`}>
        Send file…
        <input
          ref={input}
          type="file"
          disabled={disabled || progress !== null}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void sendFile(file);
          }}
        />
      </label>
      {progress && (
        <>
          <progress aria-label="File send progress" max={progress.total || 1} value={progress.sent} />
          <span className="muted small">
            {progress.name}: {formatBytes(progress.sent)} of {formatBytes(progress.total)}
          </span>
          <button type="button" className="mini" onClick={() => (cancelled.current = true)}>
            Cancel
          </button>
        </>
      )}
      {status && (
        <span className="muted small" role="status">
          {status}
        </span>
      )}
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
    </div>
  );
}
