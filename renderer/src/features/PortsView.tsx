import { useCallback, useEffect, useState } from 'react';
import type { PortEntry } from '../../../shared/model';
import type { ErrorInfo } from '../../../shared/result';
import { formatHostPort } from '../../../shared/format';
import { useApi } from '../api/context';
import { ErrorAlert } from '../components/ErrorAlert';
import { useInspector } from '../state/store';
import { ProcessEnder } from './ProcessEnder';

/** Every listening TCP and bound UDP socket on this machine, with the process that holds it. */
export function PortsView() {
  const api = useApi();
  const open = useInspector((s) => s.portsOpen);
  const initialFilter = useInspector((s) => s.portsFilter);
  const closePorts = useInspector((s) => s.closePorts);
  const [filter, setFilter] = useState(initialFilter);
  const [ports, setPorts] = useState<PortEntry[] | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [loading, setLoading] = useState(false);

  const refresh = useCallback(async () => {
    setLoading(true);
    const result = await api.listPorts({});
    setLoading(false);
    if (result.ok) {
      setPorts(result.value);
      setError(null);
    } else setError(result);
  }, [api]);

  useEffect(() => {
    if (open) {
      setFilter(initialFilter);
      void refresh();
    }
  }, [open, initialFilter, refresh]);

  if (!open) return null;
  const f = filter.trim().toLowerCase();
  const shown = (ports ?? []).filter(
    (p) =>
      !f ||
      String(p.port) === f ||
      `${p.protocol} ${formatHostPort(p.address, p.port)} ${p.pid ?? ''} ${p.process ?? ''}`.toLowerCase().includes(f),
  );

  return (
    <div role="dialog" aria-label="Ports" className="overlay-view">
      <div className="ports-bar">
        <h2>Ports on this machine</h2>
        <label className="inline">
          Filter ports
          <input value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="port, address, process or pid" spellCheck={false} />
        </label>
        <button type="button" onClick={() => { if (!loading) void refresh(); }} aria-busy={loading}>
          {loading ? 'Refreshing…' : 'Refresh'}
        </button>
        <span className="spacer" />
        <button type="button" onClick={closePorts}>
          Close ports view
        </button>
      </div>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      <div className="ports-scroll">
        <table className="ports-table" aria-label="Listening sockets">
          <thead>
            <tr>
              <th scope="col">Protocol</th>
              <th scope="col">Address</th>
              <th scope="col">Port</th>
              <th scope="col">PID</th>
              <th scope="col">Process</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((p) => (
              <tr key={`${p.protocol}-${p.address}-${p.port}-${p.pid ?? 'x'}`}>
                <td>{p.protocol.toUpperCase()}</td>
                <td className="mono">{p.address}</td>
                <td className="mono">{p.port}</td>
                <td className="mono">{p.pid ?? '—'}</td>
                <td>
                  {p.ownerHidden ? <span className="muted">hidden (another user's process)</span> : (p.process ?? '—')}
                  {p.self && <span className="muted"> (this app)</span>}
                </td>
                <td>{p.pid !== undefined && !p.self && <ProcessEnder pid={p.pid} name={p.process ?? 'process'} onEnded={() => void refresh()} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {ports && shown.length === 0 && <p className="muted">No listening socket matches “{filter}”.</p>}
      </div>
    </div>
  );
}
