/**
 * The page's end of the wire: InspectorApi over binary frames, whatever carries them (the
 * browser host's WebSocket, or the desktop app's MessagePort to the engine process). Commands
 * are answered by id; event batches are pushed. Commands issued before the link opens wait for
 * it; when the link is lost they fail with the reason, and a new link can take its place (the
 * desktop app restarts its engine).
 */
import { COMMAND_NAMES, type CommandName } from './channels';
import type { InspectorApi, LinkStatus, WireClientMessage, WireServerMessage } from './contract';
import { formatBytes } from './format';
import { MAX_CLIENT_MESSAGE_BYTES, MAX_SEND_BYTES } from './limits';
import type { EventBatch } from './model';
import { fail, type Result } from './result';
import { decodeFrame, encodeFrame } from './wire';

/** Batches kept for a page that does not listen yet. */
const EARLY_BATCHES = 256;

/** Whatever carries frames to the engine. */
export interface FrameLink {
  /** Sends one frame. */
  send(frame: Uint8Array): void;
}

/** A page's wire client: the API it offers, and the hooks its transport drives. */
export interface WireClient {
  api: InspectorApi;
  /** The link is up: commands waiting for it go out. */
  open(link: FrameLink): void;
  /** A frame arrived from the engine. */
  receive(frame: Uint8Array): void;
  /** The link is gone: waiting and unanswered commands fail with the reason. */
  lost(status: Omit<LinkStatus, 'state'>): void;
  /** A new link is on its way (after lost): commands wait for it again. */
  reconnecting(): void;
}

/** Options of a wire client. */
export interface WireClientOptions {
  /** Called when the engine's link breaks while a command waits, in words for the user. */
  disconnectedMessage?: string;
  /** Runs the host's restart, where it can restart the engine. */
  restartEngine?: () => Promise<Result<{ restarted: true }>>;
}

/** Builds the page's InspectorApi over frames; see the module comment. */
export function createWireClient(options: WireClientOptions = {}): WireClient {
  const batchListeners = new Set<(batch: EventBatch) => void>();
  const linkListeners = new Set<(status: LinkStatus) => void>();
  const pending = new Map<number, (result: Result<unknown>) => void>();
  let status: LinkStatus = { state: 'connecting' };
  let link: FrameLink | null = null;
  let waiting: Array<() => void> = [];
  let nextId = 1;
  // Batches that arrive before the page listens are kept for it (a few: acknowledgements are
  // cumulative, so the oldest can go), or the engine would wait for acks that never come.
  let early: EventBatch[] | null = [];

  const setStatus = (next: LinkStatus) => {
    status = next;
    for (const l of [...linkListeners]) l(status);
  };

  const whenSettled = () => new Promise<void>((resolve) => (status.state === 'connecting' ? waiting.push(resolve) : resolve()));

  async function call(name: CommandName, args: unknown): Promise<Result<never>> {
    await whenSettled();
    if (!link || status.state !== 'open') {
      return fail({ code: 'DISCONNECTED', message: status.detail ?? options.disconnectedMessage ?? 'Not connected to the Socket Inspector engine.' });
    }
    const id = nextId++;
    const frame = encodeFrame({ kind: 'command', id, name, args } satisfies WireClientMessage);
    // The host refuses a larger message outright; say so here instead, and stay connected.
    if (frame.byteLength > MAX_CLIENT_MESSAGE_BYTES) {
      return fail({
        code: 'TOO_LARGE',
        message: `Not sent: this takes ${formatBytes(frame.byteLength)} on the way to the engine, more than the ${formatBytes(MAX_CLIENT_MESSAGE_BYTES)} one message may carry.`,
        hint: `A send carries at most ${formatBytes(MAX_SEND_BYTES)}; Send file… sends more, in pieces.`,
      });
    }
    const sentOn = link;
    return new Promise((resolve) => {
      pending.set(id, resolve as (r: Result<unknown>) => void);
      sentOn.send(frame);
    });
  }

  const api = Object.fromEntries(COMMAND_NAMES.map((name) => [name, (args?: unknown) => call(name, args ?? {})])) as unknown as InspectorApi;
  api.onEvents = (listener) => {
    batchListeners.add(listener);
    const kept = early;
    early = null;
    for (const batch of kept ?? []) listener(batch);
    return () => batchListeners.delete(listener);
  };
  api.ack = (batchId) => {
    if (link && status.state === 'open') link.send(encodeFrame({ kind: 'ack', batchId } satisfies WireClientMessage));
  };
  api.onLink = (listener) => {
    linkListeners.add(listener);
    listener(status);
    return () => linkListeners.delete(listener);
  };
  if (options.restartEngine) api.restartEngine = options.restartEngine;

  return {
    api,
    open(next) {
      link = next;
      setStatus({ state: 'open' });
      for (const go of waiting.splice(0)) go();
    },
    receive(frame) {
      let msg: WireServerMessage;
      try {
        msg = decodeFrame(frame) as WireServerMessage;
      } catch {
        return;
      }
      if (msg.kind === 'batch') {
        if (early) {
          early.push(msg.batch);
          if (early.length > EARLY_BATCHES) early.shift();
        }
        for (const l of [...batchListeners]) l(msg.batch);
      } else if (msg.kind === 'result') {
        const done = pending.get(msg.id);
        pending.delete(msg.id);
        done?.(msg.result);
      }
    },
    lost(why) {
      link = null;
      setStatus({ state: 'closed', ...why });
      const message = why.detail ?? options.disconnectedMessage ?? 'The link to the Socket Inspector engine was lost.';
      for (const done of pending.values()) done(fail({ code: 'DISCONNECTED', message }));
      pending.clear();
      for (const go of waiting.splice(0)) go();
    },
    reconnecting() {
      if (status.state === 'open') return;
      waiting = [];
      setStatus({ state: 'connecting' });
    },
  };
}
