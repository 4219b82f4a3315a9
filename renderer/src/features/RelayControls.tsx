import { useState } from 'react';
import { formatBytes } from '../../../shared/format';
import type { ConnectionInfo, RelayDirectionInfo } from '../../../shared/model';
import type { ErrorInfo } from '../../../shared/result';
import { useApi } from '../api/context';
import { ErrorAlert } from '../components/ErrorAlert';

type Direction = 'c2s' | 's2c';

export const DIRECTION_LABEL: Record<Direction, string> = { c2s: 'Client → server', s2c: 'Server → client' };

/** Per direction of a relay pair: pause and resume, latency and a bandwidth limit, what is queued. */
export function RelayControls({ connection }: { connection: ConnectionInfo }) {
  const relay = connection.relay;
  if (!relay) return null;
  return (
    <section className="relay-controls" aria-label="Relay">
      <div className="inline small">
        <span className="badge">RELAY</span>
        <span>
          to <span className="mono">{relay.target}</span>: {relay.upstream === 'failed' ? 'could not connect' : relay.upstream}
        </span>
      </div>
      <RelayDirectionRow connectionId={connection.id} direction="c2s" state={relay.c2s} />
      <RelayDirectionRow connectionId={connection.id} direction="s2c" state={relay.s2c} />
    </section>
  );
}

function RelayDirectionRow({ connectionId, direction, state }: { connectionId: string; direction: Direction; state: RelayDirectionInfo }) {
  const api = useApi();
  const [latency, setLatency] = useState(String(state.latencyMs));
  const [kbps, setKbps] = useState(String(state.kbps));
  const [error, setError] = useState<ErrorInfo | null>(null);
  const label = DIRECTION_LABEL[direction];

  async function control(settings: { paused?: boolean; latencyMs?: number; kbps?: number }) {
    const result = await api.relayControl({ connectionId, direction, ...settings });
    setError(result.ok ? null : result);
  }

  function apply() {
    const l = Number(latency);
    const k = Number(kbps);
    if (!Number.isInteger(l) || l < 0 || !Number.isInteger(k) || k < 0) {
      return setError({ code: 'INVALID_INPUT', message: 'Latency and bandwidth must be whole numbers, 0 or more (0 KiB/s means no limit).' });
    }
    void control({ latencyMs: l, kbps: k });
  }

  return (
    <div className="relay-direction" role="group" aria-label={label}>
      <span className={`relay-label ${direction}`}>{label}</span>
      <button type="button" className="mini" onClick={() => void control({ paused: !state.paused })}>
        {state.paused ? 'Resume' : 'Pause'}
      </button>
      <label className="inline small">
        Latency (ms)
        <input className="small-input" value={latency} onChange={(e) => setLatency(e.target.value)} inputMode="numeric" />
      </label>
      <label className="inline small">
        Bandwidth (KiB/s)
        <input className="small-input" value={kbps} onChange={(e) => setKbps(e.target.value)} inputMode="numeric" title="0 means no limit" />
      </label>
      <button type="button" className="mini" onClick={apply}>
        Apply
      </button>
      <span className="muted small">
        {state.paused ? 'paused · ' : ''}
        {formatBytes(state.queuedBytes)} queued · {formatBytes(state.forwardedBytes)} forwarded{state.finForwarded ? ' · FIN passed on' : ''}
      </span>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
    </div>
  );
}
