/**
 * Plays one side of a captured conversation on one live connection: each chunk in order, after
 * the other side's replies the capture shows before it (at most a timeout), with the captured
 * timing, through the connection's normal write path and never faster than the peer reads.
 * Client and server replays both use it; they decide what happens around it.
 */
import { performance } from 'node:perf_hooks';
import type { CommandArgs } from '../../shared/contract';
import { formatBytes } from '../../shared/format';
import type { ErrorInfo } from '../../shared/result';
import type { EngineCore } from './engine-core';
import { sendRefusal, type ConnectionEntry } from './entries';
import type { ReplayPlan } from './replay-source';

export type ReplayOptions = Pick<CommandArgs<'startReplay'>, 'timing' | 'speed' | 'waitForReplies' | 'replyTimeoutMs'>;

/**
 * How playing ended. fin: the replayed side closed in the capture, so the caller closes too.
 * closed: every chunk went, but the connection can no longer send (the peer closed or reset it
 * while the last replies were awaited), in words.
 */
export type PlayOutcome = { state: 'done'; fin: boolean; closed?: string } | { state: 'stopped' } | { state: 'failed'; message: string };

/** A write not taken by then is shown as waiting for the peer to read. */
const SLOW_WRITE_MS = 100;

/** While the window is behind, sending pauses: this often it looks again. */
const PRESSURE_POLL_MS = 20;

/** Resolves one waiter at a time: on notify() or when its time is up. */
export class Wakeup {
  private waiter: (() => void) | null = null;

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      // setTimeout takes at most 2^31-1 ms; longer waits wake early and look again.
      const timer = Number.isFinite(ms) ? setTimeout(() => done(), Math.max(0, Math.min(ms, 2 ** 31 - 1))) : undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        if (this.waiter === done) this.waiter = null;
        resolve();
      };
      this.waiter = done;
    });
  }

  notify(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}

export class ReplayPlayer {
  readonly wake = new Wakeup();
  chunksSent = 0;
  bytesSent = 0;
  /** Chunks (and their bytes) that were gone from the capture when their turn came. */
  skippedChunks = 0;
  skippedBytes = 0;
  /** Waits for the other side that ran out of time (the chunk was sent anyway). */
  lateReplies = 0;
  /** What it is doing now, in words. */
  status = 'starting';
  private stopped = false;

  /**
   * failOnPeerEnd: a peer that finishes sending (FIN) while chunks are left ends the play as
   * failed (a client replay: the server went away). Otherwise the rest is still sent (a server
   * replay: a client that half-closes still gets its answers).
   */
  constructor(
    private readonly core: EngineCore,
    private readonly plan: ReplayPlan,
    private readonly entry: ConnectionEntry,
    private readonly options: ReplayOptions,
    private readonly failOnPeerEnd: boolean,
    private readonly changed: () => void,
  ) {}

  /** Stops at once, even in the middle of a wait or of a write the peer does not read. */
  stop(): void {
    this.stopped = true;
    this.wake.notify();
  }

  async play(): Promise<PlayOutcome> {
    const reader = this.plan.reader();
    const other = this.plan.otherSide;
    let last: { at: number; time: number } | undefined;
    for (let step = reader.next(); step; step = reader.next()) {
      const deadline = last ? last.at + this.gap(step.time - last.time) : 0;
      if (this.options.waitForReplies) await this.awaitOther(step.otherBefore, `before chunk ${this.chunksSent + 1}`);
      await this.sleepUntil(deadline, true);
      await this.whileWindowBehind(true);
      const ended = this.interrupted(true);
      if (ended) return ended;
      const data = reader.data(step);
      if (!data) {
        this.skippedChunks += 1;
        this.skippedBytes += step.size;
        this.changed();
        continue;
      }
      this.status = `sending chunk ${this.chunksSent + 1} of ${this.plan.chunksTotal}`;
      // Counted when handed to the socket: nothing is sent after the count a Stop reports.
      const written = this.write(data);
      this.chunksSent += 1;
      this.bytesSent += data.byteLength;
      this.changed();
      const error = await written;
      if (error === 'aborted') return this.interrupted(false) ?? { state: 'stopped' };
      if (error) return { state: 'failed', message: `Sending chunk ${this.chunksSent} failed: ${error.message}` };
      last = { at: now(), time: step.time };
    }
    // Chunks the budget dropped after the scan never reach the reader at all: what did not go
    // is what was skipped.
    this.skippedChunks = this.plan.chunksTotal - this.chunksSent;
    this.skippedBytes = this.plan.bytesTotal - this.bytesSent;
    const end = this.plan.end;
    if (end.fin) {
      const deadline = last && end.time !== undefined ? last.at + this.gap(end.time - last.time) : 0;
      if (this.options.waitForReplies) await this.awaitOther(end.otherBefore, 'before closing');
      await this.sleepUntil(deadline, false);
    } else if (this.options.waitForReplies) {
      await this.awaitOther(this.plan.otherTotal, `for the ${other}'s last reply`);
    }
    if (this.stopped) return { state: 'stopped' };
    const closed = this.cannotSend();
    return closed ? { state: 'done', fin: false, closed } : { state: 'done', fin: end.fin };
  }

  /** Why playing cannot go on, or null. chunksLeft: a peer's FIN ends it (see failOnPeerEnd). */
  private interrupted(chunksLeft: boolean): PlayOutcome | null {
    if (this.stopped) return { state: 'stopped' };
    const sent = `after ${this.chunksSent} of ${this.plan.chunksTotal} chunks`;
    const closed = this.cannotSend();
    if (closed) return { state: 'failed', message: `${closed[0]!.toUpperCase()}${closed.slice(1)} ${sent}.` };
    if (chunksLeft && this.failOnPeerEnd && this.peerEnded()) {
      return { state: 'failed', message: `The ${this.plan.otherSide} closed its side of the connection (FIN) ${sent}.` };
    }
    return null;
  }

