import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { formatBytes, formatEndpoint } from '../../../shared/format';
import type { ConnectionInfo } from '../../../shared/model';
import type { ErrorInfo } from '../../../shared/result';
import { useApi } from '../api/context';
import { ErrorAlert } from '../components/ErrorAlert';
import { useInspector } from '../state/store';

const ROW_HEIGHT = 54;

/** Human words for a connection's state. */
export function describeState(c: ConnectionInfo): string {
  if (c.state === 'half-closed') return c.halfClosedBy === 'peer' ? 'half-closed (peer sent FIN)' : 'half-closed (you sent FIN)';
  return c.state;
}

/** Every connection, newest last, virtualized so thousands stay smooth. Click one to select it. */
export function ConnectionList() {
  const api = useApi();
  const ids = useInspector(useShallow((s) => s.connectionOrder));
  const closed = useInspector((s) => countClosed(s.connections));
  const removed = useInspector((s) => s.removed);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const parentRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: ids.length,
    getScrollElement: () => parentRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    getItemKey: (i) => ids[i]!,
  });

  return (
    <section className="panel connections-panel" aria-labelledby="connections-heading">
      <div className="heading-row">
        <h2 id="connections-heading">
          Connections <span className="muted small">{ids.length}</span>
        </h2>
        {removed.connections > 0 && (
          <span className="muted small" title={`They carried ${formatBytes(removed.bytesIn)} in and ${formatBytes(removed.bytesOut)} out`}>
            {removed.connections} closed removed
          </span>
        )}
        <span className="spacer" />
        <button
          type="button"
          className="mini"
          disabled={closed === 0}
          onClick={async () => {
            const result = await api.removeClosed({});
            setError(result.ok ? null : result);
          }}
          title="Forget every closed connection and its captured bytes"
        >
          Remove closed
        </button>
      </div>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      {ids.length === 0 && <p className="muted small">No connections yet. Start a listener and connect a client, or connect to a server.</p>}
      <div ref={parentRef} className="connection-scroll">
        <ul aria-label="Connections" className="connection-list" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => (
            <ConnectionRow key={item.key} id={ids[item.index]!} top={item.start} />
          ))}
        </ul>
      </div>
    </section>
  );
}

/** How many connections are closed (a selector: a number, so rows re-render only when it changes). */
export function countClosed(connections: Record<string, ConnectionInfo>, listenerId?: string): number {
  let n = 0;
  for (const id in connections) {
    const c = connections[id]!;
    if (c.state === 'closed' && (listenerId === undefined || c.listenerId === listenerId)) n++;
  }
  return n;
}

function ConnectionRow({ id, top }: { id: string; top: number }) {
  const c = useInspector((s) => s.connections[id]);
  const selected = useInspector((s) => s.selectedId === id);
  const select = useInspector((s) => s.select);
  if (!c) return null;
  const arrow = c.origin;
  return (
    <li className="connection-item" style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}>
      <button
        type="button"
        className={`connection-button state-${c.state}${selected ? ' selected' : ''}`}
        aria-current={selected ? 'true' : undefined}
        onClick={() => select(id)}
      >
        <span className="conn-line">
          <span className={`dot state-${c.state}`} aria-hidden="true" />
          <span className="mono">{formatEndpoint(c.local)}</span>
          <span aria-hidden="true">{c.origin === 'accepted' ? '⇠' : '⇢'}</span>
          <span className="visually-hidden">{c.origin === 'accepted' ? ' accepted from ' : ' connected to '}</span>
          <span className="mono">
            {c.origin === 'bound'
              ? 'datagrams'
              : c.origin === 'relay'
                ? `${formatEndpoint(c.remote)} ⇄ ${c.relay?.target ?? ''}`
                : c.origin === 'outgoing' && c.state === 'connecting'
                  ? `${c.remoteHost}:${c.remote.port}`
                  : formatEndpoint(c.remote)}
          </span>
        </span>
        <span className="conn-line small">
          <span className={`state-label state-${c.state}`}>{describeState(c)}</span>
          {c.transport !== 'tcp' && <span className="badge">{c.transport.toUpperCase()}</span>}
          <span className="muted">{arrow}</span>
          <span className="spacer" />
          <span className="dir-in">{c.origin === 'relay' ? 'c→s' : 'in'} {formatBytes(c.bytesIn)}</span>
          <span className="dir-out">{c.origin === 'relay' ? 's→c' : 'out'} {formatBytes(c.bytesOut)}</span>
        </span>
      </button>
    </li>
  );
}
