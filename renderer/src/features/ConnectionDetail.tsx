import { useEffect, useState } from 'react';
import { formatBytes, formatClock, formatEndpoint } from '../../../shared/format';
import type { ProgramInfo, TlsDetails } from '../../../shared/model';
import type { ErrorInfo } from '../../../shared/result';
import { useApi } from '../api/context';
import { ErrorAlert } from '../components/ErrorAlert';
import { useInspector } from '../state/store';
import { describeState } from './nav/tree';
import { describeResponder, ResponderEditor } from './ResponderEditor';
import { SendBox } from './send/SendBox';
import { UdpSendBox } from './send/UdpSendBox';
import { UdpControls } from './UdpControls';
import { RelayControls } from './RelayControls';
import { RelayInjectBox } from './send/RelayInjectBox';
import { Traffic } from './views/Traffic';
import { ReplayForm } from './replay/ReplayForm';
import { TaskList } from './send/TaskList';
import { describeTlsAuthorization } from '../../../shared/tls-verification';

/** The selected connection: its endpoints, state and counters, its traffic, and the send box. */
export function ConnectionDetail() {
  const api = useApi();
  const id = useInspector((s) => s.selectedId);
  const c = useInspector((s) => (s.selectedId ? s.connections[s.selectedId] : undefined));
  const listenerResponder = useInspector((s) => {
    const lid = s.selectedId ? s.connections[s.selectedId]?.listenerId : undefined;
    return lid ? s.listeners[lid]?.responder : undefined;
  });
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [editing, setEditing] = useState(false);
  const [replaying, setReplaying] = useState(false);
  const [status, setStatus] = useState('');
  const openExport = useInspector((s) => s.openExport);

  useEffect(() => {
    setError(null);
    setEditing(false);
    setReplaying(false);
    setStatus('');
  }, [id]);

  if (!id || !c) {
    return (
      <main className="detail empty-detail">
        <div className="empty-help">
          <p>Select a connection in the list to see its traffic and send to it.</p>
          <p className="muted">
            New: <strong>Listen</strong> starts a server, <strong>Connect</strong> opens a client connection, <strong>UDP</strong> binds a datagram socket,{' '}
            <strong>Relay</strong> sits between a client and a server. Press F1 for the keyboard shortcuts.
          </p>
        </div>
      </main>
    );
  }

  const close = async (mode: 'end' | 'reset') => {
    const result = await api.closeConnection({ connectionId: id, mode });
    setError(result.ok ? null : result);
  };
  const closable = c.state !== 'closed' && !(c.state === 'half-closed' && c.halfClosedBy === 'local');

  return (
    <main className="detail" aria-label="Selected connection">
      <header className="detail-header">
        <div className="detail-title">
          <span className="mono strong">{formatEndpoint(c.local)}</span>
          {c.origin === 'opened' ? (
            <>
              <span className="muted">{c.transport === 'udp' ? 'sent datagrams to' : 'connected to'}</span>
              <span className="mono strong">{formatEndpoint(c.remote)}</span>
              <span className="muted">
                · stream {c.source?.stream} of <span className="mono">{c.source?.fileName}</span> (read-only: out is the client, in the server)
              </span>
            </>
          ) : c.origin === 'bound' ? (
            <span className="muted">UDP socket: each datagram is a row, with its sender</span>
          ) : c.origin === 'relay' ? (
            <>
              <span className="muted">relays client</span>
              <span className="mono strong">{formatEndpoint(c.remote)}</span>
              <span className="muted">to</span>
              <span className="mono strong">{c.relay?.target}</span>
            </>
          ) : (
            <>
              <span className="muted">{c.origin === 'accepted' ? 'accepted from' : 'connected to'}</span>
              <span className="mono strong">{formatEndpoint(c.remote)}</span>
            </>
          )}
          <span className={`state-label state-${c.state}`}>{describeState(c)}</span>
        </div>
        <div className="detail-stats">
          <span className="dir-in">
            {c.origin === 'relay' ? 'c→s' : 'in'} {formatBytes(c.bytesIn)} · {c.chunksIn} {c.chunksIn === 1 ? 'chunk' : 'chunks'}
          </span>
          <span className="dir-out">
            {c.origin === 'relay' ? 's→c' : 'out'} {formatBytes(c.bytesOut)} · {c.chunksOut} {c.chunksOut === 1 ? 'chunk' : 'chunks'}
          </span>
          <span className="muted small" title="When it was created, opened and closed">
            {c.openedAt ? `opened ${formatClock(c.openedAt)}` : `created ${formatClock(c.createdAt)}`}
            {c.closedAt ? ` · closed ${formatClock(c.closedAt)}` : ''}
          </span>
          {/* Said once: when an error explains the ending, the alert below says it. */}
          {c.closeReason && !(c.error && c.state === 'closed') && <span className="muted">{c.closeReason}</span>}
          {c.source && c.source.missingBytes > 0 && <span className="muted">{formatBytes(c.source.missingBytes)} missing from the file</span>}
          <span className="spacer" />
          {c.transport !== 'udp' && (
            <button type="button" aria-expanded={replaying} onClick={() => setReplaying((v) => !v)} title="Send this conversation again: as its client to a server, or as its server to new clients">
              Replay…
            </button>
          )}
          <button type="button" onClick={() => openExport({ connectionId: id })} title="Save this connection as pcapng, NDJSON, a transcript or raw bytes">
            Export…
          </button>
          <button
            type="button"
            disabled={c.chunksIn + c.chunksOut === 0}
            onClick={async () => {
              const result = await api.clearCapture({ scope: { connectionId: id } });
              setError(result.ok ? null : result);
              setStatus(result.ok ? `Cleared ${formatBytes(result.value.bytes)} of captured bytes; the connection keeps recording.` : '');
            }}
            title="Forget the bytes captured so far; the connection stays and keeps recording"
          >
            Clear capture
          </button>
          {c.origin !== 'opened' && !c.relay && !c.udp && (
            <button type="button" aria-expanded={editing} disabled={c.state === 'closed'} onClick={() => setEditing((v) => !v)} title="Answer this connection automatically">
            Auto-reply: {c.responder || !listenerResponder ? describeResponder(c.responder) : `listener's (${describeResponder(listenerResponder)})`}
          </button>
          )}
          {c.origin === 'opened' ? null : c.transport === 'udp' ? (
            <button type="button" disabled={c.state === 'closed'} onClick={() => void close('end')} title="Close this socket: it stops receiving">
              Close
            </button>
          ) : (
            <>
              <button type="button" disabled={!closable} onClick={() => void close('end')} title="Close gracefully: send FIN">
                Close
              </button>
              <button type="button" className="danger" disabled={c.state === 'closed'} onClick={() => void close('reset')} title="Abort: send RST">
                Reset
              </button>
            </>
          )}
          {c.state === 'closed' && (
            <button
              type="button"
              onClick={async () => {
                const result = await api.removeClosed({ connectionId: id });
                setError(result.ok ? null : result);
              }}
              title="Forget this closed connection and its captured bytes"
            >
              Remove
            </button>
          )}
        </div>
        {status && (
          <p className="muted small" role="status">
            {status}
          </p>
        )}
        {replaying && <ReplayForm connection={c} onDone={() => setReplaying(false)} />}
        {editing && (
          <ResponderEditor target={{ connectionId: id }} current={c.responder} label={`connection ${formatEndpoint(c.remote)}`} onDone={() => setEditing(false)} />
        )}
        {c.tls && <TlsInfo tls={c.tls} peer={c.origin === 'accepted' ? 'client' : 'server'} />}
        {c.udp && <UdpControls connection={c} />}
        {c.relay && <RelayControls connection={c} />}
        {c.program && <ProgramStatus program={c.program} />}
        {c.error && c.state === 'closed' && <ErrorAlert error={c.error} />}
        <ErrorAlert error={error} onDismiss={() => setError(null)} />
      </header>
      <Traffic key={id} connectionId={id} />
      {c.origin === 'opened' ? (
        <TaskList />
      ) : c.transport === 'udp' ? (
        <UdpSendBox key={`udp-${id}`} connectionId={id} />
      ) : c.relay ? (
        <RelayInjectBox key={`relay-${id}`} connectionId={id} />
      ) : (
        <SendBox key={`send-${id}`} connectionId={id} />
      )}
    </main>
  );
}

