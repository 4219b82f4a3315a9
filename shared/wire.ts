/**
 * JSON with bytes, for the browser host's WebSocket: a Uint8Array travels as {"$b64": "..."}.
 * (Electron's IPC carries Uint8Array natively and does not need this.)
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
