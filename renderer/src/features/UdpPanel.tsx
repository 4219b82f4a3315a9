import { useRef, useState, type FormEvent } from 'react';
import type { ErrorInfo } from '../../../shared/result';
import { useApi } from '../api/context';
import { ErrorAlert } from '../components/ErrorAlert';
import { parsePortField, useCreated, useFieldError } from './fields';

/** Binds a UDP socket: every datagram it receives becomes one row, with its sender. */
export function UdpPanel() {
  const api = useApi();
  const created = useCreated();
  const [host, setHost] = useState('127.0.0.1');
  const [port, setPort] = useState('0');
  const [broadcast, setBroadcast] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  useFieldError(formRef, error);

  async function bind(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const p = parsePortField(port, { allowZero: true, label: 'UDP bind port' });
    if (!p.ok) return setError(p.error);
    setBusy(true);
    const result = await api.bindUdp({ host, port: p.port, broadcast });
    setBusy(false);
    if (!result.ok) return setError(result);
    setError(null);
    created(result.value.id);
  }

  return (
    <section className="panel" aria-labelledby="udp-heading">
      <h2 id="udp-heading">UDP</h2>
      <form ref={formRef} className="form-row" onSubmit={bind} noValidate>
        <label className="field grow">
          <span>UDP bind address</span>
          <input data-field="host" value={host} onChange={(e) => setHost(e.target.value)} spellCheck={false} autoComplete="off" />
        </label>
        <label className="field port">
          <span>UDP bind port</span>
          <input data-field="port" value={port} onChange={(e) => setPort(e.target.value)} inputMode="numeric" autoComplete="off" title="0 picks a free port" />
        </label>
        <label className="inline small">
          <input type="checkbox" checked={broadcast} onChange={(e) => setBroadcast(e.target.checked)} /> Allow broadcast
        </label>
        <button type="submit" className="primary" aria-busy={busy}>
          Bind UDP socket
        </button>
      </form>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
    </section>
  );
}
