import type { EventBatch, SocketEvent } from '../../shared/model';

/** Tuning of one subscriber's batching and flow control. */
export interface BatcherOptions {
  /** Longest an event waits before its batch is sent (about one frame). */
  flushMs: number;
  /** A batch is sent at once when it holds this many payload bytes. */
  maxBatchBytes: number;
  /** Above this many unacknowledged bytes the subscriber is "pressured" and sources pause. */
  highWatermark: number;
  /** Below this many unacknowledged bytes the subscriber is no longer pressured. */
  lowWatermark: number;
  /**
   * Most chunk events of one connection in one batch; older ones in the batch are left out.
   * A window shows a screenful of the newest rows, and fetches any others it scrolls to, so
   * under a flood only the newest chunks need to cross live.
   */
  liveChunksPerBatch: number;
}

export const defaultBatcherOptions: BatcherOptions = {
  flushMs: 16,
  maxBatchBytes: 1 << 20,
  highWatermark: 8 << 20,
  lowWatermark: 2 << 20,
  liveChunksPerBatch: 64,
};

/**
 * Coalesces events for one subscriber into batches (one per frame, or sooner at a byte cap),
 * and tracks unacknowledged bytes so the engine can pause TCP sources while the subscriber
 * is behind. Never one message per chunk.
 */
export class Batcher {
  private pending: SocketEvent[] = [];
  private pendingCosts: number[] = [];
  private pendingBytes = 0;
  /** Chunk events per connection in the pending batch. */
  private chunkCounts = new Map<string, number>();
  private thinNeeded = false;
  private timer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private readonly inFlight = new Map<number, number>();
  private unacked = 0;
  private pressured = false;
  private closed = false;

  constructor(
    private readonly deliver: (batch: EventBatch) => void,
    private readonly onPressure: (pressured: boolean) => void,
    private readonly options: BatcherOptions = defaultBatcherOptions,
  ) {}

  /** Queues an event; `bytes` is the payload it carries, for flow control. */
  push(event: SocketEvent, bytes = 0): void {
    if (this.closed) return;
    this.pending.push(event);
    this.pendingCosts.push(bytes);
    this.pendingBytes += bytes;
    if (event.type === 'chunk') {
      const n = (this.chunkCounts.get(event.chunk.connectionId) ?? 0) + 1;
      this.chunkCounts.set(event.chunk.connectionId, n);
      if (n > this.options.liveChunksPerBatch) this.thinNeeded = true;
    }
    if (this.pendingBytes >= this.options.maxBatchBytes) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.options.flushMs);
  }

  /** Sends what is pending now. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.closed || this.pending.length === 0) return;
    const { events, bytes } = this.thinNeeded ? this.thin() : { events: this.pending, bytes: this.pendingBytes };
    const batch: EventBatch = { id: this.nextId++, events, bytes };
    this.pending = [];
    this.pendingCosts = [];
    this.pendingBytes = 0;
    this.chunkCounts.clear();
    this.thinNeeded = false;
    this.inFlight.set(batch.id, batch.bytes);
    this.unacked += batch.bytes;
    this.updatePressure();
    try {
      this.deliver(batch);
    } catch {
      // A subscriber that cannot receive (a closed window or socket) must not break the engine;
      // its host closes the subscription.
    }
  }

  /** Leaves out the older chunk events of connections over the per-batch limit, keeping order. */
  private thin(): { events: SocketEvent[]; bytes: number } {
    const skip = new Map<string, number>();
    for (const [id, n] of this.chunkCounts) if (n > this.options.liveChunksPerBatch) skip.set(id, n - this.options.liveChunksPerBatch);
    const events: SocketEvent[] = [];
    let bytes = 0;
    for (let i = 0; i < this.pending.length; i++) {
      const ev = this.pending[i]!;
      if (ev.type === 'chunk') {
        const left = skip.get(ev.chunk.connectionId);
        if (left) {
          skip.set(ev.chunk.connectionId, left - 1);
          continue;
        }
      }
      events.push(ev);
      bytes += this.pendingCosts[i]!;
    }
    return { events, bytes };
  }

  /** The subscriber has applied this batch (and every one before it). */
  ack(batchId: number): void {
    for (const [id, bytes] of this.inFlight) {
      if (id > batchId) break;
      this.inFlight.delete(id);
      this.unacked -= bytes;
    }
    this.updatePressure();
  }

  /** Unacknowledged payload bytes. */
  get backlog(): number {
    return this.unacked + this.pendingBytes;
  }

  /** True while the subscriber is over the high watermark (until it drains below the low one). */
  get isPressured(): boolean {
    return this.pressured;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = [];
    this.pendingCosts = [];
    this.inFlight.clear();
    this.unacked = 0;
    if (this.pressured) {
      this.pressured = false;
      this.onPressure(false);
    }
  }

  private updatePressure(): void {
    if (!this.pressured && this.unacked > this.options.highWatermark) {
      this.pressured = true;
      this.onPressure(true);
    } else if (this.pressured && this.unacked < this.options.lowWatermark) {
      this.pressured = false;
      this.onPressure(false);
    }
  }
}
