import { useEffect, useState } from 'react';
import type { Checksums } from '../../../../shared/inspect';
import { useApi } from '../../api/context';
import { ByteInspector } from '../inspector/ByteInspector';
import { selectionRange, type Selection } from './marks';

/** Bytes of a selection read back for the inspector's readings, copies and Save; checksums cover all of it. */
const LOAD_MAX = 1024 * 1024;

/** The byte inspector for the current selection: its bytes from the capture, and the engine's checksums. */
export function SelectionInspector({ connectionId, selection, onClose }: { connectionId: string; selection: Selection; onClose: () => void }) {
  const api = useApi();
  const { from, to } = selectionRange(selection);
  const [bytes, setBytes] = useState<Uint8Array | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sums, setSums] = useState<{ for: string; checksums?: Checksums; error?: string } | null>(null);
  const key = `${connectionId}:${selection.direction}:${from}:${to}`;

  useEffect(() => {
    let live = true;
    // Wait for the selection to settle (shift+arrows move it a byte at a time).
    const timer = setTimeout(() => {
      void api.readStream({ connectionId, direction: selection.direction, from, to: Math.min(to, from + LOAD_MAX), fromSeq: selection.fromSeq }).then((r) => {
        if (!live) return;
        if (r.ok) {
          setBytes(r.value.data);
          setError(null);
        } else setError(r.message);
      });
      void api.checksumRange({ connectionId, direction: selection.direction, from, to, fromSeq: selection.fromSeq }).then((r) => {
        if (!live) return;
        setSums(r.ok ? { for: key, checksums: r.value.checksums } : { for: key, error: r.message });
      });
    }, 60);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, connectionId, selection.direction, selection.fromSeq, from, to, key]);

  if (error) {
    return (
      <section className="byte-inspector-host" aria-label="Byte inspector">
        <p role="alert" className="alert small">
          {error}
        </p>
      </section>
    );
  }
  if (!bytes) return null;
  const current = sums?.for === key ? sums : null;
  return (
    <div className="byte-inspector-host">
      <ByteInspector
        bytes={bytes}
        offset={from}
        length={to - from}
        {...(current?.checksums ? { checksums: current.checksums } : {})}
        {...(current?.error ? { checksumsError: current.error } : {})}
        fileName={`${connectionId}-${selection.direction}-${from}-${to - 1}.bin`}
        onClose={onClose}
      />
    </div>
  );
}
