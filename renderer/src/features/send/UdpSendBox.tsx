import { useState } from 'react';
import type { ErrorInfo } from '../../../../shared/result';
import { useApi } from '../../api/context';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useInspector } from '../../state/store';
import { useViewField } from '../../state/views';
import { parsePortField } from '../fields';
import { encodeMessage } from './encode';
import { FormatFields } from './FormatFields';
import { MessageRow } from './MessageRow';

/** Sends one datagram per Send from a bound UDP socket to a destination host and port. */
export function UdpSendBox({ connectionId }: { connectionId: string }) {
  const api = useApi();
  const open = useInspector((s) => s.connections[connectionId]?.state === 'open');
  // A socket on an IPv6 address sends to IPv6 peers: ::1 is the loopback it can reach.
  const v6 = useInspector((s) => (s.connections[connectionId]?.local?.address ?? '').includes(':'));
  const [savedHost, setHost] = useViewField(connectionId, 'udpHost');
  const [savedPort, setPort] = useViewField(connectionId, 'udpPort');
  const host = savedHost ?? (v6 ? '::1' : '127.0.0.1');
  const port = savedPort ?? '';
  const [text, setText] = useViewField(connectionId, 'draft');
  const [hex, setHex] = useViewField(connectionId, 'hex');
  const [ending, setEnding] = useViewField(connectionId, 'ending');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [status, setStatus] = useState('');

  async function send() {
    const p = parsePortField(port, { allowZero: false, label: 'Destination port' });
    if (!p.ok) return setError(p.error);
    const parsed = encodeMessage(text, { hex, lineEnding: ending });
    if (!parsed.ok) return setError({ code: 'INVALID_INPUT', message: `Not sent: ${parsed.error}.` });
    const result = await api.sendUdp({ connectionId, host, port: p.port, data: parsed.bytes });
    if (!result.ok) return setError(result);
    setError(null);
    setStatus(`Sent a datagram of ${result.value.bytes.toLocaleString('en-US')} bytes.`);
    setText('');
  }

  return (
    <section className="sendbox" aria-labelledby="udp-send-heading">
      <h2 id="udp-send-heading" className="visually-hidden">
        Send a datagram
      </h2>
      <div className="send-options">
        <label className="inline">
          Destination host
          <input className="small-input wide" value={host} onChange={(e) => setHost(e.target.value)} spellCheck={false} />
        </label>
        <label className="inline">
          Destination port
          <input className="small-input" value={port} onChange={(e) => setPort(e.target.value)} inputMode="numeric" />
        </label>
        <FormatFields hex={hex} onHex={setHex} ending={ending} onEnding={setEnding} />
        <span className="muted small">Each Send is one datagram. Expand a received row to reply to its sender.</span>
      </div>
      <MessageRow text={text} onText={setText} onSubmit={() => void send()} enabled={open} action="Send datagram" />
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      {status && (
        <p className="muted small" role="status">
          {status}
        </p>
      )}
    </section>
  );
}
