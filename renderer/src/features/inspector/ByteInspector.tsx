import { useMemo, useState } from 'react';
import { formatBytes } from '../../../../shared/format';
import {
  CHECKSUM_LABELS,
  CHECKSUM_NAMES,
  COPY_FORMAT_LABELS,
  formatChecksum,
  formatCopy,
  interpret,
  unixTimes,
  utf8View,
  type Checksums,
  type CopyFormat,
} from '../../../../shared/inspect';
import { saveBytes } from '../saveBytes';
import './inspector.css';

export interface ByteInspectorProps {
  /** The selected bytes (may be fewer than length when the selection was too large to load: say so). */
  bytes: Uint8Array;
  /** Stream offset of the first selected byte, and the selection's full length. */
  offset: number;
  length: number;
  /** Checksums of the whole selection, from the engine: undefined while loading. */
  checksums?: Checksums;
  checksumsError?: string;
  /** Suggested file name for Save, e.g. "C3-in-100-163.bin". */
  fileName: string;
  onClose?: () => void;
}

/** Bytes of text decoded for display; a longer selection shows its start and says so. */
const TEXT_MAX = 4096;

const COPY_FORMATS: readonly CopyFormat[] = ['hex', 'escaped', 'base64', 'c', 'python'];

/**
 * Control characters as their Unicode control pictures (NUL as ␀, LF as ␊), so the text
 * reading shows every character on screen instead of breaking lines or hiding bytes.
 */
function visibleText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => String.fromCharCode(c === '\u007f' ? 0x2421 : 0x2400 + c.charCodeAt(0)));
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/**
 * The data inspector beside a hex or stream view: what the selected bytes read as (numbers,
 * UTF-8 text, Unix times), their checksums, and ways to copy or save them. Presentational:
 * the view that owns the selection passes the bytes and the engine's checksums.
 */
export function ByteInspector({ bytes, offset, length, checksums, checksumsError, fileName, onClose }: ByteInspectorProps) {
  // A message belongs to the bytes it was about, so a new selection starts with a clear line.
  const [status, setStatus] = useState<{ for: Uint8Array; text: string; failed: boolean } | null>(null);
  const numbers = useMemo(() => interpret(bytes), [bytes]);
  const text = useMemo(() => utf8View(bytes, TEXT_MAX), [bytes]);
  const times = useMemo(() => unixTimes(bytes), [bytes]);
  const shown = status?.for === bytes ? status : null;
  const partial = bytes.length < length;
  const say = (message: string, failed = false) => setStatus({ for: bytes, text: message, failed });
  const what = partial
    ? `the first ${plural(bytes.length, 'byte')} of ${length.toLocaleString('en-US')}`
    : plural(bytes.length, 'byte');

  async function copy(format: CopyFormat) {
    try {
      await navigator.clipboard.writeText(formatCopy(bytes, format));
      say(`Copied ${what} as ${COPY_FORMAT_LABELS[format]}.`);
    } catch (err) {
      say(`Could not copy: ${err instanceof Error ? err.message : String(err)}`, true);
    }
  }

  function save() {
    try {
      saveBytes(bytes, fileName);
      say(`Saved ${what} as ${fileName}.`);
    } catch (err) {
      say(`Could not save: ${err instanceof Error ? err.message : String(err)}`, true);
    }
  }

  return (
    <section className="byte-inspector" aria-label="Byte inspector">
      <header className="bi-head">
        <h2>Byte inspector</h2>
        <span className="bi-where">
          <span>
            Offset <span className="mono">{offset.toLocaleString('en-US')}</span>{' '}
            <span className="mono muted">(0x{offset.toString(16)})</span>
          </span>
          <span>
            Length <span className="mono">{plural(length, 'byte')}</span>
          </span>
        </span>
        {onClose && (
          <button type="button" className="mini bi-close" onClick={onClose}>
            Close inspector
          </button>
        )}
      </header>
      {partial && (
        <p className="bi-note">
          The selection is too large to load whole: values, text, copies and Save use its first {formatBytes(bytes.length)} of{' '}
          {formatBytes(length)}. Checksums cover all of it.
        </p>
      )}

      <div className="bi-body">
        <div className="bi-grid">
          <div className="bi-card bi-numbers-card">
            <h3>Numbers from the first byte</h3>
            {numbers.length === 0 ? (
              <p className="muted">No bytes selected.</p>
            ) : (
              <dl className="bi-pairs bi-numbers">
                {numbers.map((row) => (
                  <div key={row.label}>
                    <dt>{row.label}</dt>
                    <dd className="mono">{row.value}</dd>
                  </div>
                ))}
              </dl>
            )}
            {bytes.length > 0 && bytes.length < 8 && (
              <p className="bi-hint muted">Select 8 bytes for 64-bit values{bytes.length < 4 ? ', 4 for 32-bit' : ''}.</p>
            )}
          </div>

          <div className="bi-card">
            <h3>UTF-8 text</h3>
            <p className="bi-text mono">{text.text === '' ? <span className="muted">(empty)</span> : visibleText(text.text)}</p>
            <ul className="bi-notes">
              {text.replaced > 0 && (
                <li className="bi-warn">
                  {plural(text.replaced, 'invalid sequence')} shown as U+FFFD (�).
                </li>
              )}
              {text.startsMidCharacter && <li>Starts inside a character.</li>}
              {text.endsMidCharacter && <li>Ends inside a character.</li>}
              {text.decodedBytes < bytes.length && <li>Showing the first {formatBytes(text.decodedBytes)}.</li>}
            </ul>
            <h3>Unix time (UTC)</h3>
            {bytes.length < 4 ? (
              <p className="muted">Select 4 or more bytes.</p>
            ) : times.length === 0 ? (
              <p className="muted">No reading falls in 1970–2100.</p>
            ) : (
              <dl className="bi-pairs">
                {times.map((t) => (
                  <div key={t.label}>
                    <dt>{t.label}</dt>
                    <dd className="mono">{t.iso}</dd>
                  </div>
                ))}
              </dl>
            )}
          </div>

          <div className="bi-card">
            <h3>Checksums</h3>
            {checksumsError ? (
              <p className="bi-error">Could not compute the checksums: {checksumsError}</p>
            ) : !checksums ? (
              <p className="muted" aria-busy="true">
                Computing over {plural(length, 'byte')}…
              </p>
            ) : (
              <dl className="bi-pairs">
                {CHECKSUM_NAMES.map((name) => (
                  <div key={name}>
                    <dt>{CHECKSUM_LABELS[name]}</dt>
                    <dd className="mono">{formatChecksum(name, checksums[name])}</dd>
                  </div>
                ))}
              </dl>
            )}
          </div>

          <div className="bi-card">
            <h3>Copy and save</h3>
            <div className="bi-actions">
              {COPY_FORMATS.map((format) => (
                <button key={format} type="button" className="mini" disabled={bytes.length === 0} onClick={() => void copy(format)}>
                  Copy as {COPY_FORMAT_LABELS[format]}
                </button>
              ))}
              <button type="button" className="mini" disabled={bytes.length === 0} onClick={save}>
                Save selection…
              </button>
            </div>
            <p className={`bi-status ${shown?.failed ? 'bi-error' : 'muted'}`} role="status">
              {shown?.text ?? ''}
            </p>
          </div>
        </div>
      </div>
    </section>
  );
}
