import { useState, type KeyboardEvent } from 'react';
import { parseEscapes, parseHex, withLineEnding, type LineEnding } from '../../../shared/bytes';
import type { ErrorInfo } from '../../../shared/result';
import { useApi } from '../api/context';
import { ErrorAlert } from '../components/ErrorAlert';
import { useInspector } from '../state/store';

/**
 * Type a message and send it to the selected connection. Enter sends, Shift+Enter adds a
 * newline. Text mode interprets \r \n \t \0 \\ \xNN; hex mode takes "48 65 6c 6c 6f". Input
 * that cannot be turned into bytes is refused with the reason, and nothing is sent.
 */
export function SendBox({ connectionId }: { connectionId: string }) {
  const api = useApi();
  const state = useInspector((s) => s.connections[connectionId]?.state);
  const halfClosedBy = useInspector((s) => s.connections[connectionId]?.halfClosedBy);
  const [text, setText] = useState('');
  const [hex, setHex] = useState(false);
  const [ending, setEnding] = useState<LineEnding>('none');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const canSend = state === 'open' || (state === 'half-closed' && halfClosedBy === 'peer');

  async function send() {
    const parsed = hex ? parseHex(text) : parseEscapes(text);
    if (!parsed.ok) {
      setError({ code: 'INVALID_INPUT', message: `Not sent: ${parsed.error}.` });
      return;
    }
    const bytes = withLineEnding(parsed.bytes, ending);
    if (bytes.byteLength === 0) {
      setError({ code: 'EMPTY', message: 'Not sent: the message is empty.' });
      return;
    }
    setBusy(true);
    const result = await api.send({ connectionId, data: bytes });
    setBusy(false);
    if (result.ok) {
      setError(null);
      setText('');
    } else setError(result);
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      if (canSend && !busy) void send();
    }
  }

  return (
    <section className="sendbox" aria-labelledby="send-heading">
      <h2 id="send-heading" className="visually-hidden">
        Send
      </h2>
      <div className="send-options">
        <label className="inline">
          <input type="checkbox" checked={hex} onChange={(e) => setHex(e.target.checked)} /> Hex input
        </label>
        <label className="inline">
          Line ending
          <select value={ending} onChange={(e) => setEnding(e.target.value as LineEnding)}>
            <option value="none">None</option>
            <option value="lf">LF (\n)</option>
            <option value="crlf">CRLF (\r\n)</option>
          </select>
        </label>
        <span className="muted small">
          {hex ? 'Hex bytes, e.g. 48 65 6c 6c 6f' : 'Escapes: \\r \\n \\t \\0 \\\\ \\xNN'} · Enter sends, Shift+Enter adds a newline
        </span>
      </div>
      <div className="send-row">
        <label className="field grow">
          <span>Message</span>
          <textarea
            value={text}
            rows={2}
            spellCheck={false}
            aria-invalid={error?.code === 'INVALID_INPUT' ? true : undefined}
            onChange={(e) => {
              setText(e.target.value);
              if (error?.code === 'INVALID_INPUT' || error?.code === 'EMPTY') setError(null);
            }}
            onKeyDown={onKeyDown}
            placeholder={canSend ? (hex ? '48 65 6c 6c 6f' : 'Type a message') : 'This connection cannot send (it is not open)'}
          />
        </label>
        <button type="button" className="primary" disabled={!canSend || busy} onClick={() => void send()}>
          Send
        </button>
      </div>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
    </section>
  );
}