  /** Why nothing more can be sent on the connection, in words; null while it can send. */
  private cannotSend(): string | null {
    const refusal = sendRefusal(this.entry);
    if (!refusal) return null;
    if (refusal.code === 'EPIPE') return 'the sending side of the connection was closed (FIN)';
    const info = this.entry.info;
    return `the connection closed (${(info.error?.message ?? info.closeReason ?? 'closed').replace(/\.$/, '')})`;
  }

  /** The peer finished sending: no more bytes will come from it. */
  private peerEnded(): boolean {
    const info = this.entry.info;
    return info.state === 'closed' || (info.state === 'half-closed' && info.halfClosedBy === 'peer') || this.entry.socket.destroyed;
  }

  /** Bytes the peer (the other side) sent on this connection. */
  private received(): number {
    return this.entry.info.bytesIn;
  }

  /** Waits until the peer has sent need bytes, it finished, or replyTimeoutMs passed (then goes on). */
  private async awaitOther(need: number, when: string): Promise<void> {
    if (this.received() >= need || this.peerEnded() || this.interrupted(true)) return;
    const other = this.plan.otherSide;
    const timeout = this.options.replyTimeoutMs;
    const show = () => {
      this.status = `waiting for the ${other} ${when} (${this.received()} of ${need} bytes)`;
      this.changed();
    };
    show();
    const deadline = now() + timeout;
    let seen = this.received();
    while (this.received() < need && !this.peerEnded() && !this.interrupted(true)) {
      const left = deadline - now();
      if (left <= 0) {
        this.lateReplies += 1;
        this.status = `the ${other} sent ${this.received()} of ${need} bytes in ${timeout} ms; going on`;
        this.changed();
        return;
      }
      await this.wake.wait(left);
      if (this.received() !== seen) {
        seen = this.received();
        show();
      }
    }
  }

  /** Waits until the deadline (the captured gap after the last chunk), or until playing cannot go on. */
  private async sleepUntil(deadline: number, chunksLeft: boolean): Promise<void> {
    let left = deadline - now();
    if (left <= 0 || this.interrupted(chunksLeft)) return;
    this.status = `waiting ${formatMs(left)} (${this.options.timing === 'scaled' ? `captured gap ÷ ${this.options.speed}` : 'captured gap'})`;
    this.changed();
    while (left > 0 && !this.interrupted(chunksLeft)) {
      await this.wake.wait(left);
      left = deadline - now();
    }
  }

  /** While a window is behind on events, sending waits: each chunk sent is an event it must take. */
  private async whileWindowBehind(chunksLeft: boolean): Promise<void> {
    if (!this.core.pressured || this.interrupted(chunksLeft)) return;
    this.status = 'waiting for the window to catch up';
    this.changed();
    while (this.core.pressured && !this.interrupted(chunksLeft)) await this.wake.wait(PRESSURE_POLL_MS);
  }

  /** The captured gap to wait, as timing and speed say. */
  private gap(ms: number): number {
    if (this.options.timing === 'fast' || !(ms > 0)) return 0;
    return this.options.timing === 'scaled' ? ms / this.options.speed : ms;
  }

  /**
   * Records and writes one chunk, and resolves once the socket took it (core.write waits for
   * the socket's callback): a peer that does not read stops the replay here, with one chunk at
   * most waiting in memory. Resolves 'aborted' at once on Stop or when the connection goes.
   */
  private write(data: Uint8Array): Promise<ErrorInfo | null | 'aborted'> {
    const written = this.core.write(this.entry, data, false);
    let result: ErrorInfo | null | undefined;
    void written.then((r) => {
      result = r;
      this.wake.notify();
    });
    return (async () => {
      let shown = false;
      while (result === undefined) {
        if (this.stopped || this.entry.socket.destroyed) return 'aborted' as const;
        // A write that takes longer than a moment is waiting for the peer to read: say so.
        await this.wake.wait(shown ? Number.POSITIVE_INFINITY : SLOW_WRITE_MS);
        if (result === undefined && !shown) {
          shown = true;
          this.status = `waiting for the ${this.plan.otherSide} to read (sending chunk ${this.chunksSent} of ${this.plan.chunksTotal})`;
          this.changed();
        }
      }
      return result;
    })();
  }

  /** Words for the end: what was sent, and what was skipped or late. */
  summary(): string {
    const parts = [`sent ${this.chunksSent} of ${this.plan.chunksTotal} chunks (${formatBytes(this.bytesSent)} of ${formatBytes(this.plan.bytesTotal)})`];
    if (this.plan.droppedChunks > 0) {
      parts.push(`${this.plan.droppedChunks} earlier chunk${this.plan.droppedChunks === 1 ? '' : 's'} (${formatBytes(this.plan.droppedBytes)}) were dropped by the capture budget before the replay`);
    }
    if (this.skippedChunks > 0) {
      parts.push(`skipped ${this.skippedChunks} chunk${this.skippedChunks === 1 ? '' : 's'} (${formatBytes(this.skippedBytes)}) the capture budget dropped meanwhile`);
    }
    if (this.lateReplies > 0) {
      parts.push(`${this.lateReplies} wait${this.lateReplies === 1 ? '' : 's'} for the ${this.plan.otherSide} timed out after ${this.options.replyTimeoutMs} ms`);
    }
    return parts.join('; ');
  }
}

function now(): number {
  return performance.now();
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}
