import { useId, useState, type FormEvent } from 'react';
import { formatBytes } from '../../../../shared/format';
import { clientDirection, type ConnectionInfo } from '../../../../shared/model';
import type { ErrorInfo } from '../../../../shared/result';
import { useApi } from '../../api/context';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useInspector } from '../../state/store';

/**
 * Replays a connection: as client (connect to a server and send what the client sent), or as
 * server (listen, and answer each new client with what the server sent). The replay runs as a
 * task: its progress and Stop are in the task list under the connection.
 */
export function ReplayForm({ connection, onDone }: { connection: ConnectionInfo; onDone: () => void }) {
  const api = useApi();
  const select = useInspector((s) => s.select);
  const ids = useId();
  const c = connection;
  const clientIn = clientDirection(c) === 'in';
  const clientBytes = clientIn ? c.bytesIn : c.bytesOut;
  const serverBytes = clientIn ? c.bytesOut : c.bytesIn;
  const server = clientIn ? c.local : c.remote;
  const [side, setSide] = useState<'client' | 'server'>('client');
  const [host, setHost] = useState(server && server.family !== 'unix' ? server.address : '127.0.0.1');
  const [port, setPort] = useState(server && server.family !== 'unix' && server.port > 0 ? String(server.port) : '');
  const [listenPort, setListenPort] = useState('0');
  const [timing, setTiming] = useState<'original' | 'scaled' | 'fast'>('original');
  const [speed, setSpeed] = useState('2');
  const [wait, setWait] = useState(true);
  const [replyTimeout, setReplyTimeout] = useState('5000');
  const [error, setError] = useState<ErrorInfo | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const number = (text: string) => (/^\s*\d+(\.\d+)?\s*$/.test(text) ? Number(text) : Number.NaN);
    const result = await api.startReplay({
      sourceId: c.id,
      side,
      host: side === 'client' ? host : host || '127.0.0.1',
      port: side === 'client' ? number(port) : number(listenPort),
      timing,
      speed: number(speed),
      waitForReplies: side === 'server' ? true : wait,
      replyTimeoutMs: number(replyTimeout),
    });
    if (!result.ok) return setError(result);
    setError(null);
    onDone();
    // Client mode: show the replay's own connection, where its traffic is captured.
    if (side === 'client' && result.value.replay?.connectionId) select(result.value.replay.connectionId);
    if (side === 'server' && result.value.replay?.listenerId) select(result.value.replay.listenerId);
  }

  return (
    <form className="replay-form" aria-label="Replay" onSubmit={submit} noValidate>
      <fieldset className="inline">
        <legend>Replay as</legend>
        <label className="radio">
          <input type="radio" name={`${ids}-side`} checked={side === 'client'} onChange={() => setSide('client')} /> Client: connect and send what the client sent (
          {formatBytes(clientBytes)})
        </label>
        <label className="radio">
          <input type="radio" name={`${ids}-side`} checked={side === 'server'} onChange={() => setSide('server')} /> Server: listen and answer each client with what the server
          sent ({formatBytes(serverBytes)})
        </label>
      </fieldset>
      <div className="form-row">
        <label className="field grow">
          <span>{side === 'client' ? 'Server host' : 'Listen on address'}</span>
          <input value={host} onChange={(e) => setHost(e.target.value)} spellCheck={false} />
        </label>
        {side === 'client' ? (
          <label className="field">
            <span>Server port</span>
            <input value={port} onChange={(e) => setPort(e.target.value)} inputMode="numeric" size={6} />
          </label>
        ) : (
          <label className="field">
            <span>Listen port</span>
            <input value={listenPort} onChange={(e) => setListenPort(e.target.value)} inputMode="numeric" size={6} title="0 picks a free port" />
          </label>
        )}
        <label className="field">
          <span>Timing</span>
          <select value={timing} onChange={(e) => setTiming(e.target.value as 'original' | 'scaled' | 'fast')}>
            <option value="original">Original timing</option>
            <option value="scaled">Scaled</option>
            <option value="fast">As fast as possible</option>
          </select>
        </label>
        {timing === 'scaled' && (
          <label className="field">
            <span>Speed (×)</span>
            <input value={speed} onChange={(e) => setSpeed(e.target.value)} inputMode="decimal" size={5} />
          </label>
        )}
        <label className="field">
          <span>Reply timeout (ms)</span>
          <input value={replyTimeout} onChange={(e) => setReplyTimeout(e.target.value)} inputMode="numeric" size={6} />
        </label>
      </div>
      {side === 'client' ? (
        <label className="checkbox">
          <input type="checkbox" checked={wait} onChange={(e) => setWait(e.target.checked)} /> Wait for the server's replies (before each chunk, until the server has sent as much as it
          had then)
        </label>
      ) : (
        <p className="muted small">Before each reply, the replay waits until the client has sent as much as the captured client had (at most the reply timeout).</p>
      )}
      <div className="inline">
        <button type="submit" className="primary">
          Start replay
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
    </form>
  );
}