/** The program behind a connection: its state, pid, exit code and the tail of its stderr. */
function ProgramStatus({ program }: { program: ProgramInfo }) {
  const ended =
    program.state === 'failed'
      ? `could not start: ${program.error ?? 'unknown error'}`
      : program.state === 'exited'
        ? program.signal
          ? `ended by ${program.signal}`
          : `exited with code ${program.exitCode}`
        : 'running';
  return (
    <section className="program" aria-label="Program">
      <div className="inline small">
        <span className="badge">program</span>
        <span className="mono">{program.command}</span>
        {program.pid !== undefined && <span className="muted">pid {program.pid}</span>}
        <span className={program.state === 'running' ? 'state-label state-open' : program.state === 'failed' || (program.exitCode ?? 0) !== 0 ? 'dir-out' : 'muted'}>
          {ended}
        </span>
      </div>
      {program.stderr && (
        <pre className="stderr" aria-label="Program stderr">
          {program.stderr}
        </pre>
      )}
    </section>
  );
}

/** How a TLS connection was negotiated, whether the peer's certificate verified, and its chain. */
function TlsInfo({ tls, peer }: { tls: TlsDetails; peer: 'client' | 'server' }) {
  return (
    <section className="tls-info" aria-label="TLS">
      <div className="inline small">
        <span className="badge">TLS</span>
        <span>{tls.protocol ?? 'no handshake'}</span>
        {tls.cipher && <span className="mono">{tls.cipher}</span>}
        <span>ALPN {tls.alpn ?? 'none'}</span>
        {tls.servername && <span>SNI {tls.servername}</span>}
        {tls.chain.length > 0 &&
          (tls.authorized ? (
            <span className="verified">certificate verified</span>
          ) : (
            <span className="unverified">certificate not verified</span>
          ))}
      </div>
      {tls.chain.length > 0 && (
        <p className="tls-words">
          {describeTlsAuthorization(tls, peer)}
          {tls.authorizationError && <span className="alert-code"> {tls.authorizationError}</span>}
        </p>
      )}
      {tls.chain.length > 0 && (
        <details>
          <summary>Certificate chain ({tls.chain.length})</summary>
          <ol className="cert-list" aria-label="Certificate chain">
            {tls.chain.map((cert) => (
              <li key={cert.fingerprint256}>
                <div>subject: {cert.subject}</div>
                <div>issuer: {cert.issuer}{cert.selfSigned ? ' (self-signed)' : ''}</div>
                <div>
                  valid: {cert.validFrom} to {cert.validTo}
                </div>
                {cert.subjectAltNames.length > 0 && <div>names: {cert.subjectAltNames.join(', ')}</div>}
                <div>SHA-256: {cert.fingerprint256}</div>
              </li>
            ))}
          </ol>
        </details>
      )}
    </section>
  );
}
