import { useState, type FormEvent } from 'react';
import type { ErrorInfo } from '../../../shared/result';
import { useApi } from '../api/context';
import { ErrorAlert } from '../components/ErrorAlert';
import { useInspector } from '../state/store';
import { parsePortField } from './fields';

type ConnectKind = 'tcp' | 'unix';

/** Open a TCP connection to host:port, or to a Unix socket path; it is selected at once. */
export function ConnectForm() {
  const api = useApi();
  const select = useInspector((s) => s.select);
  const [kind, setKind] = useState<ConnectKind>('tcp');
  const [socketPath, setSocketPath] = useState('/tmp/socket-inspector.sock');
  const [host, setHost] = useState('127.0.0.1');
  const [port, setPort] = useState('');
  const [timeout, setTimeoutSecs] = useState('10');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);

  async function connect(e: FormEvent) {
    e.preventDefault();
    const secs = Number(timeout);
    if (!Number.isFinite(secs) || secs < 0.1 || secs > 600) {
      return setError({ code: 'INVALID_INPUT', message: 'Timeout must be a number of seconds from 0.1 to 600.' });
    }
    const timeoutMs = Math.round(secs * 1000);
    let portNumber = 0;
    if (kind === 'tcp') {
      const p = parsePortField(port, { allowZero: false });
      if (!p.ok) return setError(p.error);
      portNumber = p.port;
    }
    setBusy(true);
    setError(null);
    const result = kind === 'unix' ? await api.connectUnix({ path: socketPath, timeoutMs }) : await api.connect({ host, port: portNumber, timeoutMs });
    setBusy(false);
    if (result.ok) select(result.value.id);
    else setError(result);
  }

  return (
    <section className="panel" aria-labelledby="connect-heading">
      <h2 id="connect-heading">Connect (client)</h2>
      <form className="form-row" onSubmit={connect} noValidate>
        <label className="field">
          <span>Connect with</span>
          <select aria-label="Connect with" value={kind} onChange={(e) => setKind(e.target.value as ConnectKind)}>
            <option value="tcp">TCP</option>
            <option value="unix">Unix socket</option>
          </select>
        </label>
        {kind === 'tcp' ? (
          <>
            <label className="field grow">
              <span>Remote host</span>
              <input value={host} onChange={(e) => setHost(e.target.value)} spellCheck={false} autoComplete="off" />
            </label>
            <label className="field port">
              <span>Remote port</span>
              <input value={port} onChange={(e) => setPort(e.target.value)} inputMode="numeric" autoComplete="off" />
            </label>
          </>
        ) : (
          <label className="field grow">
            <span>Remote socket path</span>
            <input value={socketPath} onChange={(e) => setSocketPath(e.target.value)} spellCheck={false} autoComplete="off" />
          </label>
        )}
        <label className="field timeout">
          <span>Timeout (s)</span>
          <input value={timeout} onChange={(e) => setTimeoutSecs(e.target.value)} inputMode="decimal" autoComplete="off" />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Connecting…' : 'Connect'}
        </button>
      </form>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
    </section>
  );
}
