/**
 * What a replay sends: one side of a captured connection, read from the capture store a page at
 * a time (never the whole capture in memory), with what the other side had sent before each
 * chunk, so the replay can wait for the replies the capture shows.
 */
import { formatBytes } from '../../shared/format';
import { clientDirection, type ConnectionInfo, type Direction, type Side } from '../../shared/model';
import type { ErrorInfo } from '../../shared/result';
import type { EngineCore } from './engine-core';
import type { ConnectionEntry } from './entries';

/** Chunks read from the capture at a time: their metadata and previews, not their payloads. */
const PAGE = 256;

/** One chunk of the replayed side, as the capture holds it. */
export interface ReplayStep {
  seq: number;
  /** When it was captured (ms since the epoch). */
  time: number;
  size: number;
  /**
   * Bytes the other side had sent before this chunk in the capture, counted from the start of
   * what the replay covers (chunks dropped before it are not waited for).
   */
  otherBefore: number;
}

/** How the replayed side ended in the capture. */
export interface ReplayEnd {
  /** It sent FIN: the replay does too, after its last chunk. */
  fin: boolean;
  /** When, if the record says (the first FIN of the connection). */
  time?: number;
  /** Bytes the other side had sent before that FIN (as otherBefore). */
  otherBefore: number;
}

/** A captured connection's side to replay: its totals, how it ended, and a reader of its chunks. */
export class ReplayPlan {
  /** The direction of the replayed side's bytes in the source, and of the other side's. */
  readonly own: Direction;
  readonly other: Direction;
  /** The replay covers chunks before this seq: what was captured when it started. */
  readonly endSeq: number;
  /** Kept chunks and bytes of the replayed side. */
  chunksTotal = 0;
  bytesTotal = 0;
  /** Chunks and bytes of the replayed side dropped by the budget before the replay started. */
  droppedChunks = 0;
  droppedBytes = 0;
  /** Stream offset of the other side where the replay starts: its bytes before are not waited for. */
  otherBase = 0;
  /** The other side's bytes over the whole replay (as otherBefore). */
  otherTotal = 0;
  end: ReplayEnd = { fin: false, otherBefore: 0 };

  private constructor(
    private readonly core: EngineCore,
    private readonly entry: ConnectionEntry,
    readonly side: Side,
  ) {
    const client = clientDirection(entry.info);
    this.own = side === 'client' ? client : client === 'in' ? 'out' : 'in';
    this.other = this.own === 'in' ? 'out' : 'in';
    this.endSeq = entry.capture.nextSeq;
  }

  /** The side's name, for messages ("client", "server"). */
  get otherSide(): Side {
    return this.side === 'client' ? 'server' : 'client';
  }

  /**
   * Reads the source's index once (a page at a time, yielding between pages so a large
   * capture does not hold up the engine) for the totals; or says why there is nothing to replay.
   */
  static async scan(core: EngineCore, entry: ConnectionEntry, side: Side): Promise<ReplayPlan | ErrorInfo> {
    const plan = new ReplayPlan(core, entry, side);
    const info = entry.info;
    const ownCount = plan.own === 'in' ? info.chunksIn : info.chunksOut;
    const ownBytes = plan.own === 'in' ? info.bytesIn : info.bytesOut;
    const otherBytes = plan.other === 'in' ? info.bytesIn : info.bytesOut;
    let otherFirst: number | undefined;
    let ownFirst: number | undefined;
    let otherEnd = 0;
    let otherEndBeforeFin = 0;
    const finTime = ownFinTime(info, plan.own);
    for (let seq = entry.capture.firstKeptSeq; seq < plan.endSeq; ) {
      const page = core.capture.read(entry.capture, seq, Math.min(PAGE, plan.endSeq - seq));
      if (page.length === 0) break;
      for (const c of page) {
        if (c.seq >= plan.endSeq) break;
        if (c.direction === plan.own) {
          ownFirst ??= c.offset;
          plan.chunksTotal += 1;
          plan.bytesTotal += c.size;
        } else {
          otherFirst ??= c.offset;
          otherEnd = Math.max(otherEnd, c.offset + c.size);
          if (finTime === undefined || c.time <= finTime) otherEndBeforeFin = otherEnd;
        }
      }
      seq = page[page.length - 1]!.seq + 1;
      if (seq < plan.endSeq) await new Promise((r) => setImmediate(r));
    }
    // The other side's bytes dropped before the first kept chunk are not waited for: the chunks
    // they answered are not replayed either.
    plan.otherBase = otherFirst ?? otherBytes;
    plan.otherTotal = Math.max(0, otherEnd - plan.otherBase);
    plan.droppedBytes = ownFirst ?? ownBytes;
    plan.droppedChunks = Math.max(0, ownCount - plan.chunksTotal);
    const fin = ownFinished(info, plan.own);
    plan.end = {
      fin,
      ...(fin && finTime !== undefined ? { time: finTime } : {}),
      otherBefore: Math.max(0, (finTime === undefined ? otherEnd : otherEndBeforeFin) - plan.otherBase),
    };
    if (plan.chunksTotal > 0) return plan;
    const who = side === 'client' ? 'client' : 'server';
    if (ownCount === 0) {
      return {
        code: 'NOTHING_TO_REPLAY',
        message: `The ${who} of connection ${info.id} sent nothing: there is nothing to replay as ${who}.`,
        hint: `Replay it as ${side === 'client' ? 'server' : 'client'}, or choose a connection where the ${who} sent something.`,
      };
    }
    return {
      code: 'EVICTED',
      message: `Everything the ${who} of connection ${info.id} sent (${formatBytes(ownBytes)}) was dropped from the capture: the capture budget was reached.`,
      hint: 'Raise the capture budget in Settings and capture the conversation again.',
    };
  }

