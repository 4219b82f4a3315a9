import { useEffect, useState } from 'react';
import type { Decoded, DecodedNode, DecoderChoice } from '../../../../shared/decoded';
import { formatBytes } from '../../../../shared/format';
import type { ViewRow } from '../../../../shared/reading';
import { copyAsShown, saveBytes } from '../saveBytes';
import { useApi } from '../../api/context';
import type { Display } from '../../state/store';
import { HexBytes, TextBytes, type Mark } from './Bytes';

/** Bytes of a row fetched when it is expanded; Save keeps more. */
const SHOW_MAX = 64 * 1024;

/** An expanded row: all its bytes (up to 64 KiB shown), what the decoder makes of them, Copy and Save. */
export function RowDetail({ connectionId, row, display, perLine, decoder, marks }: { connectionId: string; row: ViewRow; display: Display; perLine: 4 | 8 | 16; decoder: DecoderChoice; marks: readonly Mark[] }) {
  const api = useApi();
  const size = row.to - row.from;
  const [data, setData] = useState<{ bytes: Uint8Array; boundaries: number[] } | null>(row.data.byteLength >= size ? { bytes: row.data, boundaries: row.boundaries } : null);
  const [decoded, setDecoded] = useState<Decoded | null | 'loading'>(decoder === 'none' ? null : 'loading');
  const [status, setStatus] = useState('');

  useEffect(() => {
    let live = true;
    if (row.data.byteLength < size) {
      void api.readStream({ connectionId, direction: row.direction, from: row.from, to: Math.min(row.to, row.from + SHOW_MAX), fromSeq: row.seqFrom }).then((r) => {
        if (!live) return;
        if (r.ok) setData({ bytes: r.value.data, boundaries: r.value.boundaries });
        else setStatus(r.message);
      });
    }
    if (decoder !== 'none' && size > 0) {
      // The payload only: not the frame's header, delimiter or line end.
      const from = row.from + (row.head ?? 0);
      const to = Math.max(from + 1, row.to - (row.tail ?? 0));
      void api.decodeRange({ connectionId, direction: row.direction, from, to: Math.min(to, from + 16 * 1024 * 1024), fromSeq: row.seqFrom, decoder }).then((r) => {
        if (!live) return;
        setDecoded(r.ok ? r.value.decoded : { decoder: 'json', summary: '', error: r.message });
      });
    }
    return () => {
      live = false;
    };
  }, [api, connectionId, row.direction, row.from, row.to, row.head, row.tail, row.seqFrom, row.data.byteLength, size, decoder]);

  async function copy() {
    if (!data) return;
    setStatus(await copyAsShown(data.bytes, display));
  }

  function save() {
    if (!data) return;
    const fileName = `${connectionId}-${row.direction}-${row.from}-${row.to - 1}.bin`;
    saveBytes(data.bytes, fileName);
    setStatus(`Saved ${formatBytes(data.bytes.byteLength)} as ${fileName}.`);
  }

  return (
    <div className="chunk-detail" role="cell">
      <div className="chunk-detail-bar">
        <span className="muted small">
          {size.toLocaleString('en-US')} bytes, stream offsets {row.from}–{row.to - 1}
          {row.seqTo > row.seqFrom ? `, joined from reads ${row.seqFrom + 1} to ${row.seqTo + 1}` : ''}
        </span>
        <button type="button" className="mini" onClick={() => void copy()} disabled={!data}>
          Copy
        </button>
        <button type="button" className="mini" onClick={save} disabled={!data}>
          Save
        </button>
        <span className="muted small" role="status">
          {status}
        </span>
      </div>
      {decoded === 'loading' ? (
        <p className="muted small">Decoding…</p>
      ) : decoded ? (
        <DecodedView decoded={decoded} />
      ) : decoder === 'auto' ? (
        <p className="muted small">No decoder recognised these bytes.</p>
      ) : null}
      {data &&
        (display === 'text' ? (
          <pre className="full-text">
            <TextBytes bytes={data.bytes} start={row.from} marks={marks} boundaries={data.boundaries} />
          </pre>
        ) : (
          <pre className="full-hex">
            <HexBytes bytes={data.bytes} start={row.from} perLine={perLine} marks={marks} boundaries={data.boundaries} />
          </pre>
        ))}
      {size > SHOW_MAX && <p className="muted small">Showing the first {formatBytes(SHOW_MAX)} of {formatBytes(size)}.</p>}
    </div>
  );
}

/** A decoder's result: its name, any error or warning, and the value as a foldable tree or text. */
export function DecodedView({ decoded }: { decoded: Decoded }) {
  return (
    <section className="decoded" aria-label={`Decoded as ${decoded.decoder}`}>
      <div className="decoded-head small">
        <span className="badge">{decoded.decoder}</span> <span className="mono">{decoded.summary}</span>
      </div>
      {decoded.error && (
        <p className="alert small" role="alert">
          {decoded.error}
        </p>
      )}
      {decoded.warning && <p className="muted small">{decoded.warning}</p>}
      {decoded.tree ? (
        <ul className="decoded-tree" role="tree" aria-label="Decoded value">
          <TreeNode node={decoded.tree} depth={0} />
        </ul>
      ) : decoded.text !== undefined ? (
        <pre className="decoded-text">{decoded.text}</pre>
      ) : null}
      {decoded.inner && <DecodedView decoded={decoded.inner} />}
    </section>
  );
}

function TreeNode({ node, depth }: { node: DecodedNode; depth: number }) {
  const [open, setOpen] = useState(depth < 3);
  const label = (
    <>
      {node.key !== undefined && <span className="tree-key">{node.key}: </span>}
      <span className="tree-type">{node.type}</span>
      {node.value !== undefined && <span className="tree-value mono"> {node.value}</span>}
    </>
  );
  if (!node.children || node.children.length === 0) {
    return (
      <li role="treeitem" aria-selected={false} className="tree-leaf">
        {label}
        {node.omitted ? <span className="muted"> ({node.omitted} more not shown)</span> : null}
      </li>
    );
  }
  return (
    <li role="treeitem" aria-expanded={open} aria-selected={false}>
      <button type="button" className="tree-toggle" aria-label={`${open ? 'Fold' : 'Unfold'} ${node.key ?? node.type}`} onClick={() => setOpen((v) => !v)}>
        {open ? '▾' : '▸'}
      </button>
      {label} <span className="muted">({node.children.length}{node.omitted ? ` + ${node.omitted} not shown` : ''})</span>
      {open && (
        <ul role="group">
          {node.children.map((c, i) => (
            <TreeNode key={i} node={c} depth={depth + 1} />
          ))}
        </ul>
      )}
    </li>
  );
}
