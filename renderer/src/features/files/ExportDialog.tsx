import { useEffect, useId, useState, type FormEvent } from 'react';
import { formatEndpoint } from '../../../../shared/format';
import type { ExportFormat } from '../../../../shared/model';
import type { ErrorInfo } from '../../../../shared/result';
import { useApi } from '../../api/context';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Overlay } from '../../components/Overlay';
import { useInspector, type ExportScope, type InspectorState } from '../../state/store';
import { listenerKind, listenerWhere } from '../nav/tree';
import { startExport, suggestedName } from './fileActions';

const FORMATS: Array<{ value: ExportFormat; label: string; help: string }> = [
  { value: 'pcapng', label: 'pcapng (Wireshark, tshark)', help: 'Each connection as a TCP stream (or UDP datagrams) with handshake, sequence numbers and FIN or RST; Follow TCP Stream shows the captured bytes.' },
  { value: 'ndjson', label: 'NDJSON (one chunk per line)', help: 'A line per connection, then one JSON object per chunk: connection, direction, time, stream offset, base64 bytes.' },
  { value: 'transcript', label: 'Transcript (text)', help: 'Every chunk with its time, direction and stream offset, as escaped text or a hex dump.' },
  { value: 'raw', label: 'Raw bytes', help: 'The bytes as they went, one file per direction (several go in a tar archive).' },
];

type ScopeKey = 'connection' | 'listener' | 'file' | 'all';

/** Export: what (a connection, a listener's or relay's connections, an opened file's streams, everything) and how. */
export function ExportDialog() {
  const dialog = useInspector((s) => (s.fileDialog?.kind === 'export' ? s.fileDialog : null));
  // Closed, it follows nothing else: the selected connection's counters change with every batch.
  return dialog ? <ExportForm dialog={dialog} /> : null;
}

function ExportForm({ dialog }: { dialog: NonNullable<InspectorState['fileDialog']> }) {
  const api = useApi();
  const close = useInspector((s) => s.openFileDialog);
  const selectedId = useInspector((s) => s.selectedId);
  const connection = useInspector((s) => (s.selectedId ? s.connections[s.selectedId] : undefined));
  const selectedListener = useInspector((s) => (s.selectedId ? s.listeners[s.selectedId] : undefined));
  const total = useInspector((s) => s.connectionOrder.length);
  const [scopeKey, setScopeKey] = useState<ScopeKey>('all');
  const [format, setFormat] = useState<ExportFormat>('pcapng');
  const [display, setDisplay] = useState<'text' | 'hex'>('text');
  const [direction, setDirection] = useState<'in' | 'out' | 'both'>('both');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = useId();

  const asked = dialog.scope;
  const listenerId = asked && 'listenerId' in asked ? asked.listenerId : (selectedListener?.id ?? connection?.listenerId);
  const listener = useInspector((s) => (listenerId ? s.listeners[listenerId] : undefined));
  const jobId = asked && 'jobId' in asked ? asked.jobId : connection?.source?.jobId;
  const fileName = useInspector((s) => (jobId ? s.jobs[jobId]?.name : undefined));
  const connectionId = asked && 'connectionId' in asked ? asked.connectionId : connection && selectedId ? selectedId : undefined;

  useEffect(() => {
    setError(null);
    setBusy(false);
    const a = dialog.scope;
    setScopeKey(a ? ('connectionId' in a ? 'connection' : 'listenerId' in a ? 'listener' : 'jobId' in a ? 'file' : 'all') : connectionId ? 'connection' : listenerId ? 'listener' : 'all');
    // Only when the dialog is asked for again.
  }, [dialog.n]);

  const scopeOf = (key: ScopeKey): ExportScope | null =>
    key === 'connection' && connectionId ? { connectionId } : key === 'listener' && listenerId ? { listenerId } : key === 'file' && jobId ? { jobId } : key === 'all' ? { all: true } : null;
  const scope = scopeOf(scopeKey) ?? { all: true };
  const choice = { scope, format, display, direction };

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    const result = await startExport(api, choice);
    setBusy(false);
    if (result === null) return;
    if (!result.ok) return setError(result);
    close(null);
  }

  const scopes: Array<{ key: ScopeKey; label: string }> = [];
  if (connectionId) scopes.push({ key: 'connection', label: `This connection (${connectionId}${connection ? `, ${formatEndpoint(connection.remote)}` : ''})` });
  if (listenerId) scopes.push({ key: 'listener', label: listener ? `Every connection of the ${listenerKind(listener)} ${listenerWhere(listener)}` : `Every connection of ${listenerId}` });
  if (jobId) scopes.push({ key: 'file', label: `Every stream of ${fileName ?? 'the opened file'}` });
  scopes.push({ key: 'all', label: `All connections (${total})` });

  return (
    <Overlay title="Export" closeLabel="Close export" onClose={() => close(null)} className="export-dialog">
      <form onSubmit={submit} noValidate className="export-form">
        <fieldset>
          <legend>What</legend>
          {scopes.map((s) => (
            <label key={s.key} className="radio">
              <input type="radio" name={`${ids}-scope`} checked={scopeKey === s.key} onChange={() => setScopeKey(s.key)} /> {s.label}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Format</legend>
          {FORMATS.map((f) => (
            <label key={f.value} className="radio">
              <input type="radio" name={`${ids}-format`} checked={format === f.value} onChange={() => setFormat(f.value)} autoFocus={f.value === format} /> {f.label}
              <span className="muted small block">{f.help}</span>
            </label>
          ))}
        </fieldset>
        {format === 'transcript' && (
          <label className="field">
            <span>Show bytes as</span>
            <select value={display} onChange={(e) => setDisplay(e.target.value as 'text' | 'hex')}>
              <option value="text">Escaped text</option>
              <option value="hex">Hex dump</option>
            </select>
          </label>
        )}
        {format === 'raw' && (
          <label className="field">
            <span>Direction</span>
            <select value={direction} onChange={(e) => setDirection(e.target.value as 'in' | 'out' | 'both')}>
              <option value="both">Both (one file each, in a tar archive)</option>
              <option value="in">In only (received)</option>
              <option value="out">Out only (sent)</option>
            </select>
          </label>
        )}
        <p className="muted small">
          File: <span className="mono">{suggestedName(choice)}</span>
          {api.chooseSavePath ? ' (you choose where to save it next)' : ' (downloaded when it is ready)'}. Bytes the capture no longer holds are marked, never made up.
        </p>
        <div className="inline">
          <button type="submit" className="primary" disabled={busy}>
            Export
          </button>
          <button type="button" onClick={() => close(null)}>
            Cancel
          </button>
        </div>
        <ErrorAlert error={error} onDismiss={() => setError(null)} />
      </form>
    </Overlay>
  );
}
