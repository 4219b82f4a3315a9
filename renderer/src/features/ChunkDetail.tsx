import { useEffect, useState } from 'react';
import { HexBytes, TextBytes, type Mark } from './views/Bytes';
import { NO_MARKS } from './views/marks';

const NO_BOUNDARIES: readonly number[] = [];
import { formatBytes } from '../../../shared/format';
import type { Chunk } from '../../../shared/model';
import { copyAsShown, saveBytes } from './saveBytes';
import { useApi } from '../api/context';
import { useInspector, type Display } from '../state/store';
import { focusMessage } from '../state/views';

/** Bytes shown in an expanded row; beyond this, Save keeps them all. */
const SHOW_MAX = 64 * 1024;

/** An expanded chunk: all of its bytes (fetched from the engine when the row had a preview), with Copy and Save. */
export function ChunkDetail({ connectionId, chunk, display, perLine = 16, marks = NO_MARKS }: { connectionId: string; chunk: Chunk; display: Display; perLine?: 4 | 8 | 16; marks?: readonly Mark[] }) {
  const api = useApi();
  const setView = useInspector((s) => s.setView);
  const complete = chunk.data.byteLength >= chunk.size;
  const [data, setData] = useState<Uint8Array | null>(complete ? chunk.data : null);
  const [status, setStatus] = useState<string>('');

  useEffect(() => {
    if (complete) return;
    let live = true;
    void api.getChunkData({ connectionId, seq: chunk.seq }).then((r) => {
      if (!live) return;
      if (r.ok) setData(r.value.data);
      else setStatus(r.message);
    });
    return () => {
      live = false;
    };
  }, [api, connectionId, chunk.seq, complete]);

  if (!data) {
    return (
      <div className="chunk-detail" role="cell">
        <span className="muted">{status || `Loading all ${formatBytes(chunk.size)}…`}</span>
      </div>
    );
  }
  const shown = data.subarray(0, SHOW_MAX);

  async function copy() {
    setStatus(await copyAsShown(data!, display));
  }

  function save() {
    const fileName = `${connectionId}-chunk-${chunk.seq + 1}-${chunk.direction}.bin`;
    saveBytes(data!, fileName);
    setStatus(`Saved ${formatBytes(data!.byteLength)} as ${fileName}.`);
  }

  return (
    <div className="chunk-detail" role="cell">
      <div className="chunk-detail-bar">
        <span className="muted small">
          Chunk {chunk.seq + 1}: {chunk.size.toLocaleString('en-US')} bytes
        </span>
        <button type="button" className="mini" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" className="mini" onClick={save}>
          Save
        </button>
        {chunk.peer && chunk.direction === 'in' && (
          <button type="button" className="mini" onClick={() => {
              // This socket's destination only; the cursor goes where the reply is typed.
              setView(connectionId, { udpHost: chunk.peer!.address, udpPort: String(chunk.peer!.port) });
              focusMessage();
            }}>
            Reply to this sender
          </button>
        )}
        <span className="muted small" role="status">
          {status}
        </span>
      </div>
      {display === 'text' ? (
        <pre className="full-text">
          <TextBytes bytes={shown} start={chunk.offset} marks={marks} boundaries={NO_BOUNDARIES} />
        </pre>
      ) : (
        <pre className="full-hex">
          {/* Stream offsets, as in every view; bytes can be selected here too. */}
          <HexBytes bytes={shown} start={chunk.offset} perLine={perLine} marks={marks} boundaries={NO_BOUNDARIES} />
        </pre>
      )}
      {data.byteLength > SHOW_MAX && (
        <p className="muted small">Showing the first {formatBytes(SHOW_MAX)} of {formatBytes(data.byteLength)}: Save keeps all of it.</p>
      )}
    </div>
  );
}
