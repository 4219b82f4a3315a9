import type net from 'node:net';
import type { RelayDirectionInfo } from '../../shared/model';

/** Which way bytes go through a relay: from the client to the target, or back. */
export type RelayDirection = 'c2s' | 's2c';

/** Above this many queued bytes a direction stops reading its source until it drains. */
const HIGH_QUEUE = 4 << 20;
const LOW_QUEUE = 1 << 20;

/**
 * One direction of a relay: bytes from a source socket go to a destination socket unaltered and
 * in order, optionally held (paused), delayed (latency) or paced (bandwidth). A FIN from the
 * source is passed on after everything queued before it. The source is paused while too much is
 * queued or the destination pushes back, so memory stays bounded.
 */
export class Pipe {
  readonly state: RelayDirectionInfo = { paused: false, latencyMs: 0, kbps: 0, queuedBytes: 0, forwardedBytes: 0, finForwarded: false };
  private readonly queue: Array<{ bytes: Uint8Array; at: number } | { fin: true; at: number }> = [];
  private busy = false;
  private ready = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private nextSendAt = 0;
  /** True while this pipe wants its source paused (queue too long or destination full). */
  backpressure = false;

  constructor(
    private readonly dest: () => net.Socket | null,
    private readonly onChange: () => void,
    private readonly onBackpressure: () => void,
  ) {}

  /** The destination is connected: start forwarding. */
  open(): void {
    this.ready = true;
    this.pump();
  }

  push(bytes: Uint8Array): void {
    if (this.closed) return;
    this.queue.push({ bytes, at: Date.now() });
    this.state.queuedBytes += bytes.byteLength;
    this.setBackpressure(this.state.queuedBytes > HIGH_QUEUE || this.backpressure);
    this.pump();
  }

  /** The source sent FIN: pass it on once what came before it is forwarded. */
  end(): void {
    if (this.closed) return;
    this.queue.push({ fin: true, at: Date.now() });
    this.pump();
  }

  configure(settings: Partial<Pick<RelayDirectionInfo, 'paused' | 'latencyMs' | 'kbps'>>): void {
    Object.assign(this.state, settings);
    this.onChange();
    this.pump();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
    this.state.queuedBytes = 0;
  }

  private setBackpressure(on: boolean): void {
    if (on === this.backpressure) return;
    this.backpressure = on;
    this.onBackpressure();
  }

  private pump(): void {
    while (!this.busy && this.ready && !this.closed && !this.state.paused && this.queue.length > 0) {
      const head = this.queue[0]!;
      const now = Date.now();
      const due = Math.max(head.at + this.state.latencyMs, this.nextSendAt);
      if (due > now) {
        if (!this.timer) {
          this.timer = setTimeout(() => {
            this.timer = null;
            this.pump();
          }, due - now);
        }
        return;
      }
      const dest = this.dest();
      if (!dest || dest.destroyed) return;
      this.queue.shift();
      if ('fin' in head) {
        this.state.finForwarded = true;
        dest.end();
        this.onChange();
        return;
      }
      let bytes = head.bytes;
      if (this.state.kbps > 0) {
        // Under a bandwidth limit, send about 50 ms worth at a time (TCP keeps no boundaries).
        const slice = Math.max(1, Math.floor((this.state.kbps * 1024) / 20));
        if (bytes.byteLength > slice) {
          this.queue.unshift({ bytes: bytes.subarray(slice), at: head.at });
          bytes = bytes.subarray(0, slice);
        }
      }
      this.state.queuedBytes -= bytes.byteLength;
      this.state.forwardedBytes += bytes.byteLength;
      if (this.state.kbps > 0) this.nextSendAt = Math.max(now, this.nextSendAt) + (bytes.byteLength / (this.state.kbps * 1024)) * 1000;
      if (!dest.write(bytes)) {
        // The destination is full: stop here, and stop reading the source, until it drains.
        this.busy = true;
        this.setBackpressure(true);
        dest.once('drain', () => {
          this.busy = false;
          this.pump();
        });
      }
    }
    if (!this.busy && this.state.queuedBytes < LOW_QUEUE) this.setBackpressure(false);
    this.onChange();
  }
}
