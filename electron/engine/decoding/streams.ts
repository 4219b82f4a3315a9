/** Bytes that hold other bytes: base64, gzip / zlib / raw deflate (node:zlib, output capped), and UTF-16 text. */
import { constants as zlibConstants, gunzipSync, inflateRawSync, inflateSync, type ZlibOptions } from 'node:zlib';
import { type Decoded, type DecoderName } from '../../../shared/decoded';
import { formatBytes } from '../../../shared/format';
import { DECODE_LIMITS, Ctx, printableText, Line, cut, quoteCut, hexValue, hexCompact, setText, failed } from './common';
import { detect } from '../decoders';

// ---------------------------------------------------------------------------------------------
// base64 and compressed streams

export function decodeBase64(bytes: Uint8Array, ctx: Ctx): Decoded {
  const checked = base64Bytes(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
  if (typeof checked === 'string') return failed('base64', `Not base64: ${checked}`);
  return bytesResult('base64', checked, `base64 → ${formatBytes(checked.length)}`, undefined, ctx);
}

/**
 * The bytes base64 text stands for (standard or URL-safe alphabet, not both; whitespace and line
 * breaks skipped; padding optional but only at the end), or why it is not base64.
 */
export function base64Bytes(text: string): Buffer | string {
  let clean = '';
  let alphabet: 'standard' | 'url' | null = null;
  let pad = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') continue;
    if (c === '=') {
      if (++pad > 2) return `too much padding at byte ${i}.`;
      continue;
    }
    if (pad > 0) return `data after the padding at byte ${i}.`;
    if (/[A-Za-z0-9]/.test(c)) clean += c;
    else if (c === '+' || c === '/') {
      if (alphabet === 'url') return `"${c}" at byte ${i} in URL-safe base64.`;
      alphabet = 'standard';
      clean += c;
    } else if (c === '-' || c === '_') {
      if (alphabet === 'standard') return `"${c}" at byte ${i} in standard base64.`;
      alphabet = 'url';
      clean += c;
    } else return `${JSON.stringify(c)} at byte ${i} is not a base64 character.`;
  }
  if (clean.length === 0) return 'there are no base64 characters.';
  if (clean.length % 4 === 1 || (pad > 0 && (clean.length + pad) % 4 !== 0)) {
    return `${clean.length} characters${pad ? ` and ${pad} padding` : ''} is not a length base64 can have.`;
  }
  return Buffer.from(clean, 'base64');
}

type Inflate = (buf: Uint8Array, options: ZlibOptions) => Buffer;

const INFLATERS: Record<'gzip' | 'zlib' | 'deflate', Inflate> = { gzip: gunzipSync, zlib: inflateSync, deflate: inflateRawSync };

/** Deflate's largest possible expansion: 258 bytes from 2 bits, about 1032 to 1. */
const DEFLATE_MAX_RATIO = 1032;

function zlibCode(err: unknown): string {
  return typeof (err as { code?: unknown } | null)?.code === 'string' ? (err as { code: string }).code : '';
}

/**
 * Inflates with the output capped by maxOutputLength. zlib then throws rather than return a
 * part, so a stream that holds more is inflated again from a prefix of its input too short to
 * exceed the cap (deflate expands at most ~1032:1), doubling while it still fits.
 */
function inflate(kind: 'gzip' | 'zlib' | 'deflate', bytes: Uint8Array, maxOut: number): { out: Buffer; warning?: string } {
  const fn = INFLATERS[kind];
  const syncFlush: ZlibOptions = { maxOutputLength: maxOut, finishFlush: zlibConstants.Z_SYNC_FLUSH };
  const cut = (): { out: Buffer; warning: string } => {
    let best: Buffer = Buffer.alloc(0);
    for (let n = Math.max(64, Math.floor(maxOut / DEFLATE_MAX_RATIO)); ; n *= 2) {
      const len = Math.min(n, bytes.length);
      try {
        best = fn(bytes.subarray(0, len), syncFlush);
      } catch {
        break;
      }
      if (len >= bytes.length) break;
    }
    return { out: best, warning: `The decompressed data is larger than ${formatBytes(maxOut)}; cut after ${formatBytes(best.length)}.` };
  };
  try {
    return { out: fn(bytes, { maxOutputLength: maxOut }) };
  } catch (err) {
    if (zlibCode(err) === 'ERR_BUFFER_TOO_LARGE') return cut();
    if (zlibCode(err) !== 'Z_BUF_ERROR') throw err;
  }
  // The input ends before the stream does (a message cut by the capture or the framing).
  try {
    const out = fn(bytes, syncFlush);
    return { out, warning: `The input ends before the ${kind} stream does; showing the ${formatBytes(out.length)} it holds so far.` };
  } catch (err) {
    if (zlibCode(err) === 'ERR_BUFFER_TOO_LARGE') return cut();
    throw err;
  }
}

