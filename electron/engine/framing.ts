/**
 * Framing: cuts one direction of a byte stream into the messages of a protocol, as the bytes
 * arrive, in whatever pieces TCP delivered them. A frame is a range of stream offsets; the bytes
 * stay in the capture, so a user can re-frame a capture at any time without losing anything.
 *
 * Three ways to frame: a delimiter (LF, CRLF, NUL or any bytes), a length prefix (1, 2, 4 or 8
 * bytes, big or little endian, at an offset into the header, counting the header or not, with an
 * adjustment), or a fixed size. The framer keeps only what it must (the header being read, the
 * last bytes of a delimiter that may straddle two chunks), never a frame's payload, so a stream
 * of any length costs it a few bytes.
 */
import type { FramingSpec } from '../../shared/reading';

/**
 * How to cut a stream into frames: the contract's FramingSpec (shared/reading.ts, where each
 * field is explained), with a delimiter as bytes rather than hex.
 */
export type FramingConfig =
  | {
      kind: 'delimiter';
      /** The bytes that end a frame (at least one). They belong to the frame they end. */
      delimiter: Uint8Array;
      /** A frame longer than this without a delimiter is reported and cut here. */
      maxFrameBytes: number;
    }
  | Extract<FramingSpec, { kind: 'length' | 'fixed' }>;

/** One frame: stream offsets [start, end). `cut` marks a frame ended by the size limit, not by its delimiter. */
export interface Frame {
  start: number;
  end: number;
  cut?: true;
}

/** Why framing stopped, and where. */
export interface FramingError {
  /** Stream offset of the frame that cannot be framed. */
  at: number;
  message: string;
}

/** The frame still being received: where it starts, what has come of it, and what it needs (when known). */
export interface PendingFrame {
  start: number;
  have: number;
  need?: number;
}

/** Checks a configuration; returns why it cannot frame, or null. */
export function checkFraming(config: FramingConfig): string | null {
  switch (config.kind) {
    case 'delimiter':
      if (config.delimiter.byteLength === 0) return 'The delimiter needs at least one byte.';
      if (config.delimiter.byteLength > 64) return 'The delimiter can be at most 64 bytes.';
      if (!(config.maxFrameBytes >= config.delimiter.byteLength)) return 'The frame size limit must be at least the delimiter’s length.';
      return null;
    case 'length':
      if (![1, 2, 4, 8].includes(config.lengthBytes)) return 'The length field is 1, 2, 4 or 8 bytes.';
      if (!Number.isInteger(config.lengthOffset) || config.lengthOffset < 0 || config.lengthOffset > 1024) return 'The length field’s offset must be a whole number of bytes from 0 to 1024.';
      if (!Number.isInteger(config.adjustment)) return 'The length adjustment must be a whole number.';
      if (!(config.maxFrameBytes >= 1)) return 'The frame size limit must be at least 1 byte.';
      return null;
    case 'fixed':
      if (!Number.isInteger(config.size) || config.size < 1) return 'A fixed frame size must be a whole number of bytes, 1 or more.';
      return null;
  }
}

/**
 * Frames one direction of a stream. Feed it every chunk of that direction in order with push();
 * it returns the frames that chunk completed. Stream offsets count from the first byte pushed.
 */
export class Framer {
  private offset = 0;
  private frameStart = 0;
  /** Header bytes read so far (length framing), or the tail that may begin a delimiter. */
  private held: Uint8Array = new Uint8Array(0);
  /** Length framing: the total size of the frame being read, once its header is in. */
  private frameSize: number | null = null;
  private failure: FramingError | null = null;

  constructor(private readonly config: FramingConfig) {
    const problem = checkFraming(config);
    if (problem) throw new RangeError(problem);
  }

  /** Why framing stopped, once it has. Bytes after that are not framed. */
  get error(): FramingError | null {
    return this.failure;
  }

  /** The frame still being received, if any of it has come. */
  pending(): PendingFrame | null {
    if (this.failure || this.offset === this.frameStart) return null;
    const have = this.offset - this.frameStart;
    const need = this.config.kind === 'fixed' ? this.config.size : this.config.kind === 'length' ? (this.frameSize ?? undefined) : undefined;
    return { start: this.frameStart, have, ...(need !== undefined ? { need } : {}) };
  }

  /** Takes the next chunk of the stream; returns the frames it completed. */
  push(bytes: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    if (this.failure) {
      this.offset += bytes.byteLength;
      return frames;
    }
    switch (this.config.kind) {
      case 'fixed':
        this.pushFixed(bytes, this.config.size, frames);
        break;
      case 'delimiter':
        this.pushDelimited(bytes, this.config.delimiter, this.config.maxFrameBytes, frames);
        break;
      case 'length':
        this.pushLength(bytes, this.config, frames);
        break;
    }
    return frames;
  }