  /** A reader of the replayed side's chunks, in order, from the start. */
  reader(): ReplayReader {
    return new ReplayReader(this.core, this.entry, this);
  }
}

/** Reads the replayed side's chunks one at a time (chunks the budget dropped meanwhile are not seen). */
export class ReplayReader {
  private page: ReturnType<EngineCore['capture']['read']> = [];
  private at = 0;
  private nextSeq: number;
  private otherEnd: number;

  constructor(
    private readonly core: EngineCore,
    private readonly entry: ConnectionEntry,
    private readonly plan: ReplayPlan,
  ) {
    this.nextSeq = entry.capture.firstKeptSeq;
    this.otherEnd = plan.otherBase;
  }

  /** The next chunk of the replayed side, or null after the last. */
  next(): ReplayStep | null {
    for (;;) {
      if (this.at >= this.page.length) {
        if (this.nextSeq >= this.plan.endSeq) return null;
        this.page = this.core.capture.read(this.entry.capture, this.nextSeq, Math.min(PAGE, this.plan.endSeq - this.nextSeq));
        this.at = 0;
        if (this.page.length === 0) return null;
        this.nextSeq = this.page[this.page.length - 1]!.seq + 1;
      }
      const c = this.page[this.at++]!;
      if (c.seq >= this.plan.endSeq) return null;
      if (c.direction !== this.plan.own) {
        this.otherEnd = Math.max(this.otherEnd, c.offset + c.size);
        continue;
      }
      return { seq: c.seq, time: c.time, size: c.size, otherBefore: Math.max(0, this.otherEnd - this.plan.otherBase) };
    }
  }

  /** All the bytes of a chunk; undefined when the budget dropped it meanwhile (or it cannot be read back). */
  data(step: ReplayStep): Uint8Array | undefined {
    return this.core.capture.readData(this.entry.capture, step.seq);
  }
}

/** When the replayed side sent the connection's first FIN, if it did. */
function ownFinTime(info: ConnectionInfo, own: Direction): number | undefined {
  return info.halfClosedBy === whoSends(own) ? info.halfClosedAt : undefined;
}

/**
 * Whether the replayed side closed its sending side (FIN) in the capture: it sent the first FIN,
 * or the connection closed without a reset (so both sides did).
 */
function ownFinished(info: ConnectionInfo, own: Direction): boolean {
  if (info.halfClosedBy === whoSends(own)) return true;
  if (info.state !== 'closed') return false;
  const code = info.error?.code ?? '';
  return !['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED'].includes(code) && !/reset|could not connect|cancelled/i.test(info.closeReason ?? '');
}

/** Which end of the record sends a direction's bytes: out is us (local), in the peer. */
function whoSends(direction: Direction): 'local' | 'peer' {
  return direction === 'out' ? 'local' : 'peer';
}
