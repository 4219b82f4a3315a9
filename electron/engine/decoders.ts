/**
 * Decoders: a message's bytes read as JSON, MessagePack, CBOR, Protocol Buffers without a schema,
 * base64, gzip / zlib / raw deflate, or UTF-16, chosen by the user or detected. A decoding is a
 * reading of the capture, never a change to it, so a row can be re-decoded at any time.
 *
 * The formats are parsed by their maintained libraries (msgpackr, cbor-x, protobufjs's Reader,
 * node:zlib); this module only turns what they return into a bounded tree, text and a one-line
 * summary. Nothing here throws: whatever a decoder could not read comes back as `error`.
 *
 * Bounds, because the bytes come from peers we do not trust: input over 16 MiB is refused;
 * decompressed output stops at 16 MiB (zlib's maxOutputLength, so a zip bomb costs no more);
 * trees stop at 2,000 nodes and depth 32 (the rest counted in `omitted`); text stops at 1 MiB;
 * summaries at 160 characters; long strings and bytes in tree values are cut with "…".
 *
 * The formats live in decoding/: values.ts (JSON, MessagePack, CBOR), protobuf.ts, streams.ts
 * (base64, compressed streams, UTF-16) and common.ts (limits and helpers). This module chooses.
 */
import { DECODER_NAMES, type Decoded, type DecoderChoice, type DecoderName } from '../../shared/decoded';
import { formatBytes } from '../../shared/format';
import { DECODE_LIMITS, DecodeOptions, Ctx, isPrintable, printableText, failed, describeError } from './decoding/common';
import { decodeJson, msgpackUnpackr, cborDecoder, view, decodeMsgpack, decodeCbor, structuredResult } from './decoding/values';
import { protobufParses, decodeProtobuf } from './decoding/protobuf';
import { decodeBase64, base64Bytes, decodeCompressed, bytesResult, decodeUtf16 } from './decoding/streams';

export { DECODE_LIMITS, type DecodeOptions } from './decoding/common';

/**
 * Decodes a message's bytes with the chosen decoder, or detects one ('auto').
 * Returns null for 'none', and for 'auto' when nothing fits. Never throws: a decoder that cannot
 * read the bytes returns a result with `error`.
 */
export function decode(bytes: Uint8Array, choice: DecoderChoice, options: DecodeOptions = {}): Decoded | null {
  const named = (DECODER_NAMES as readonly string[]).includes(choice) ? (choice as DecoderName) : null;
  try {
    if (choice === 'none') return null;
    const ctx: Ctx = {
      maxIn: Math.min(options.maxInputBytes ?? DECODE_LIMITS.maxInputBytes, DECODE_LIMITS.maxInputBytes),
      maxOut: Math.min(options.maxOutputBytes ?? DECODE_LIMITS.maxOutputBytes, DECODE_LIMITS.maxOutputBytes),
      summaryOnly: options.summaryOnly === true,
      nest: 0,
    };
    if (!(bytes instanceof Uint8Array)) return named ? failed(named, 'There are no bytes to decode.') : null;
    if (choice === 'auto') return detect(bytes, ctx);
    return named ? decodeWith(named, bytes, ctx) : null;
  } catch (err) {
    return named ? failed(named, describeError(err)) : null;
  }
}

export function decodeWith(name: DecoderName, bytes: Uint8Array, ctx: Ctx): Decoded {
  if (bytes.length > ctx.maxIn) return failed(name, `The message is ${formatBytes(bytes.length)}; decoders read at most ${formatBytes(ctx.maxIn)}.`);
  if (bytes.length === 0) return failed(name, 'There are no bytes to decode.');
  try {
    switch (name) {
      case 'json':
        return decodeJson(bytes, ctx);
      case 'msgpack':
        return decodeMsgpack(bytes, ctx);
      case 'cbor':
        return decodeCbor(bytes, ctx);
      case 'protobuf':
        return decodeProtobuf(bytes, ctx);
      case 'base64':
        return decodeBase64(bytes, ctx);
      case 'gzip':
      case 'zlib':
      case 'deflate':
        return decodeCompressed(name, bytes, ctx);
      case 'utf16le':
      case 'utf16be':
        return decodeUtf16(name, bytes, ctx);
    }
  } catch (err) {
    return failed(name, describeError(err));
  }
}

