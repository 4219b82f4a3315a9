/**
 * The engine's end of the wire: one page's session over binary frames, whatever carries them
 * (the browser host's WebSocket, or the desktop app's MessagePort). Event batches go out as they
 * come; commands come in, are parsed by the contract's schema and answered by id; acks come in
 * and release flow control. Nothing a page sends can throw past receive().
 */
import type { WireServerMessage } from '../../shared/contract';
import { MAX_CLIENT_MESSAGE_BYTES } from '../../shared/limits';
import { fail } from '../../shared/result';
import { decodeFrame, encodeFrame } from '../../shared/wire';
import { dispatchCommand } from './dispatch';
import type { Engine } from './engine';

/** A page's session: frames in, and an end. */
export interface Session {
  /** A frame from the page. */
  receive(frame: Uint8Array): void;
  /** The page went away: stop streaming to it, so its unacknowledged batches hold nothing back. */
  close(): void;
}

/** Opens a session for one page; send carries frames to it (and may drop them once it is gone). */
export function openSession(engine: Engine, send: (frame: Uint8Array) => void): Session {
  let closed = false;
  const subscription = engine.subscribe((batch) => {
    if (!closed) send(encodeFrame({ kind: 'batch', batch } satisfies WireServerMessage));
  });
  const reply = (id: number, result: Extract<WireServerMessage, { kind: 'result' }>['result']) => {
    if (!closed) send(encodeFrame({ kind: 'result', id, result } satisfies WireServerMessage));
  };
  const malformed = (why: string) => reply(-1, fail({ code: 'INVALID_INPUT', message: `Malformed message: ${why}` }));

  async function handle(frame: Uint8Array): Promise<void> {
    if (frame.byteLength > MAX_CLIENT_MESSAGE_BYTES) return malformed(`${frame.byteLength} bytes, more than the ${MAX_CLIENT_MESSAGE_BYTES} a message may carry`);
    let msg: unknown;
    try {
      msg = decodeFrame(frame);
    } catch (err) {
      return malformed(err instanceof Error ? err.message : String(err));
    }
    const m = (msg && typeof msg === 'object' ? msg : {}) as Partial<Record<'kind' | 'id' | 'batchId' | 'name' | 'args', unknown>>;
    if (m.kind === 'ack') {
      if (typeof m.batchId === 'number' && Number.isFinite(m.batchId)) subscription.ack(m.batchId);
      return;
    }
    if (m.kind !== 'command' || typeof m.id !== 'number') {
      return malformed('expected {kind: "command", id, name, args} or {kind: "ack", batchId}');
    }
    reply(m.id, await dispatchCommand(engine, m.name, m.args));
  }

  return {
    receive(frame) {
      if (!closed) void handle(frame);
    },
    close() {
      if (closed) return;
      closed = true;
      subscription.close();
    },
  };
}
