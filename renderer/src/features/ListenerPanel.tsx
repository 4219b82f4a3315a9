import { useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { formatHostPort } from '../../../shared/format';
import type { ErrorInfo } from '../../../shared/result';
import { useApi } from '../api/context';
import { ErrorAlert } from '../components/ErrorAlert';
import { useInspector } from '../state/store';
import { parsePortField } from './fields';
import { countClosed } from './ConnectionList';
import { ProcessEnder } from './ProcessEnder';
import { describeResponder, ResponderEditor } from './ResponderEditor';

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
  const [error, setError] = useState<ErrorInfo | null>(null);
  const listenerIds = useInspector(useShallow((s) => s.listenerOrder));

  const openPorts = useInspector((s) => s.openPorts);

  /** The half-open setting, or why the idle limit is not a number of seconds. */
  function halfOpenSetting(): { ok: true; halfOpen?: { idleSeconds: number } } | { ok: false; error: ErrorInfo } {
    if (!keepHalfOpen) return { ok: true };
    const text = idleSeconds.trim();
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > 86_400) {
      return { ok: false, error: { code: 'INVALID_INPUT', message: 'Idle limit must be a whole number of seconds from 1 to 86400.' } };
    }
    return { ok: true, halfOpen: { idleSeconds: n } };
  }

  async function startOn(portText: string) {
    const p = parsePortField(portText, { allowZero: true });
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
  }

  async function startUnix(removeStale: boolean) {
    const half = halfOpenSetting();
    if (!half.ok) return setError(half.error);
    setBusy(true);
    const result = await api.listenUnix({ path: socketPath, removeStale, ...(half.halfOpen ? { halfOpen: half.halfOpen } : {}) });
    setBusy(false);
    setError(result.ok ? null : result);
  }

  function start(e: FormEvent) {
    e.preventDefault();
    if (kind === 'unix') void startUnix(false);
    else void startOn(port);
  }

  return (
    <section className="panel" aria-labelledby="listen-heading">
      <h2 id="listen-heading">Listen (server)</h2>
      <form className="form-row" onSubmit={start} noValidate>
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
              <input value={host} onChange={(e) => setHost(e.target.value)} spellCheck={false} autoComplete="off" />
            </label>
            <label className="field port">
              <span>Listen port</span>
              <input
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
            <input value={socketPath} onChange={(e) => setSocketPath(e.target.value)} spellCheck={false} autoComplete="off" />
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
                  <input value={certPath} onChange={(e) => setCertPath(e.target.value)} spellCheck={false} placeholder="/path/cert.pem" />
                </label>
                <label className="field grow">
                  <span>Key file</span>
                  <input value={keyPath} onChange={(e) => setKeyPath(e.target.value)} spellCheck={false} placeholder="/path/key.pem" />
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
              <input className="small-input" value={idleSeconds} onChange={(e) => setIdleSeconds(e.target.value)} inputMode="numeric" autoComplete="off" />
            </label>
          )}
        </div>
        <button type="submit" className="primary" disabled={busy}>
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
            {error.holder && <ProcessEnder pid={error.holder.pid} name={error.holder.name} />}
          </>
        )}
        {error?.code === 'STALE_SOCKET' && (
          <button type="button" className="mini" onClick={() => void startUnix(true)}>
            Remove the stale file and listen
          </button>
        )}
      </ErrorAlert>
      <ul className="listener-list" aria-label="Listeners">
        {listenerIds.map((id) => (
          <ListenerRow key={id} id={id} onError={setError} />
        ))}
      </ul>
      {listenerIds.length === 0 && <p className="muted small">No listener running. Port 0 picks a free port.</p>}
    </section>
  );
}

function ListenerRow({ id, onError }: { id: string; onError: (e: ErrorInfo | null) => void }) {
  const api = useApi();
  const listener = useInspector((s) => s.listeners[id]);
  const closed = useInspector((s) => countClosed(s.connections, id));
  const [editing, setEditing] = useState(false);
  if (!listener) return null;
  const where = listener.transport === 'unix' ? listener.address : formatHostPort(listener.address, listener.port);
  const stop = async (closeClients: boolean) => {
    const result = await api.stopListener({ listenerId: id, closeClients });
    onError(result.ok ? null : result);
  };
  return (
    <li className="listener">
      <div className="listener-main">
        <span className="badge">{listener.transport.toUpperCase()}</span>
        <span className="mono">{where}</span>
        {listener.transport !== 'unix' && listener.requestedPort === 0 && <span className="muted small">(free port chosen)</span>}
        {listener.relay && (
          <span className="small">
            relay to <span className="mono">{formatHostPort(listener.relay.targetHost, listener.relay.targetPort)}</span>
          </span>
        )}
        {listener.tls && (
          <span className="muted small" title={`SHA-256 ${listener.tls.fingerprint256}`}>
            {listener.tls.selfSigned ? 'self-signed' : listener.tls.subject}
            {listener.tls.requestClientCert ? ', asks for client certificates' : ''}
          </span>
        )}
      </div>
      <div className="listener-meta">
        <span>
          {listener.clientCount} {listener.clientCount === 1 ? 'client' : 'clients'}
        </span>
        <span className="muted small">{listener.acceptedCount} accepted</span>
        {listener.halfOpen && (
          <span className="muted small" title="Clients that finish sending stay half-open until idle this long">
            half-open, idle limit {listener.halfOpen.idleSeconds} s
          </span>
        )}
        <span className="spacer" />
        {!listener.relay && (
          <button type="button" aria-expanded={editing} onClick={() => setEditing((v) => !v)} title="Answer this listener's clients automatically">
          Auto-reply: {describeResponder(listener.responder)}
        </button>
        )}
        <button type="button" onClick={() => void stop(false)} title="Stop accepting; open clients stay connected">
          Stop
        </button>
        {listener.clientCount > 0 && (
          <button type="button" onClick={() => void stop(true)}>
            Stop and close clients
          </button>
        )}
        {closed > 0 && (
          <button
            type="button"
            onClick={async () => {
              const result = await api.removeClosed({ listenerId: id });
              onError(result.ok ? null : result);
            }}
            title="Forget this listener's closed connections and their captured bytes"
          >
            Remove closed
          </button>
        )}
      </div>
      {editing && <ResponderEditor target={{ listenerId: id }} current={listener.responder} label={`listener ${where}`} onDone={() => setEditing(false)} />}
    </li>
  );
}
