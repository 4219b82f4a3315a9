import { useState } from 'react';
import { describeSchemaError, framingSchema } from '../../../../shared/contract';
import type { FramingSpec } from '../../../../shared/reading';
import { useInspector } from '../../state/store';

const NAMED: Record<string, string> = { '0a': 'lf', '0d0a': 'crlf', '00': 'nul' };
const HEX_OF: Record<string, string> = { lf: '0a', crlf: '0d0a', nul: '00' };

/**
 * How the Frames view cuts this connection's streams: a delimiter, a length prefix or a fixed
 * size. Applies to this connection, or to every client of its listener (a client's own framing
 * wins over its listener's).
 */
export function FramingForm({ connectionId, current, own, onDone }: { connectionId: string; current: FramingSpec; own: boolean; onDone: () => void }) {
  const listenerId = useInspector((s) => s.connections[connectionId]?.listenerId);
  const setView = useInspector((s) => s.setView);
  const setListenerFraming = useInspector((s) => s.setListenerFraming);
  const [kind, setKind] = useState<FramingSpec['kind']>(current.kind);
  const [delimiter, setDelimiter] = useState(current.kind === 'delimiter' ? (NAMED[current.delimiterHex] ?? 'custom') : 'lf');
  const [customHex, setCustomHex] = useState(current.kind === 'delimiter' && !NAMED[current.delimiterHex] ? current.delimiterHex : '');
  const [maxFrame, setMaxFrame] = useState(String(current.kind !== 'fixed' ? current.maxFrameBytes : 65_536));
  const [lengthBytes, setLengthBytes] = useState(String(current.kind === 'length' ? current.lengthBytes : 2));
  const [endian, setEndian] = useState<'big' | 'little'>(current.kind === 'length' ? current.endian : 'big');
  const [lengthOffset, setLengthOffset] = useState(String(current.kind === 'length' ? current.lengthOffset : 0));
  const [includesHeader, setIncludesHeader] = useState(current.kind === 'length' ? current.includesHeader : false);
  const [adjustment, setAdjustment] = useState(String(current.kind === 'length' ? current.adjustment : 0));
  const [size, setSize] = useState(String(current.kind === 'fixed' ? current.size : 16));
  const [forListener, setForListener] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const num = (t: string) => (t.trim() === '' ? NaN : Number(t));

  function apply(e: React.FormEvent) {
    e.preventDefault();
    const raw =
      kind === 'delimiter'
        ? { kind, delimiterHex: delimiter === 'custom' ? customHex : HEX_OF[delimiter]!, maxFrameBytes: num(maxFrame) }
        : kind === 'length'
          ? { kind, lengthBytes: num(lengthBytes), endian, lengthOffset: num(lengthOffset), includesHeader, adjustment: num(adjustment), maxFrameBytes: num(maxFrame) }
          : { kind, size: num(size) };
    const parsed = framingSchema.safeParse(raw);
    if (!parsed.success) {
      setError(describeSchemaError(parsed.error));
      return;
    }
    const spec = parsed.data as FramingSpec;
    if (forListener && listenerId) setListenerFraming(listenerId, spec);
    else setView(connectionId, { framing: spec });
    onDone();
  }

  return (
    <form className="framing-form" aria-label="Framing" onSubmit={apply} onKeyDown={(e) => e.key === 'Escape' && (e.stopPropagation(), onDone())}>
      <label className="inline small">
        Frame by
        <select value={kind} onChange={(e) => setKind(e.target.value as FramingSpec['kind'])}>
          <option value="delimiter">Delimiter</option>
          <option value="length">Length prefix</option>
          <option value="fixed">Fixed size</option>
        </select>
      </label>
      {kind === 'delimiter' && (
        <>
          <label className="inline small">
            Delimiter
            <select value={delimiter} onChange={(e) => setDelimiter(e.target.value)}>
              <option value="lf">LF (\n)</option>
              <option value="crlf">CRLF (\r\n)</option>
              <option value="nul">NUL (\0)</option>
              <option value="custom">Custom bytes</option>
            </select>
          </label>
          {delimiter === 'custom' && (
            <label className="inline small">
              Delimiter bytes (hex)
              <input value={customHex} onChange={(e) => setCustomHex(e.target.value)} placeholder="7e 7e" spellCheck={false} />
            </label>
          )}
        </>
      )}
      {kind === 'length' && (
        <>
          <label className="inline small">
            Length field
            <select value={lengthBytes} onChange={(e) => setLengthBytes(e.target.value)}>
              <option value="1">1 byte</option>
              <option value="2">2 bytes</option>
              <option value="4">4 bytes</option>
              <option value="8">8 bytes</option>
            </select>
          </label>
          <label className="inline small">
            Byte order
            <select value={endian} onChange={(e) => setEndian(e.target.value as 'big' | 'little')}>
              <option value="big">Big endian</option>
              <option value="little">Little endian</option>
            </select>
          </label>
          <label className="inline small">
            Length offset
            <input className="narrow" type="number" min={0} value={lengthOffset} onChange={(e) => setLengthOffset(e.target.value)} />
          </label>
          <label className="inline small">
            <input type="checkbox" checked={includesHeader} onChange={(e) => setIncludesHeader(e.target.checked)} />
            Length counts header
          </label>
          <label className="inline small">
            Length adjustment
            <input className="narrow" type="number" value={adjustment} onChange={(e) => setAdjustment(e.target.value)} />
          </label>
        </>
      )}
      {kind === 'fixed' ? (
        <label className="inline small">
          Frame size (bytes)
          <input className="narrow" type="number" min={1} value={size} onChange={(e) => setSize(e.target.value)} />
        </label>
      ) : (
        <label className="inline small">
          Frame size limit (bytes)
          <input className="narrow" type="number" min={1} value={maxFrame} onChange={(e) => setMaxFrame(e.target.value)} />
        </label>
      )}
      {listenerId && (
        <label className="inline small">
          <input type="checkbox" checked={forListener} onChange={(e) => setForListener(e.target.checked)} />
          Use for all clients of this listener
        </label>
      )}
      <button type="submit">Apply framing</button>
      {own && (
        <button
          type="button"
          onClick={() => {
            setView(connectionId, { framing: undefined });
            onDone();
          }}
        >
          Use the default framing
        </button>
      )}
      <button type="button" onClick={onDone}>
        Cancel
      </button>
      {error && (
        <p role="alert" className="alert small">
          {error}
        </p>
      )}
    </form>
  );
}
