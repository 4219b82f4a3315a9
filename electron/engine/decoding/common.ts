/** What every decoder shares: limits, options, the one-line writer and small formatting helpers. */
import { type Decoded, type DecoderName } from '../../../shared/decoded';
import { formatBytes } from '../../../shared/format';

/** The limits every decoding keeps to. */
export const DECODE_LIMITS = {
  /** Input larger than this is refused. */
  maxInputBytes: 16 * 1024 * 1024,
  /** Decompressed output is cut here. */
  maxOutputBytes: 16 * 1024 * 1024,
  /** Tree nodes per decoding. */
  maxNodes: 2000,
  /** Tree depth; deeper containers show only how many children they hold. */
  maxDepth: 32,
  /** Characters of a row's summary. */
  summaryChars: 160,
  /** Characters of a string shown as a tree value. */
  valueChars: 200,
  /** Bytes of a byte string shown (as hex) in a tree value. */
  valueBytes: 48,
  /** Characters of a text result. */
  textChars: 1024 * 1024,
  /** How many times a decoded result is itself decoded (base64 of gzip of JSON is two). */
  innerDepth: 3,
  /** Values of a MessagePack or CBOR sequence read at most. */
  sequenceValues: 2000,
} as const;

/** Optional settings of one decoding. */
export interface DecodeOptions {
  /** Refuse input larger than this (default and most 16 MiB). */
  maxInputBytes?: number;
  /** Cut decompressed output here (default 16 MiB). */
  maxOutputBytes?: number;
  /** Only the summary is wanted (a row): skip building the tree and the text. */
  summaryOnly?: boolean;
}

export interface Ctx {
  maxIn: number;
  maxOut: number;
  summaryOnly: boolean;
  /** How deep inside base64 / decompression results this decoding is. */
  nest: number;
}


// ---------------------------------------------------------------------------------------------
// Helpers

export const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8');

/** Control characters other than tab, line breaks, form feed and ESC; C1 controls; U+FFFD; non-characters U+FFFE/U+FFFF. */
const NOT_PRINTABLE = /[\u0000-\u0008\u000e-\u001a\u001c-\u001f\u007f-\u009f\ufffd\ufffe\uffff]/;

export function isPrintable(text: string): boolean {
  return !NOT_PRINTABLE.test(text);
}

/** The bytes as text when they are valid UTF-8 a person could read, else null. */
export function printableText(bytes: Uint8Array): string | null {
  let text: string;
  try {
    text = utf8Fatal.decode(bytes);
  } catch {
    return null;
  }
  return isPrintable(text) ? text : null;
}

/** Where UTF-8 decoding first went wrong: the first byte the lenient decoding does not give back. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  const back = Buffer.from(utf8Lenient.decode(bytes), 'utf8');
  let i = 0;
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i + bom < bytes.length && i < back.length && back[i] === bytes[i + bom]) i++;
  return i + bom;
}

/** A one-line writer that stops taking text once past its length. */
export class Line {
  s = '';
  constructor(private readonly max: number) {}
  get full(): boolean {
    return this.s.length > this.max;
  }
  add(t: string): void {
    if (this.s.length <= this.max) this.s += t.length > this.max + 1 ? t.slice(0, this.max + 1) : t;
  }
  toString(): string {
    return cut(this.s, this.max);
  }
}

/** At most `max` characters, the last being "…" when cut; never half a surrogate pair. */
export function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 1;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${s.slice(0, end)}…`;
}

/** A JSON-quoted string, cut with "…" after `max` characters. */
export function quoteCut(s: string, max: number): string {
  if (s.length <= max) return JSON.stringify(s);
  return `${JSON.stringify(cut(s, max).slice(0, -1))}…`;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Spaced hex of the first bytes; "… (N bytes)" when there are more. */
export function hexValue(bytes: Uint8Array): string {
  if (bytes.length === 0) return '(empty)';
  const n = Math.min(bytes.length, DECODE_LIMITS.valueBytes);
  let s = '';
  for (let i = 0; i < n; i++) s += (i ? ' ' : '') + HEX[bytes[i]!]!;
  return bytes.length > n ? `${s} … (${bytes.length} bytes)` : s;
}

/** Unspaced hex, at most about `maxChars` characters, "…" when cut. */
export function hexCompact(bytes: Uint8Array, maxChars: number): string {
  const n = Math.min(bytes.length, Math.ceil(maxChars / 2));
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[bytes[i]!]!;
  return bytes.length > n ? `${s}…` : s;
}

export function formatNumber(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

/** The shortest decimal that reads back as the same 32-bit float (1.100000023841858 → 1.1). */
export function formatFloat32(x: number): string {
  if (!Number.isFinite(x) || Object.is(x, -0)) return formatNumber(x);
  for (let p = 1; p <= 9; p++) {
    const shortest = Number(x.toPrecision(p));
    if (Math.fround(shortest) === x) return String(shortest);
  }
  return String(x);
}

export function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function setText(result: Decoded, text: string): void {
  if (text.length <= DECODE_LIMITS.textChars) {
    result.text = text;
    return;
  }
  result.text = cut(text, DECODE_LIMITS.textChars);
  const note = `The text is cut after ${formatBytes(DECODE_LIMITS.textChars)} characters.`;
  result.warning = result.warning ? `${result.warning} ${note}` : note;
}

export function failed(name: DecoderName, error: string): Decoded {
  return { decoder: name, summary: cut(error, DECODE_LIMITS.summaryChars), error };
}

export function describeError(err: unknown): string {
  if (err instanceof RangeError && /call stack/i.test(err.message)) return 'The value is nested too deeply to decode.';
  return err instanceof Error ? err.message : String(err);
}


/** Tree nodes still allowed in one decoding. */
export interface Budget {
  nodes: number;
}