export function decodeCompressed(kind: 'gzip' | 'zlib' | 'deflate', bytes: Uint8Array, ctx: Ctx): Decoded {
  let inflated: { out: Buffer; warning?: string };
  try {
    inflated = inflate(kind, bytes, ctx.maxOut);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return failed(kind, `Not ${kind === 'deflate' ? 'raw deflate' : kind} data: ${message.replace(/\.$/, '')}.`);
  }
  const head = `${kind} ${formatBytes(bytes.length)} → ${formatBytes(inflated.out.length)}${inflated.warning ? '+' : ''}`;
  return bytesResult(kind, inflated.out, head, inflated.warning, ctx);
}

/** The result of a transform (base64, inflate): what its output decodes to, or its text, or hex. */
export function bytesResult(name: DecoderName, out: Uint8Array, head: string, warning: string | undefined, ctx: Ctx, known?: Decoded | null): Decoded {
  const inner = known !== undefined ? known : ctx.nest < DECODE_LIMITS.innerDepth && out.length > 0 ? detect(out, { ...ctx, nest: ctx.nest + 1 }) : null;
  const result: Decoded = { decoder: name, summary: '' };
  const line = new Line(DECODE_LIMITS.summaryChars);
  line.add(head);
  if (inner) {
    result.inner = inner;
    line.add(`: ${inner.summary}`);
  } else {
    const text = out.length > 0 ? printableText(out) : null;
    if (text !== null) {
      line.add(`: ${quoteCut(text, DECODE_LIMITS.summaryChars)}`);
      if (!ctx.summaryOnly) setText(result, text);
    } else {
      if (out.length > 0) line.add(`: h'${hexCompact(out, DECODE_LIMITS.summaryChars)}'`);
      if (!ctx.summaryOnly) result.tree = { type: 'bytes', value: hexValue(out) };
    }
  }
  result.summary = line.toString();
  if (warning) result.warning = result.warning ? `${warning} ${result.warning}` : warning;
  return result;
}

// ---------------------------------------------------------------------------------------------
// UTF-16

export function decodeUtf16(name: 'utf16le' | 'utf16be', bytes: Uint8Array, ctx: Ctx): Decoded {
  const le = name === 'utf16le';
  const even = bytes.subarray(0, bytes.length - (bytes.length % 2));
  const bom = le ? bytes[0] === 0xff && bytes[1] === 0xfe : bytes[0] === 0xfe && bytes[1] === 0xff;
  const text = new TextDecoder(le ? 'utf-16le' : 'utf-16be').decode(even);
  const warnings: string[] = [];
  const lone = loneSurrogateOffset(even, le);
  if (lone >= 0) warnings.push(`A lone surrogate at byte ${lone} is shown as U+FFFD.`);
  if (bytes.length % 2) warnings.push(`An odd last byte (at byte ${bytes.length - 1}) is left out.`);
  const result: Decoded = { decoder: name, summary: `${bom ? 'BOM ' : ''}${quoteCut(text, DECODE_LIMITS.summaryChars)}` };
  result.summary = cut(result.summary, DECODE_LIMITS.summaryChars);
  if (!ctx.summaryOnly) setText(result, text);
  if (warnings.length) result.warning = warnings.join(' ');
  return result;
}

function loneSurrogateOffset(bytes: Uint8Array, le: boolean): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const u = dv.getUint16(i, le);
    if (u >= 0xdc00 && u <= 0xdfff) return i;
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = i + 3 < bytes.length ? dv.getUint16(i + 2, le) : -1;
      if (next < 0xdc00 || next > 0xdfff) return i;
      i += 2;
    }
  }
  return -1;
}
