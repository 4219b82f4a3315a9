import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { ErrorInfo } from '../../../shared/result';
import { useApi } from '../api/context';
import { ErrorAlert } from '../components/ErrorAlert';
import { useInspector } from '../state/store';
import { parsePortField, useCreated, useFieldError } from './fields';
import { loadRecent, rememberTarget, type RecentTarget } from '../state/recent';
import { RecentTargets } from './RecentTargets';

/** Starts a relay: listen on one address, forward every client to a target, and show both directions. */
export function RelayPanel() {
  const api = useApi();
  const [host, setHost] = useState('127.0.0.1');
  const [port, setPort] = useState('0');
  const [targetHost, setTargetHost] = useState('127.0.0.1');
  const [targetPort, setTargetPort] = useState('');
  const [busy, setBusy] = useState(false);
  const created = useCreated();
  const [recent, setRecent] = useState<RecentTarget[]>(() => loadRecent().filter((t) => !('path' in t)));
  // The form stays mounted while closed: read the list again each time it opens (a workspace may have set it).
  const shown = useInspector((s) => s.newForm === 'relay');
  useEffect(() => {
    if (shown) setRecent(loadRecent().filter((t) => !('path' in t)));
  }, [shown]);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  useFieldError(formRef, error);

  async function start(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const p = parsePortField(port, { allowZero: true, label: 'Relay port' });
    if (!p.ok) return setError(p.error);
    const t = parsePortField(targetPort, { allowZero: false, field: 'targetPort', label: 'Target port' });
    if (!t.ok) return setError(t.error);
    setBusy(true);
    const result = await api.startRelay({ host, port: p.port, targetHost, targetPort: t.port });
    setBusy(false);
    setError(result.ok ? null : result);
    setRecent(rememberTarget({ host: targetHost, port: t.port }).filter((x) => !('path' in x)));
    if (result.ok) created(result.value.id);
  }

  return (
    <section className="panel" aria-labelledby="relay-heading">
      <h2 id="relay-heading">Relay</h2>
      <form ref={formRef} className="form-row" onSubmit={start} noValidate>
        <label className="field grow">
          <span>Relay address</span>
          <input data-field="host" value={host} onChange={(e) => setHost(e.target.value)} spellCheck={false} autoComplete="off" />
        </label>
        <label className="field port">
          <span>Relay port</span>
          <input data-field="port" value={port} onChange={(e) => setPort(e.target.value)} inputMode="numeric" autoComplete="off" title="0 picks a free port" />
        </label>
        <label className="field grow">
          <span>Target host</span>
          <input data-field="targetHost" value={targetHost} onChange={(e) => setTargetHost(e.target.value)} spellCheck={false} autoComplete="off" />
        </label>
        <label className="field port">
          <span>Target port</span>
          <input data-field="targetPort" value={targetPort} onChange={(e) => setTargetPort(e.target.value)} inputMode="numeric" autoComplete="off" />
        </label>
        <RecentTargets
          recent={recent}
          onPick={(t) => {
            if (!('path' in t)) {
              setTargetHost(t.host);
              setTargetPort(String(t.port));
            }
          }}
        />
        <button type="submit" className="primary" aria-busy={busy}>
          Start relay
        </button>
      </form>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
    </section>
  );
}
