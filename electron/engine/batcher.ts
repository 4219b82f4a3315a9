import type { EventBatch, SocketEvent } from '../../shared/model';

/** Tuning of one subscriber's batching and flow control. */
export interface BatcherOptions {
  /** Longest an event waits before its batch is sent while the load is light (about one frame). */
  flushMs: number;
  /**
   * Longest time between batches under a flood. A person reads a few updates a second, and each
   * update costs the window a render whatever it holds, so under a flood batches stretch out to
   * this (a few a second) instead of one per frame; counters stay exact, since each batch carries
   * the newest ones.
   */
  maxFlushMs: number;
  /**
   * Events a second above which the load counts as a flood and the wait between batches doubles
   * (up to maxFlushMs); below it the wait halves again (down to flushMs). Whatever the wait, a
   * batch goes out once no event has come for flushMs, so the end of a flood, or a reply typed
   * after one, is not held.
   */
  floodEventsPerSecond: number;
  /**
   * Captured bytes a second (whole chunks, not what crosses) above which the load counts as a
   * flood too: a bulk transfer reads a few thousand large chunks a second, fewer events than a
   * chatty peer, and no one reads its rows as they pass.
   */
  floodBytesPerSecond: number;
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
  maxFlushMs: 250,
  floodEventsPerSecond: 4000,
  floodBytesPerSecond: 16 << 20,
  maxBatchBytes: 1 << 20,
  highWatermark: 8 << 20,
  lowWatermark: 2 << 20,
  liveChunksPerBatch: 64,
};

/** The pending chunk events of one connection: their places in the batch, oldest first. */
interface LiveChunks {
  places: number[];
  head: number;
}

/**
 * Coalesces events for one subscriber into batches (one per frame at a light load, a few a second
 * under a flood, or sooner at a byte cap), and tracks unacknowledged bytes so the engine can pause
 * TCP sources while the subscriber is behind. Never one message per chunk.
 */
export class Batcher {
  /** Events of the next batch in order; a chunk event left out for a newer one becomes null. */
  private pending: (SocketEvent | null)[] = [];
  private pendingCosts: number[] = [];
  private pendingBytes = 0;
  /** Events pushed since the last batch, those left out included, and the bytes their chunks held: the load. */
  private pushed = 0;
  private pushedBytes = 0;
  private readonly live = new Map<string, LiveChunks>();
  /** The pending place of the newest update of each listener, connection, task or record. */
  private readonly updates = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  /** The current wait between batches, between flushMs and maxFlushMs. */
  private intervalMs: number;
  private lastFlushAt = -Infinity;
  private lastPushAt = -Infinity;
  /** When the pending batch is due at the latest. */
  private dueAt = 0;
  private nextId = 1;
  private readonly inFlight = new Map<number, number>();
  private unacked = 0;
  private pressured = false;
  private closed = false;

  constructor(
    private readonly deliver: (batch: EventBatch) => void,
    private readonly onPressure: (pressured: boolean) => void,
    private readonly options: BatcherOptions = defaultBatcherOptions,
  ) {
    this.intervalMs = options.flushMs;
  }

  /** Queues an event; `bytes` is the payload it carries, for flow control. */
  push(event: SocketEvent, bytes = 0): void {
    if (this.closed) return;
    this.pushed += 1;
    const place = this.pending.length;
    this.pending.push(event);
    this.pendingCosts.push(bytes);
    this.pendingBytes += bytes;
    if (event.type === 'chunk') {
      this.pushedBytes += event.chunk.size;
      this.keepNewest(event.chunk.connectionId, place);
    } else {
      const key = updateKey(event);
      if (key) this.supersede(key, place);
    }
    const now = performance.now();
    this.lastPushAt = now;
    if (this.pendingBytes >= this.options.maxBatchBytes) this.flush();
    else if (!this.timer) {
      // After a quiet spell the last batch is long past and the event goes out within flushMs;
      // during a flood, batches keep the current interval.
      this.dueAt = Math.max(now + this.options.flushMs, this.lastFlushAt + this.intervalMs);
      this.timer = setTimeout(this.onTimer, this.options.flushMs);
    }
  }

  /**
   * Sends the batch when it is due, or as soon as the events stop (nothing for flushMs): the
   * end of a flood, a FIN after a transfer, shows within a frame instead of at the end of a
   * stretched interval. Checked once per flushMs, not per event.
   */
  private readonly onTimer = (): void => {
    this.timer = null;
    const now = performance.now();
    if (now >= this.dueAt - 1 || now - this.lastPushAt >= this.options.flushMs) return this.flush();
    this.timer = setTimeout(this.onTimer, Math.min(this.dueAt - now, this.options.flushMs));
  };

  /** Leaves out the oldest pending chunk event of a connection over the per-batch limit. */
  private keepNewest(connectionId: string, place: number): void {
    let live = this.live.get(connectionId);
    if (!live) this.live.set(connectionId, (live = { places: [], head: 0 }));
    live.places.push(place);
    if (live.places.length - live.head <= this.options.liveChunksPerBatch) return;
    this.leaveOut(live.places[live.head++]!);
  }

  /**
   * An update carries the whole new state of its listener, connection or task (an eviction, the
   * totals of a connection's record), so an older one still pending says nothing the newer does
   * not: it is left out. A burst of 10,000 accepts would otherwise send the listener's state
   * 10,000 times in one batch.
   */
  private supersede(key: string, place: number): void {
    const older = this.updates.get(key);
    this.updates.set(key, place);
    if (older !== undefined) this.leaveOut(older);
  }

  /** Takes the pending event at this place out of the batch, and its cost out of the byte count. */
  private leaveOut(place: number): void {
    this.pending[place] = null;
    this.pendingBytes -= this.pendingCosts[place]!;
    this.pendingCosts[place] = 0;
  }

  /** Sends what is pending now. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.closed || this.pending.length === 0) return;
    const now = performance.now();
    this.adapt(now);
    const events = this.pending.filter((e): e is SocketEvent => e !== null);
    const batch: EventBatch = { id: this.nextId++, events, bytes: this.pendingBytes };
    this.pending = [];
    this.pendingCosts = [];
    this.pendingBytes = 0;
    this.live.clear();
    this.updates.clear();
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

  /** Follows the load: the wait doubles while events or bytes come as fast as a flood, and halves after. */
  private adapt(now: number): void {
    const since = Math.max(now - this.lastFlushAt, this.options.flushMs);
    const flood = (this.pushed * 1000) / since > this.options.floodEventsPerSecond || (this.pushedBytes * 1000) / since > this.options.floodBytesPerSecond;
    this.pushed = 0;
    this.pushedBytes = 0;
    this.lastFlushAt = now;
    this.intervalMs = flood ? Math.min(this.options.maxFlushMs, this.intervalMs * 2) : Math.max(this.options.flushMs, this.intervalMs / 2);
  }

  /** The current wait between batches (flushMs at a light load, up to maxFlushMs under a flood). */
  get interval(): number {
    return this.intervalMs;
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
    this.live.clear();
    this.updates.clear();
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

/** What an update event replaces: the same kind of update of the same thing. */
function updateKey(event: SocketEvent): string | null {
  switch (event.type) {
    case 'listener-updated':
      return `L ${event.listener.id}`;
    case 'connection-updated':
      return `C ${event.connection.id}`;
    case 'task-updated':
      return `T ${event.task.id}`;
    case 'chunks-evicted':
      // Totals and the first kept chunk: past the capture budget, every chunk recorded lets an
      // older one go, and only the newest state of that matters.
      return `E ${event.connectionId}`;
    default:
      return null;
  }
}
