import { useRef, useState, type KeyboardEvent } from 'react';
import type { ErrorInfo } from '../../../../shared/result';
import { useApi } from '../../api/context';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useInspector } from '../../state/store';
import { MESSAGE_INPUT_ID, messageRows, useViewField } from '../../state/views';
import { encodeMessage } from './encode';
import { FormatFields } from './FormatFields';
import { FileSend } from './FileSend';
import { SavedMessages } from './SavedMessages';
import { TaskList } from './TaskList';
import { useSaved } from './useSaved';

const HISTORY_MAX = 100;

/**
 * Type a message and send it to the selected connection, or to every client of its listener.
 * Enter sends, Shift+Enter adds a newline, Up and Down walk the send history. Text mode
 * interprets \r \n \t \0 \\ \xNN; hex mode takes "48 65 6c 6c 6f". Input that cannot be turned
 * into bytes is refused with the reason, and nothing is sent. With Repeat, the send becomes a
 * task that runs N times or every X ms until stopped.
 */
export function SendBox({ connectionId }: { connectionId: string }) {
  const api = useApi();
  const state = useInspector((s) => s.connections[connectionId]?.state);
  const halfClosedBy = useInspector((s) => s.connections[connectionId]?.halfClosedBy);
  const listenerId = useInspector((s) => {
    const id = s.connections[connectionId]?.listenerId;
    return id && s.listeners[id] ? id : undefined;
  });
  const history = useInspector((s) => s.saved?.history);
  const { update: updateSaved } = useSaved();
  const [text, setText] = useViewField(connectionId, 'draft');
  const [hex, setHex] = useViewField(connectionId, 'hex');
  const [ending, setEnding] = useViewField(connectionId, 'ending');
  const [repeat, setRepeat] = useState(false);
  const [times, setTimes] = useState('10');
  const [every, setEvery] = useState('1000');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);
  const historyPos = useRef<number | null>(null);
  const canSend = state === 'open' || (state === 'half-closed' && halfClosedBy === 'peer');

  function remember(message: string) {
    historyPos.current = null;
    void updateSaved((saved) => {
      const h = saved.history.filter((m) => m !== message);
      h.push(message);
      return { ...saved, history: h.slice(-HISTORY_MAX) };
    });
  }

  async function send(toAll: boolean) {
    if (busy) return;
    const parsed = encodeMessage(text, { hex, lineEnding: ending });
    if (!parsed.ok) {
      setError({ code: 'INVALID_INPUT', message: `Not sent: ${parsed.error}.` });
      return;
    }
    if (parsed.bytes.byteLength === 0) {
      setError({ code: 'EMPTY', message: 'Not sent: the message is empty.' });
      return;
    }
    const target: { listenerId: string } | { connectionId: string } = toAll && listenerId ? { listenerId } : { connectionId };
    setBusy(true);
    let result;
    if (repeat) {
      const count = times.trim() === '' ? undefined : Number(times);
      const intervalMs = Number(every);
      if ((count !== undefined && (!Number.isInteger(count) || count < 1)) || !Number.isInteger(intervalMs) || intervalMs < 0) {
        setBusy(false);
        setError({ code: 'INVALID_INPUT', message: 'Repeat needs Times as a whole number of 1 or more (or empty for until stopped) and Every as whole milliseconds, 0 or more.' });
        return;
      }
      result = await api.startRepeat({ target, data: parsed.bytes, intervalMs, ...(count === undefined ? {} : { count }) });
      if (result.ok) setStatus(`Repeat started: ${count === undefined ? 'until stopped' : `${count} times`}, every ${intervalMs} ms.`);
    } else if ('listenerId' in target) {
      result = await api.broadcast({ listenerId: target.listenerId, data: parsed.bytes });
      if (result.ok) setStatus(`Sent to ${result.value.connections} ${result.value.connections === 1 ? 'client' : 'clients'}.`);
    } else {
      result = await api.send({ connectionId, data: parsed.bytes });
      if (result.ok) setStatus('');
    }
    setBusy(false);
    if (result.ok) {
      setError(null);
      remember(text);
      setText('');
    } else setError(result);
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      if (canSend && !busy) void send(false);
      return;
    }
    if ((e.key === 'ArrowUp' || e.key === 'ArrowDown') && !e.shiftKey && history && history.length > 0) {
      const el = e.currentTarget;
      const atStart = el.selectionStart === 0 && el.selectionEnd === 0;
      const atEnd = el.selectionStart === el.value.length;
      if (e.key === 'ArrowUp' && (atStart || historyPos.current !== null || el.value === '')) {
        e.preventDefault();
        const pos = historyPos.current === null ? history.length - 1 : Math.max(0, historyPos.current - 1);
        historyPos.current = pos;
        setText(history[pos]!);
      } else if (e.key === 'ArrowDown' && historyPos.current !== null && atEnd) {
        e.preventDefault();
        const pos = historyPos.current + 1;
        if (pos >= history.length) {
          historyPos.current = null;
          setText('');
        } else {
          historyPos.current = pos;
          setText(history[pos]!);
        }
      }
    }
  }

  return (
    <section className="sendbox" aria-labelledby="send-heading">
      <h2 id="send-heading" className="visually-hidden">
        Send
      </h2>
      <TaskList />
      <div className="send-row">
        <label className="field grow">
          <span>Message</span>
          <textarea
            id={MESSAGE_INPUT_ID}
            value={text}
            rows={messageRows(text)}
            spellCheck={false}
            aria-invalid={error?.code === 'INVALID_INPUT' ? true : undefined}
            onChange={(e) => {
              setText(e.target.value);
              historyPos.current = null;
              if (error?.code === 'INVALID_INPUT' || error?.code === 'EMPTY') setError(null);
            }}
            onKeyDown={onKeyDown}
            placeholder={canSend ? (hex ? '48 65 6c 6c 6f' : 'Type a message') : 'This connection cannot send (it is not open)'}
          />
        </label>
        <div className="send-buttons">
          <button type="button" className="primary" disabled={!canSend} aria-busy={busy} onClick={() => void send(false)}>
            Send
          </button>
          {listenerId && (
            <button type="button" aria-busy={busy} onClick={() => void send(true)} title="Send to every open client of this listener">
              Send to all clients
            </button>
          )}
        </div>
      </div>
      <div className="send-options">
        <FormatFields hex={hex} onHex={setHex} ending={ending} onEnding={setEnding} />
        <label className="inline">
          <input type="checkbox" checked={repeat} onChange={(e) => setRepeat(e.target.checked)} /> Repeat
        </label>
        {repeat && (
          <>
            <label className="inline">
              Times
              <input className="small-input" value={times} onChange={(e) => setTimes(e.target.value)} inputMode="numeric" placeholder="∞" title="Empty: until stopped" />
            </label>
            <label className="inline">
              Every (ms)
              <input className="small-input" value={every} onChange={(e) => setEvery(e.target.value)} inputMode="numeric" />
            </label>
          </>
        )}
        <FileSend connectionId={connectionId} disabled={!canSend} />
        <SavedMessages connectionId={connectionId} canSend={canSend} current={{ text, hex, lineEnding: ending }} />
        <span className="muted small send-hint">
          {hex ? 'Hex bytes, e.g. 48 65 6c 6c 6f' : 'Escapes: \\r \\n \\t \\0 \\\\ \\xNN'} · Enter sends · Shift+Enter newline · ↑↓ history
        </span>
      </div>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      {status && (
        <p className="muted small" role="status">
          {status}
        </p>
      )}
    </section>
  );
}
