import { useEffect, useRef, useState } from 'react';
import { formatClock, formatHostPort } from '../../../shared/format';
import type { ErrorInfo } from '../../../shared/result';
import { useApi } from '../api/context';
import { ErrorAlert } from '../components/ErrorAlert';
import { useInspector } from '../state/store';
import { countClosed } from './nav/NavPane';
import { listenerKind, listenerWhere } from './nav/tree';
import { describeResponder, ResponderEditor } from './ResponderEditor';
import { encodeMessage } from './send/encode';
import { FormatFields } from './send/FormatFields';
import { MessageRow } from './send/MessageRow';
import { TaskList } from './send/TaskList';
import type { LineEnding } from '../../../shared/bytes';

/** A selected listener or relay: where it listens, its clients, its certificate, and what it can do. */
export function ListenerDetail({ id }: { id: string }) {
  const openExport = useInspector((s) => s.openExport);
  const api = useApi();
  const l = useInspector((s) => s.listeners[id]);
  const closed = useInspector((s) => countClosed(s.connections, id));
  const action = useInspector((s) => (s.listenerAction?.id === id ? s.listenerAction : null));
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [status, setStatus] = useState('');
  const [text, setText] = useState('');
  const [hex, setHex] = useState(false);
  const [ending, setEnding] = useState<LineEnding>('none');
  const broadcastRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!action) return;
    if (action.what === 'auto-reply') setEditing(true);
    else requestAnimationFrame(() => broadcastRef.current?.querySelector('textarea')?.focus());
  }, [action]);

  if (!l) return null;
  const where = listenerWhere(l);
  const report = (r: { ok: boolean } & Partial<ErrorInfo>) => setError(r.ok ? null : (r as ErrorInfo));

  async function broadcast() {
    const parsed = encodeMessage(text, { hex, lineEnding: ending });
    if (!parsed.ok) return setError({ code: 'INVALID_INPUT', message: `Not sent: ${parsed.error}.` });
    if (parsed.bytes.byteLength === 0) return setError({ code: 'EMPTY', message: 'Not sent: the message is empty.' });
    const r = await api.broadcast({ listenerId: id, data: parsed.bytes });
    report(r);
    if (r.ok) {
      setStatus(`Sent to ${r.value.connections} ${r.value.connections === 1 ? 'client' : 'clients'}.`);
      setText('');
    }
  }

  return (
    <main className="detail" aria-label={`Selected ${listenerKind(l)}`}>
      <header className="detail-header">
        <div className="detail-title">
          <span className="badge">{l.relay ? 'RELAY' : l.transport.toUpperCase()}</span>
          <span className="mono strong">{where}</span>
          <span className="muted">{listenerKind(l)}</span>
          {l.relay && (
            <span>
              forwards each client to <span className="mono strong">{formatHostPort(l.relay.targetHost, l.relay.targetPort)}</span>
            </span>
          )}
        </div>
        <div className="detail-stats">
          <span>
            {l.clientCount} {l.clientCount === 1 ? 'client' : 'clients'} open
          </span>
          <span className="muted">{l.acceptedCount} accepted</span>
          <span className="muted small">since {formatClock(l.startedAt)}</span>
          {l.transport !== 'unix' && l.requestedPort === 0 && <span className="muted small">(free port chosen)</span>}
          {l.halfOpen && <span className="muted small">clients that finish sending stay half-open, idle limit {l.halfOpen.idleSeconds} s</span>}
          <span className="spacer" />
          {!l.relay && (
            <button type="button" aria-expanded={editing} onClick={() => setEditing((v) => !v)} title="Answer this listener's clients automatically">
              Auto-reply: {describeResponder(l.responder)}
            </button>
          )}
          <button type="button" onClick={async () => report(await api.stopListener({ listenerId: id, closeClients: false }))} title="Stop accepting; open clients stay connected">
            Stop
          </button>
          <button type="button" className="danger" onClick={async () => report(await api.stopListener({ listenerId: id, closeClients: true }))}>
            Stop and close clients
          </button>
          <button
            type="button"
            aria-disabled={closed === 0}
            onClick={async () => {
              if (closed > 0) report(await api.removeClosed({ listenerId: id }));
            }}
            title="Forget this listener's closed connections and their captured bytes"
          >
            Remove closed
          </button>
          <button type="button" onClick={() => openExport({ listenerId: id })} title="Save every connection of this listener as pcapng, NDJSON, a transcript or raw bytes">
            Export…
          </button>
          <button
            type="button"
            onClick={async () => {
              const result = await api.clearCapture({ scope: { listenerId: id } });
              report(result);
              if (result.ok) setStatus(`Cleared the captures of ${result.value.connections} connection${result.value.connections === 1 ? '' : 's'}; they keep recording.`);
            }}
            title="Forget the bytes captured from this listener's connections; the connections stay"
          >
            Clear captures
          </button>
        </div>
        {l.tls && (
          <div className="fingerprint small">
            <span>
              Certificate: {l.tls.selfSigned ? 'self-signed for localhost' : l.tls.subject}
              {l.tls.requestClientCert ? ', asks clients for certificates' : ''}
            </span>
            <span>
              SHA-256 fingerprint: <code className="mono selectable">{l.tls.fingerprint256}</code>
            </span>
            <button
              type="button"
              className="mini"
              onClick={async () => {
                try {
                  await navigator.clipboard.writeText(l.tls!.fingerprint256);
                  setStatus('Fingerprint copied.');
                } catch {
                  setStatus('Could not copy: select the fingerprint and copy it.');
                }
              }}
            >
              Copy fingerprint
            </button>
          </div>
        )}
        {editing && <ResponderEditor target={{ listenerId: id }} current={l.responder} label={`listener ${where}`} onDone={() => setEditing(false)} />}
        <ErrorAlert error={error} onDismiss={() => setError(null)} />
      </header>
      <div className="listener-body">
        <p className="muted">
          {l.clientCount === 0
            ? `No client connected. Point a client at ${where}; its connection appears under this listener in the list.`
            : 'Its clients are listed under it: select one to see its traffic.'}
        </p>
      </div>
      <section className="sendbox" aria-labelledby="broadcast-heading" ref={broadcastRef}>
        <h2 id="broadcast-heading" className="small-heading">
          Send to all clients
        </h2>
        <div className="send-options">
          <FormatFields hex={hex} onHex={setHex} ending={ending} onEnding={setEnding} />
        </div>
        <MessageRow text={text} onText={setText} onSubmit={() => void broadcast()} enabled={l.clientCount > 0} action="Send to all clients" />
        {status && (
          <p className="muted small" role="status">
            {status}
          </p>
        )}
        <TaskList />
      </section>
    </main>
  );
}