/**
 * Auto-detection, conservative on purpose: a row is decoded only when its bytes say what they
 * are, and plain text with no structure is left alone. In this order:
 *  1. Nothing, or more than the input limit: null.
 *  2. gzip: 1f 8b 08 (magic, deflate) and it inflates (a stream cut short counts, with a warning).
 *  3. zlib: a deflate CMF (low nibble 8, window ≤ 32 KiB), no preset dictionary,
 *     (CMF·256 + FLG) % 31 == 0, and it inflates. Raw deflate has no header and is never guessed.
 *  4. JSON: the first byte after whitespace (and a UTF-8 BOM) is { or [, and it parses.
 *  5. UTF-16: a BOM (FF FE or FE FF) then text; or, without one, at least 4 characters where every
 *     other byte is zero (ASCII in UTF-16); either way the text must be printable.
 *  6. CBOR that starts with the self-describe tag (d9 d9 f7) and decodes.
 *  7. base64: at least 8 characters of one base64 alphabet (standard or URL-safe), padding only at
 *     the end, a possible length, and what it decodes to is itself detected (a Protocol Buffers
 *     guess only from 16 characters) or is printable text.
 *  8. Any other printable UTF-8 text: null.
 *  9. MessagePack, then CBOR: at least 2 bytes, one value that uses up the whole input exactly,
 *     and that value is a map or array (or a MessagePack extension / CBOR tag).
 * 10. Protocol Buffers: at least 2 bytes, and the whole input parses as fields with valid wire
 *     types and field numbers (groups closed, lengths inside the input).
 */
export function detect(bytes: Uint8Array, ctx: Ctx): Decoded | null {
  if (bytes.length === 0 || bytes.length > ctx.maxIn) return null;
  const attempt = (name: DecoderName): Decoded | null => {
    const d = decodeWith(name, bytes, ctx);
    return d.error ? null : d;
  };
  const b0 = bytes[0]!;
  const b1 = bytes[1] ?? -1;
  if (b0 === 0x1f && b1 === 0x8b && bytes[2] === 8) {
    const d = attempt('gzip');
    if (d) return d;
  }
  if (looksZlib(b0, b1)) {
    const d = attempt('zlib');
    if (d) return d;
  }
  if (startsLikeJson(bytes)) {
    const d = attempt('json');
    if (d) return d;
  }
  const utf16 = utf16Guess(bytes);
  if (utf16) {
    const d = attempt(utf16);
    if (d && !d.warning) return d;
  }
  if (b0 === 0xd9 && b1 === 0xd9 && bytes[2] === 0xf7) {
    const d = autoStructured('cbor', bytes, ctx);
    if (d) return d;
  }
  const text = printableText(bytes);
  if (text !== null) return autoBase64(text, ctx);
  if (bytes.length < 2) return null;
  if (msgpackContainerByte(b0)) {
    const d = autoStructured('msgpack', bytes, ctx);
    if (d) return d;
  }
  if (cborContainerByte(b0)) {
    const d = autoStructured('cbor', bytes, ctx);
    if (d) return d;
  }
  if (protobufParses(bytes)) return attempt('protobuf');
  return null;
}

function looksZlib(cmf: number, flg: number): boolean {
  return flg >= 0 && (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && (flg & 0x20) === 0 && (cmf * 256 + flg) % 31 === 0;
}

function startsLikeJson(bytes: Uint8Array): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return bytes[i] === 0x7b || bytes[i] === 0x5b;
}

function utf16Guess(bytes: Uint8Array): 'utf16le' | 'utf16be' | null {
  if (bytes.length % 2 !== 0 || bytes.length < 4) return null;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf16be';
  if (bytes.length < 8) return null;
  let le = true;
  let be = true;
  for (let i = 0; i < bytes.length && (le || be); i += 2) {
    const a = bytes[i]!;
    const b = bytes[i + 1]!;
    if (!(a !== 0 && b === 0)) le = false;
    if (!(a === 0 && b !== 0)) be = false;
  }
  if (!le && !be) return null;
  const text = new TextDecoder(le ? 'utf-16le' : 'utf-16be').decode(bytes);
  return isPrintable(text) ? (le ? 'utf16le' : 'utf16be') : null;
}

function msgpackContainerByte(b: number): boolean {
  return (b >= 0x80 && b <= 0x9f) || (b >= 0xdc && b <= 0xdf) || (b >= 0xc7 && b <= 0xc9) || (b >= 0xd4 && b <= 0xd8);
}

function cborContainerByte(b: number): boolean {
  return b >= 0x80 && b <= 0xdb;
}

function autoBase64(text: string, ctx: Ctx): Decoded | null {
  const body = text.replace(/\r?\n$/, '');
  if (body.length < 8 || !/^(?:[A-Za-z0-9+/]+|[A-Za-z0-9_-]+)={0,2}$/.test(body)) return null;
  const checked = base64Bytes(body);
  if (typeof checked === 'string') return null;
  const inner = ctx.nest < DECODE_LIMITS.innerDepth ? detect(checked, { ...ctx, nest: ctx.nest + 1 }) : null;
  if (inner ? inner.decoder === 'protobuf' && body.length < 16 : printableText(checked) === null) return null;
  return bytesResult('base64', checked, `base64 → ${formatBytes(checked.length)}`, undefined, ctx, inner);
}

function autoStructured(name: 'msgpack' | 'cbor', bytes: Uint8Array, ctx: Ctx): Decoded | null {
  try {
    const value = name === 'msgpack' ? msgpackUnpackr().unpack(view(bytes)) : cborDecoder().decode(view(bytes));
    return structuredResult(name, [value], false, ctx);
  } catch {
    return null;
  }
}
