/**
 * The wire: how messages between a page and the engine travel. Binary frames (below) carry them
 * both ways, over the browser host's WebSocket and the desktop app's MessagePort alike. JSON
 * with bytes as {"$b64": "..."} (encodeWire) is for text-only channels, such as the JSON lines
 * the tests' engine process reads.
 */
import { fromBase64, toBase64 } from './bytes';

/** Serializes a message, turning every Uint8Array into {"$b64": base64}. */
export function encodeWire(value: unknown): string {
  // Read the holder's own value: a Node Buffer's toJSON would already have turned it into numbers.
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    return raw instanceof Uint8Array ? { $b64: toBase64(raw) } : v;
  });
}

/** Parses a message, turning every {"$b64": base64} back into a Uint8Array. Throws on bad JSON. */
export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const rec = v as Record<string, unknown>;
      if (typeof rec.$b64 === 'string' && Object.keys(rec).length === 1) return fromBase64(rec.$b64);
    }
    return v;
  });
}

/*
 * Binary frames: event batches carry many chunk payloads, and base64 inside JSON would cost
 * more than everything else on the way. A frame is
 *   u32 header length | u32 payload count | u32 length per payload | header JSON | payloads
 * (little-endian), where each Uint8Array in the message became {"$bin": index} in the header.
 */

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Serializes a message as one binary frame, payload bytes kept out of the JSON. */
export function encodeFrame(value: unknown): Uint8Array {
  const payloads: Uint8Array[] = [];
  const header = textEncoder.encode(
    JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
      const raw = this[key];
      if (raw instanceof Uint8Array) {
        payloads.push(raw);
        return { $bin: payloads.length - 1 };
      }
      return v;
    }) ?? 'null',
  );
  let size = 8 + 4 * payloads.length + header.byteLength;
  for (const p of payloads) size += p.byteLength;
  const frame = new Uint8Array(size);
  const view = new DataView(frame.buffer);
  view.setUint32(0, header.byteLength, true);
  view.setUint32(4, payloads.length, true);
  let offset = 8;
  for (const p of payloads) {
    view.setUint32(offset, p.byteLength, true);
    offset += 4;
  }
  frame.set(header, offset);
  offset += header.byteLength;
  for (const p of payloads) {
    frame.set(p, offset);
    offset += p.byteLength;
  }
  return frame;
}

/** Reads a binary frame back into the message. Throws on a malformed frame. */
export function decodeFrame(frame: Uint8Array): unknown {
  if (frame.byteLength < 8) throw new Error('frame too short');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const headerLength = view.getUint32(0, true);
  const count = view.getUint32(4, true);
  let offset = 8 + 4 * count;
  if (offset + headerLength > frame.byteLength) throw new Error('frame header overruns the frame');
  const lengths: number[] = [];
  let total = offset + headerLength;
  for (let i = 0; i < count; i++) {
    const n = view.getUint32(8 + 4 * i, true);
    lengths.push(n);
    total += n;
  }
  if (total !== frame.byteLength) throw new Error('frame payload lengths do not add up');
  const value: unknown = JSON.parse(textDecoder.decode(frame.subarray(offset, offset + headerLength)));
  offset += headerLength;
  // Copies, so a kept payload does not pin the whole frame in memory.
  const payloads = lengths.map((n) => {
    const p = frame.slice(offset, offset + n);
    offset += n;
    return p;
  });
  return count === 0 ? value : restore(value, payloads);
}

function restore(value: unknown, payloads: Uint8Array[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restore(value[i], payloads);
    return value;
  }
  const rec = value as Record<string, unknown>;
  if (typeof rec.$bin === 'number') {
    const p = payloads[rec.$bin];
    if (p === undefined) throw new Error(`frame refers to a missing payload ${rec.$bin}`);
    return p;
  }
  for (const key of Object.keys(rec)) rec[key] = restore(rec[key], payloads);
  return rec;
}