  private pushFixed(bytes: Uint8Array, size: number, frames: Frame[]): void {
    const end = this.offset + bytes.byteLength;
    while (this.frameStart + size <= end) {
      frames.push({ start: this.frameStart, end: this.frameStart + size });
      this.frameStart += size;
    }
    this.offset = end;
  }

  private pushDelimited(bytes: Uint8Array, delimiter: Uint8Array, max: number, frames: Frame[]): void {
    // Search the held tail and this chunk together, so a delimiter split across chunks is found.
    const tail = this.held;
    const base = this.offset - tail.byteLength;
    const data = tail.byteLength ? concat(tail, bytes) : bytes;
    let from = 0;
    for (;;) {
      const found = indexOf(data, delimiter, from);
      // Past the limit without a delimiter: cut there, say so, and go on from the cut.
      const limitAt = this.frameStart + max - base;
      if (found < 0 || found + delimiter.byteLength > limitAt) {
        if (data.byteLength >= limitAt && (found < 0 || found + delimiter.byteLength > limitAt)) {
          frames.push({ start: this.frameStart, end: this.frameStart + max, cut: true });
          this.frameStart += max;
          from = Math.max(from, limitAt);
          continue;
        }
        break;
      }
      const end = base + found + delimiter.byteLength;
      frames.push({ start: this.frameStart, end });
      this.frameStart = end;
      from = found + delimiter.byteLength;
    }
    this.offset = base + data.byteLength;
    // Keep only the bytes that could still start a delimiter and belong to the open frame.
    const keep = Math.min(delimiter.byteLength - 1, data.byteLength - from, this.offset - this.frameStart);
    this.held = keep > 0 ? data.slice(data.byteLength - keep) : new Uint8Array(0);
  }

  private pushLength(bytes: Uint8Array, c: Extract<FramingConfig, { kind: 'length' }>, frames: Frame[]): void {
    const headerBytes = c.lengthOffset + c.lengthBytes;
    let i = 0;
    while (i < bytes.byteLength) {
      if (this.frameSize === null) {
        // Reading the header: collect it, even when it comes a byte at a time.
        const take = Math.min(headerBytes - this.held.byteLength, bytes.byteLength - i);
        this.held = concat(this.held, bytes.subarray(i, i + take));
        i += take;
        this.offset += take;
        if (this.held.byteLength < headerBytes) return;
        const size = frameSizeOf(this.held, c);
        this.held = new Uint8Array(0);
        if (typeof size === 'string') {
          this.failure = { at: this.frameStart, message: size };
          this.offset += bytes.byteLength - i;
          return;
        }
        this.frameSize = size;
      }
      const end = this.frameStart + this.frameSize;
      const take = Math.min(end - this.offset, bytes.byteLength - i);
      i += take;
      this.offset += take;
      if (this.offset === end) {
        frames.push({ start: this.frameStart, end });
        this.frameStart = end;
        this.frameSize = null;
      }
    }
  }
}

/** A frame's whole size (header and payload) from its header, or why it can never be. */
function frameSizeOf(header: Uint8Array, c: Extract<FramingConfig, { kind: 'length' }>): number | string {
  const view = new DataView(header.buffer, header.byteOffset + c.lengthOffset, c.lengthBytes);
  const little = c.endian === 'little';
  let length: number;
  switch (c.lengthBytes) {
    case 1:
      length = view.getUint8(0);
      break;
    case 2:
      length = view.getUint16(0, little);
      break;
    case 4:
      length = view.getUint32(0, little);
      break;
    case 8: {
      const big = view.getBigUint64(0, little);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) return `The length field says ${big} bytes, more than any frame can be.`;
      length = Number(big);
      break;
    }
  }
  const headerBytes = c.lengthOffset + c.lengthBytes;
  const size = (c.includesHeader ? 0 : headerBytes) + length + c.adjustment;
  if (size < headerBytes) {
    return `The length field says ${length}${c.adjustment ? ` (${c.adjustment >= 0 ? '+' : ''}${c.adjustment})` : ''}, less than the ${headerBytes}-byte header it is part of: this is not a frame of this layout.`;
  }
  if (size > c.maxFrameBytes) {
    return `The length field says ${length} bytes (a ${size.toLocaleString('en-US')}-byte frame), over the ${c.maxFrameBytes.toLocaleString('en-US')}-byte limit: the framing does not fit this stream, or the limit is too low.`;
  }
  return size;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

/** The first index of `needle` in `hay` at or after `from`, or -1. */
function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  if (needle.byteLength === 1) return hay.indexOf(needle[0]!, from);
  const first = needle[0]!;
  const last = hay.byteLength - needle.byteLength;
  for (let i = hay.indexOf(first, from); i >= 0 && i <= last; i = hay.indexOf(first, i + 1)) {
    let k = 1;
    while (k < needle.byteLength && hay[i + k] === needle[k]) k++;
    if (k === needle.byteLength) return i;
  }
  return -1;
}
