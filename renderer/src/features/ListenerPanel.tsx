import { useRef, useState, type FormEvent } from 'react';
import type { ErrorInfo } from '../../../shared/result';
import { useApi } from '../api/context';
import { ErrorAlert } from '../components/ErrorAlert';
import { useInspector } from '../state/store';
import { parsePortField, useCreated, useFieldError } from './fields';
import { ProcessEnder } from './ProcessEnder';

type ListenKind = 'tcp' | 'tls' | 'unix';

/** Start TCP and Unix socket listeners and see the running ones with their client counts. */
export function ListenerPanel() {
  const api = useApi();
  const [kind, setKind] = useState<ListenKind>('tcp');
  const [host, setHost] = useState('127.0.0.1');
  const [port, setPort] = useState('0');
  const [socketPath, setSocketPath] = useState('/tmp/socket-inspector.sock');
  const [certSource, setCertSource] = useState<'self-signed' | 'files'>('self-signed');
  const [certPath, setCertPath] = useState('');
  const [keyPath, setKeyPath] = useState('');
  const [requestClientCert, setRequestClientCert] = useState(false);
  const [keepHalfOpen, setKeepHalfOpen] = useState(false);
  const [idleSeconds, setIdleSeconds] = useState('300');
  const [busy, setBusy] = useState(false);
  // The process that held the port was ended from here: offer to start at once.
  const [holderEnded, setHolderEnded] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  useFieldError(formRef, error);
  const created = useCreated();

  const openPorts = useInspector((s) => s.openPorts);

  /** The half-open setting, or why the idle limit is not a number of seconds. */
  function halfOpenSetting(): { ok: true; halfOpen?: { idleSeconds: number } } | { ok: false; error: ErrorInfo } {
    if (!keepHalfOpen) return { ok: true };
    const text = idleSeconds.trim();
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > 86_400) {
      return { ok: false, error: { code: 'INVALID_INPUT', field: 'halfOpen.idleSeconds', message: 'Idle limit must be a whole number of seconds from 1 to 86400.' } };
    }
    return { ok: true, halfOpen: { idleSeconds: n } };
  }

  async function startOn(portText: string) {
    const p = parsePortField(portText, { allowZero: true, label: 'Listen port' });
    if (!p.ok) return setError(p.error);
    const half = halfOpenSetting();
    if (!half.ok) return setError(half.error);
    setBusy(true);
    const tls =
      kind === 'tls'
        ? { certificate: certSource === 'self-signed' ? ('self-signed' as const) : { certPath, keyPath }, requestClientCert }
        : undefined;
    const result = await api.startListener({ host, port: p.port, ...(tls ? { tls } : {}), ...(half.halfOpen ? { halfOpen: half.halfOpen } : {}) });
    setBusy(false);
    setError(result.ok ? null : result);
    setHolderEnded(false);
    if (result.ok) created(result.value.id);
  }

  async function startUnix(removeStale: boolean) {
    const half = halfOpenSetting();
    if (!half.ok) return setError(half.error);
    setBusy(true);
    const result = await api.listenUnix({ path: socketPath, removeStale, ...(half.halfOpen ? { halfOpen: half.halfOpen } : {}) });
    setBusy(false);
    setError(result.ok ? null : result);
    if (result.ok) created(result.value.id);
  }

  function start(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    if (kind === 'unix') void startUnix(false);
    else void startOn(port);
  }

  return (
    <section className="panel" aria-labelledby="listen-heading">
      <h2 id="listen-heading">Listen (server)</h2>
      <form ref={formRef} className="form-row" onSubmit={start} noValidate>
        <label className="field">
          <span>Listen on</span>
          <select aria-label="Listen on" value={kind} onChange={(e) => setKind(e.target.value as ListenKind)}>
            <option value="tcp">TCP</option>
            <option value="tls">TLS</option>
            <option value="unix">Unix socket</option>
          </select>
        </label>
        {kind !== 'unix' ? (
          <>
            <label className="field grow">
              <span>Listen address</span>
              <input data-field="host" value={host} onChange={(e) => setHost(e.target.value)} spellCheck={false} autoComplete="off" />
            </label>
            <label className="field port">
              <span>Listen port</span>
              <input
                data-field="port"
                value={port}
                onChange={(e) => setPort(e.target.value)}
                inputMode="numeric"
                autoComplete="off"
                title="0 picks a free port"
              />
            </label>
          </>
        ) : (
          <label className="field grow">
            <span>Socket path</span>
            <input data-field="path" value={socketPath} onChange={(e) => setSocketPath(e.target.value)} spellCheck={false} autoComplete="off" />
          </label>
        )}
        {kind === 'tls' && (
          <div className="tls-options">
            <label className="field">
              <span>Certificate</span>
              <select aria-label="Certificate" value={certSource} onChange={(e) => setCertSource(e.target.value as 'self-signed' | 'files')}>
                <option value="self-signed">Self-signed for localhost</option>
                <option value="files">From PEM files</option>
              </select>
            </label>
            {certSource === 'files' && (
              <>
                <label className="field grow">
                  <span>Certificate file</span>
                  <input data-field="tls.certificate.certPath" value={certPath} onChange={(e) => setCertPath(e.target.value)} spellCheck={false} placeholder="/path/cert.pem" />
                </label>
                <label className="field grow">
                  <span>Key file</span>
                  <input data-field="tls.certificate.keyPath" value={keyPath} onChange={(e) => setKeyPath(e.target.value)} spellCheck={false} placeholder="/path/key.pem" />
                </label>
              </>
            )}
            <label className="inline small">
              <input type="checkbox" checked={requestClientCert} onChange={(e) => setRequestClientCert(e.target.checked)} /> Request a client certificate
            </label>
          </div>
        )}
        <div className="half-open-options">
          <label className="inline small">
            <input type="checkbox" checked={keepHalfOpen} onChange={(e) => setKeepHalfOpen(e.target.checked)} /> Keep connections half-open when the client
            finishes sending
          </label>
          {keepHalfOpen && (
            <label className="inline small">
              Idle limit (s)
              <input data-field="halfOpen.idleSeconds" className="small-input" value={idleSeconds} onChange={(e) => setIdleSeconds(e.target.value)} inputMode="numeric" autoComplete="off" />
            </label>
          )}
        </div>
        <button type="submit" className="primary" aria-busy={busy}>
          Start listener
        </button>
      </form>
      <ErrorAlert error={error} onDismiss={() => setError(null)}>
        {error?.code === 'EADDRINUSE' && (
          <>
            <button
              type="button"
              className="mini"
              onClick={() => {
                setPort('0');
                void startOn('0');
              }}
            >
              Use a free port
            </button>
            <button type="button" className="mini" onClick={() => openPorts(port.trim())}>
              Show ports
            </button>
            {error.holder && <ProcessEnder pid={error.holder.pid} name={error.holder.name} onEnded={() => setHolderEnded(true)} />}
            {holderEnded && (
              <button type="button" className="mini primary" onClick={() => void startOn(port)}>
                Start the listener on port {port.trim()} now
              </button>
            )}
          </>
        )}
        {error?.code === 'STALE_SOCKET' && (
          <button type="button" className="mini" onClick={() => void startUnix(true)}>
            Remove the stale file and listen
          </button>
        )}
      </ErrorAlert>
      <p className="muted small">Port 0 picks a free port. The listener appears in the connections list, its clients under it.</p>
    </section>
  );
}
