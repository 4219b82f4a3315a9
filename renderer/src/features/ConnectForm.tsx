import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { ErrorInfo } from '../../../shared/result';
import { useApi } from '../api/context';
import { ErrorAlert } from '../components/ErrorAlert';
import { useInspector } from '../state/store';
import { parsePortField, useCreated, useFieldError } from './fields';
import { loadRecent, rememberTarget, type RecentTarget } from '../state/recent';
import { RecentTargets } from './RecentTargets';

type ConnectKind = 'tcp' | 'tls' | 'unix';

/** Open a TCP connection to host:port, or to a Unix socket path; it is selected at once. */
export function ConnectForm() {
  const api = useApi();
  const select = useInspector((s) => s.select);
  const created = useCreated();
  const [recent, setRecent] = useState<RecentTarget[]>(loadRecent);
  // The form stays mounted while closed: read the list again each time it opens (a workspace may have set it).
  const shown = useInspector((s) => s.newForm === 'connect');
  useEffect(() => {
    if (shown) setRecent(loadRecent());
  }, [shown]);
  const [kind, setKind] = useState<ConnectKind>('tcp');
  const [socketPath, setSocketPath] = useState('/tmp/socket-inspector.sock');
  const [verify, setVerify] = useState(true);
  const [servername, setServername] = useState('');
  const [alpn, setAlpn] = useState('');
  const [caPath, setCaPath] = useState('');
  const [host, setHost] = useState('127.0.0.1');
  const [port, setPort] = useState('');
  const [timeout, setTimeoutSecs] = useState('10');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  useFieldError(formRef, error);

  async function connect(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const secs = Number(timeout);
    if (!Number.isFinite(secs) || secs < 0.1 || secs > 600) {
      return setError({ code: 'INVALID_INPUT', field: 'timeoutMs', message: 'Timeout (s): must be a number of seconds from 0.1 to 600.' });
    }
    const timeoutMs = Math.round(secs * 1000);
    let portNumber = 0;
    if (kind !== 'unix') {
      const p = parsePortField(port, { allowZero: false, label: 'Remote port' });
      if (!p.ok) return setError(p.error);
      portNumber = p.port;
    }
    setBusy(true);
    setError(null);
    const tls =
      kind === 'tls'
        ? {
            verify,
            ...(servername.trim() ? { servername: servername.trim() } : {}),
            alpn: alpn.split(',').map((a) => a.trim()).filter(Boolean),
            ...(caPath.trim() ? { caPath: caPath.trim() } : {}),
          }
        : undefined;
    const result =
      kind === 'unix'
        ? await api.connectUnix({ path: socketPath, timeoutMs })
        : await api.connect({ host, port: portNumber, timeoutMs, ...(tls ? { tls } : {}) });
    setBusy(false);
    if (kind !== 'unix' || result.ok) setRecent(rememberTarget(kind === 'unix' ? { path: socketPath } : { host, port: portNumber }));
    if (result.ok) created(result.value.id);
    else {
      setError(result);
      // A refused certificate: its connection record shows the chain.
      if (result.connectionId) select(result.connectionId);
    }
  }

  return (
    <section className="panel" aria-labelledby="connect-heading">
      <h2 id="connect-heading">Connect (client)</h2>
      <form ref={formRef} className="form-row" onSubmit={connect} noValidate>
        <label className="field">
          <span>Connect with</span>
          <select aria-label="Connect with" value={kind} onChange={(e) => setKind(e.target.value as ConnectKind)}>
            <option value="tcp">TCP</option>
            <option value="tls">TLS</option>
            <option value="unix">Unix socket</option>
          </select>
        </label>
        {kind !== 'unix' ? (
          <>
            <label className="field grow">
              <span>Remote host</span>
              <input data-field="host" value={host} onChange={(e) => setHost(e.target.value)} spellCheck={false} autoComplete="off" />
            </label>
            <label className="field port">
              <span>Remote port</span>
              <input data-field="port" value={port} onChange={(e) => setPort(e.target.value)} inputMode="numeric" autoComplete="off" />
            </label>
          </>
        ) : (
          <label className="field grow">
            <span>Remote socket path</span>
            <input data-field="path" value={socketPath} onChange={(e) => setSocketPath(e.target.value)} spellCheck={false} autoComplete="off" />
          </label>
        )}
        {kind === 'tls' && (
          <div className="tls-options">
            <label className="inline small">
              <input type="checkbox" checked={verify} onChange={(e) => setVerify(e.target.checked)} /> Verify certificate
            </label>
            <label className="field grow">
              <span>Server name (SNI)</span>
              <input data-field="tls.servername" value={servername} onChange={(e) => setServername(e.target.value)} spellCheck={false} placeholder="the host, by default" />
            </label>
            <label className="field grow">
              <span>Trusted CA file</span>
              <input
                data-field="tls.caPath"
                value={caPath}
                onChange={(e) => setCaPath(e.target.value)}
                spellCheck={false}
                placeholder="/path/ca.pem (optional)"
                title="A PEM file of certificates to trust as well as the system's CAs, such as a server's self-signed certificate"
              />
            </label>
            <label className="field grow">
              <span>ALPN protocols</span>
              <input data-field="tls.alpn" value={alpn} onChange={(e) => setAlpn(e.target.value)} spellCheck={false} placeholder="h2, http/1.1" />
            </label>
          </div>
        )}
        <label className="field timeout">
          <span>Timeout (s)</span>
          <input data-field="timeoutMs" value={timeout} onChange={(e) => setTimeoutSecs(e.target.value)} inputMode="decimal" autoComplete="off" />
        </label>
        <RecentTargets
          recent={recent}
          onPick={(t) => {
            if ('path' in t) {
              setKind('unix');
              setSocketPath(t.path);
            } else {
              if (kind === 'unix') setKind('tcp');
              setHost(t.host);
              setPort(String(t.port));
            }
          }}
        />
        <button type="submit" className="primary" aria-busy={busy}>
          {busy ? 'Connecting…' : 'Connect'}
        </button>
      </form>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
    </section>
  );
}
