import { useState } from 'react';
import type { LineEnding } from '../../../../shared/bytes';
import type { ErrorInfo } from '../../../../shared/result';
import { useApi } from '../../api/context';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useInspector } from '../../state/store';
import { DIRECTION_LABEL } from '../RelayControls';
import { encodeMessage } from './encode';
import { FormatFields } from './FormatFields';
import { MessageRow } from './MessageRow';

/** Injects a message into one direction of a relay pair, as if that side had sent it. */
export function RelayInjectBox({ connectionId }: { connectionId: string }) {
  const api = useApi();
  const open = useInspector((s) => s.connections[connectionId]?.state !== 'closed');
  // A pair whose target could not be reached, or has gone, has no one to inject into.
  const noTarget = useInspector((s) => {
    const upstream = s.connections[connectionId]?.relay?.upstream;
    return upstream === 'failed' || upstream === 'closed';
  });
  const [direction, setDirection] = useState<'c2s' | 's2c'>('c2s');
  const [text, setText] = useState('');
  const [hex, setHex] = useState(false);
  const [ending, setEnding] = useState<LineEnding>('none');
  const [error, setError] = useState<ErrorInfo | null>(null);

  async function inject() {
    const parsed = encodeMessage(text, { hex, lineEnding: ending });
    if (!parsed.ok) return setError({ code: 'INVALID_INPUT', message: `Not sent: ${parsed.error}.` });
    const result = await api.relayInject({ connectionId, direction, data: parsed.bytes });
    if (!result.ok) return setError(result);
    setError(null);
    setText('');
  }

  return (
    <section className="sendbox" aria-labelledby="inject-heading">
      <h2 id="inject-heading" className="visually-hidden">
        Inject
      </h2>
      <div className="send-options">
        <label className="inline">
          Inject into
          <select aria-label="Inject into" value={direction} onChange={(e) => setDirection(e.target.value as 'c2s' | 's2c')}>
            <option value="c2s">{DIRECTION_LABEL.c2s}</option>
            <option value="s2c">{DIRECTION_LABEL.s2c}</option>
          </select>
        </label>
        <FormatFields hex={hex} onHex={setHex} ending={ending} onEnding={setEnding} />
        <span className="muted small">
          {noTarget ? 'Nothing to inject into: this pair has no target.' : 'Injected bytes go after what is already queued in that direction.'}
        </span>
      </div>
      <MessageRow text={text} onText={setText} onSubmit={() => void inject()} enabled={open && !noTarget} action="Inject" />
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
    </section>
  );
}
