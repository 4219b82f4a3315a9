/**
 * One direction of a TCP stream: puts segments in stream order, delivers each byte once, and
 * counts the bytes that were never captured. Stream offsets are plain numbers that keep counting
 * past 2^32; a sequence number is placed at the offset nearest the next expected one, so the
 * 32-bit wrap needs no special case.
 */

/** A piece of this direction's stream, ready to become a data event. */
export interface Delivery {
  time: number;
  bytes: Uint8Array;
  /** Bytes of this direction never captured right before these. */
  missingBefore: number;
}

interface Segment {
  start: number;
  bytes: Uint8Array;
  /** Bytes after `bytes` the packet carried but the capture cut off (snaplen). */
  absent: number;
  time: number;
}

export class TcpDirection {
  /** Sequence number of stream offset 0; unknown until a SYN or the first segment with data. */
  base: number | undefined;
  /** Stream offset of the next byte to deliver. */
  next = 0;
  /** Out-of-order segments, sorted by start, each starting after next. */
  private held: Segment[] = [];
  heldBytes = 0;
  /** Skipped bytes not yet reported (they go on the next delivery). */
  missing = 0;
  /** Stream offset the FIN sits at, once one was seen. */
  finAt: number | undefined;
  finTime = 0;
  finDone = false;

  /** The stream offset of a sequence number (base must be known). */
  offset(seq: number): number {
    const expected = ((this.base ?? 0) + this.next) >>> 0;
    return this.next + ((seq - expected) | 0);
  }

  /**
   * Adds a segment at stream offset start (captured bytes, then `absent` bytes the capture cut
   * off); what can now be delivered in order goes to out, the rest is held (heldBytes grows).
   */
  add(start: number, bytes: Uint8Array, absent: number, time: number, out: Delivery[]): void {
    // Nothing follows a FIN: bytes past it are not part of the stream.
    if (this.finDone || (this.finAt !== undefined && start >= this.finAt)) return;
    const end = start + bytes.length + absent;
    if (end <= this.next) return; // all of it delivered already: a retransmission
    const segment: Segment = { start, bytes, absent, time };
    if (start <= this.next) {
      this.deliver(segment, out);
      this.drain(out);
      return;
    }
    // Binary search for the first held segment starting after this one.
    let lo = 0;
    let hi = this.held.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.held[mid]!.start <= start) lo = mid + 1;
      else hi = mid;
    }
    const before = this.held[lo - 1];
    // Already held in full (a retransmission of an out-of-order segment): holding it again would
    // let duplicates fill the bound.
    if (before && before.start + before.bytes.length + before.absent >= end && (before.absent === 0 || absent > 0)) return;
    this.held.splice(lo, 0, segment);
    this.heldBytes += bytes.length;
  }

  /** Delivers held segments that now start at or before next. */
  drain(out: Delivery[]): void {
    while (this.held.length && this.held[0]!.start <= this.next) {
      const s = this.held.shift()!;
      this.heldBytes -= s.bytes.length;
      this.deliver(s, out);
    }
  }

  /** Skips the first hole (its bytes are counted as missing) and delivers what follows it. */
  skipHole(out: Delivery[]): void {
    const first = this.held[0];
    if (!first) return;
    if (first.start > this.next) {
      this.missing += first.start - this.next;
      this.next = first.start;
    }
    this.drain(out);
  }

  /**
   * The other side acknowledged every byte before stream offset `acked`: a hole before that will
   * never be filled (those bytes went by uncaptured), so it is skipped now rather than at the end.
   * The same for bytes before an acknowledged FIN.
   */
  acknowledged(acked: number, out: Delivery[]): void {
    while (this.held.length && this.held[0]!.start < acked) this.skipHole(out);
    if (this.finAt !== undefined && !this.finDone && acked > this.finAt && this.next < this.finAt && !this.held.length) {
      this.missing += this.finAt - this.next;
      this.next = this.finAt;
    }
  }

  /** Delivers everything held, holes counted as missing. */
  flush(out: Delivery[]): void {
    while (this.held.length) this.skipHole(out);
  }

  /** True once a FIN was seen and every byte before it delivered or skipped. */
  finReached(): boolean {
    return this.finAt !== undefined && !this.finDone && this.next >= this.finAt;
  }

  private deliver(s: Segment, out: Delivery[]): void {
    const capturedEnd = s.start + s.bytes.length;
    if (this.next < capturedEnd) {
      out.push({ time: s.time, bytes: s.bytes.subarray(this.next - s.start), missingBefore: this.missing });
      this.missing = 0;
      this.next = capturedEnd;
    }
    const end = capturedEnd + s.absent;
    if (this.next < end) {
      this.missing += end - this.next;
      this.next = end;
    }
  }
}
