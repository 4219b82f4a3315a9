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
 */
import { constants as zlibConstants, gunzipSync, inflateRawSync, inflateSync, type ZlibOptions } from 'node:zlib';
import { Decoder as CborDecoder, Tag as CborTag } from 'cbor-x';
import { C1, Unpackr, addExtension as addMsgpackExtension } from 'msgpackr';
import protobuf from 'protobufjs/minimal.js';
import { DECODER_NAMES, type Decoded, type DecodedNode, type DecoderChoice, type DecoderName } from '../../shared/decoded';
import { formatBytes } from '../../shared/format';

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

interface Ctx {
  maxIn: number;
  maxOut: number;
  summaryOnly: boolean;
  /** How deep inside base64 / decompression results this decoding is. */
  nest: number;
}

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

function decodeWith(name: DecoderName, bytes: Uint8Array, ctx: Ctx): Decoded {
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
function detect(bytes: Uint8Array, ctx: Ctx): Decoded | null {
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

// ---------------------------------------------------------------------------------------------
// JSON

interface RawJson {
  rawJSON: string;
}
const jsonExtras = JSON as unknown as { rawJSON?: (text: string) => RawJson; isRawJSON?: (v: unknown) => v is RawJson };

function isRawJson(v: unknown): v is RawJson {
  return typeof v === 'object' && v !== null && jsonExtras.isRawJSON !== undefined && jsonExtras.isRawJSON(v);
}

/**
 * Where the runtime offers source text access (Node 22+: reviver context and JSON.rawJSON), a
 * number whose shortest form differs from its source (a 64-bit id, 1.0, 1e3) keeps its source
 * text, so neither the tree nor the pretty text show a rounded value.
 */
function parseJson(text: string): unknown {
  const raw = jsonExtras.rawJSON;
  if (raw) {
    try {
      return JSON.parse(text, (_key: string, value: unknown, context?: { source?: string }) =>
        typeof value === 'number' && context?.source !== undefined && String(value) !== context.source ? raw(context.source) : value,
      );
    } catch {
      // A reviver recurses and may run out of stack on deep input; plain parsing does not.
    }
  }
  return JSON.parse(text);
}

function decodeJson(bytes: Uint8Array, ctx: Ctx): Decoded {
  const bomBytes = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let text: string;
  try {
    text = utf8Fatal.decode(bytes);
  } catch {
    return failed('json', `Not JSON: the bytes are not UTF-8 (at byte ${invalidUtf8Offset(bytes)}).`);
  }
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = /at position (\d+)/.exec(message);
    const words = message.replace(/\s*(?:in JSON )?at position \d+(?: \(line \d+ column \d+\))?/, '').replace(/\.$/, '');
    const offset = at ? bomBytes + Buffer.byteLength(text.slice(0, Number(at[1]))) : /end of JSON/i.test(message) ? bytes.length : null;
    return failed('json', `Not JSON: ${words}${offset !== null ? ` (at byte ${offset})` : ''}.`);
  }
  const line = new Line(DECODE_LIMITS.summaryChars);
  jsonSummary(value, line, 0);
  const result: Decoded = { decoder: 'json', summary: line.toString() };
  if (!ctx.summaryOnly) {
    result.tree = valueNode(value, undefined, 0, { nodes: DECODE_LIMITS.maxNodes }, true);
    let pretty: string;
    try {
      pretty = JSON.stringify(value, null, 2);
    } catch {
      pretty = text;
    }
    setText(result, pretty);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// MessagePack and CBOR

/** A MessagePack extension msgpackr has no meaning for: its type and payload, as they came. */
class MsgpackExt {
  constructor(
    readonly type: number,
    readonly data: Uint8Array,
  ) {}
}

let unpackr: Unpackr | null = null;

/**
 * msgpackr throws on an extension type it does not know, and its extension table is shared by
 * the whole process. Peers use their own types, so each type msgpackr has no reader for (found
 * by asking it, once) gets one that keeps the type and payload. Types msgpackr reads itself
 * (timestamp -1 and its own structured-clone types) keep msgpackr's meaning.
 */
function msgpackUnpackr(): Unpackr {
  if (unpackr) return unpackr;
  const made = new Unpackr({ mapsAsObjects: false, useRecords: false, int64AsType: 'bigint', structuredClone: false });
  for (let type = 0; type < 256; type++) {
    try {
      made.unpack(Uint8Array.of(0xc7, 0, type));
    } catch (err) {
      if (err instanceof Error && /^Unknown extension/.test(err.message)) {
        const signed = type > 127 ? type - 256 : type;
        addMsgpackExtension({ type, unpack: (data: Uint8Array) => new MsgpackExt(signed, data) });
      }
    }
  }
  unpackr = made;
  return made;
}

let cbor: CborDecoder | null = null;
function cborDecoder(): CborDecoder {
  cbor ??= new CborDecoder({ mapsAsObjects: false, useRecords: false });
  return cbor;
}

/** A fresh view, so the libraries' caches on the array object never touch the caller's. */
function view(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Every value of a MessagePack or CBOR sequence, up to the limit, through the library's reader. */
function decodeSequence(
  name: 'msgpack' | 'cbor',
  label: string,
  readAll: (bytes: Uint8Array, each: (value: unknown) => false | undefined) => unknown,
  bytes: Uint8Array,
  ctx: Ctx,
): Decoded {
  const values: unknown[] = [];
  let more = false;
  try {
    readAll(view(bytes), (value: unknown) => {
      if (values.length >= DECODE_LIMITS.sequenceValues) {
        more = true;
        return false;
      }
      values.push(value);
      return undefined;
    });
  } catch (err) {
    return failed(name, `Not ${label}: ${structuredErrorWords(err)}`);
  }
  return structuredResult(name, values, more, ctx);
}

function decodeMsgpack(bytes: Uint8Array, ctx: Ctx): Decoded {
  return decodeSequence('msgpack', 'MessagePack', (b, each) => msgpackUnpackr().unpackMultiple(b, each), bytes, ctx);
}

function decodeCbor(bytes: Uint8Array, ctx: Ctx): Decoded {
  return decodeSequence('cbor', 'CBOR', (b, each) => cborDecoder().decodeMultiple(b, each), bytes, ctx);
}

function structuredErrorWords(err: unknown): string {
  const e = err as { message?: unknown; lastPosition?: unknown; incomplete?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const at = typeof e?.lastPosition === 'number' ? ` (in the value that starts at byte ${e.lastPosition})` : '';
  if (e?.incomplete === true || /^Unexpected end of/i.test(message)) return `the data ends before the value does${at}.`;
  if (err instanceof RangeError && /call stack/i.test(message)) return 'the value is nested too deeply to read.';
  return `${message.replace(/\.$/, '')}${at}.`;
}

function structuredResult(name: 'msgpack' | 'cbor', values: unknown[], more: boolean, ctx: Ctx): Decoded {
  const line = new Line(DECODE_LIMITS.summaryChars);
  if (values.length === 1) {
    diagSummary(values[0], line, 0, true);
  } else {
    line.add(`${values.length}${more ? '+' : ''} values: `);
    for (let i = 0; i < values.length && !line.full; i++) {
      if (i) line.add(', ');
      diagSummary(values[i], line, 1, false);
    }
  }
  const result: Decoded = { decoder: name, summary: line.toString() };
  if (!ctx.summaryOnly) {
    const budget = { nodes: DECODE_LIMITS.maxNodes };
    if (values.length === 1) {
      result.tree = valueNode(values[0], undefined, 0, budget, false);
    } else {
      budget.nodes--;
      const children: DecodedNode[] = [];
      let i = 0;
      for (; i < values.length && budget.nodes > 0; i++) children.push(valueNode(values[i], String(i), 1, budget, false));
      const root: DecodedNode = { type: 'sequence', value: `${values.length}${more ? '+' : ''} values`, children };
      if (i < values.length || more) root.omitted = values.length - i;
      result.tree = root;
    }
  }
  if (more) result.warning = `Only the first ${DECODE_LIMITS.sequenceValues} values were read.`;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Values (JSON, MessagePack, CBOR) as tree nodes and summaries

interface Budget {
  nodes: number;
}

type Shape =
  | { type: string; value: string }
  | { type: string; value: string; size: number; entries: () => Iterable<[string, unknown]> };

function shapeOf(v: unknown, json: boolean): Shape {
  if (v === null) return { type: 'null', value: 'null' };
  switch (typeof v) {
    case 'undefined':
      return { type: 'undefined', value: 'undefined' };
    case 'boolean':
      return { type: 'boolean', value: String(v) };
    case 'number':
      return { type: 'number', value: formatNumber(v) };
    case 'bigint':
      return { type: 'integer', value: v.toString() };
    case 'string':
      return { type: 'string', value: quoteCut(v, DECODE_LIMITS.valueChars) };
    case 'object':
      break;
    default:
      return { type: typeof v, value: String(v) };
  }
  if (isRawJson(v)) return { type: 'number', value: v.rawJSON };
  if (v === C1) return { type: 'reserved', value: '0xc1 (never used)' };
  if (v instanceof Uint8Array) return { type: 'bytes', value: hexValue(v) };
  if (v instanceof ArrayBuffer) return { type: 'bytes', value: hexValue(new Uint8Array(v)) };
  if (v instanceof DataView) return { type: 'bytes', value: hexValue(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  if (ArrayBuffer.isView(v)) {
    const arr = v as unknown as ArrayLike<number | bigint>;
    return { type: 'typed-array', value: typedArrayText(v, arr) };
  }
  if (v instanceof Date) return { type: 'date', value: Number.isNaN(v.getTime()) ? 'invalid date' : v.toISOString() };
  if (v instanceof MsgpackExt) return { type: 'ext', value: `type ${v.type}: ${hexValue(v.data)}` };
  if (v instanceof CborTag) {
    const inner = v.value as unknown;
    return { type: 'tag', value: String(v.tag), size: 1, entries: () => [['value', inner]] };
  }
  if (v instanceof Map) {
    const m = v as Map<unknown, unknown>;
    return { type: 'map', value: count(m.size, 'entry', 'entries'), size: m.size, entries: () => mapEntries(m) };
  }
  if (Array.isArray(v)) {
    const a = v as unknown[];
    return { type: 'array', value: count(a.length, 'item', 'items'), size: a.length, entries: () => arrayEntries(a) };
  }
  if (v instanceof Set) {
    const s = v as Set<unknown>;
    return { type: 'set', value: count(s.size, 'item', 'items'), size: s.size, entries: () => arrayEntries(s) };
  }
  if (v instanceof RegExp || v instanceof Error) return { type: 'object', value: String(v) };
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  return { type: json ? 'object' : 'map', value: count(keys.length, 'entry', 'entries'), size: keys.length, entries: () => keys.map((k) => [k, o[k]] as [string, unknown]) };
}

function* mapEntries(m: Map<unknown, unknown>): Iterable<[string, unknown]> {
  for (const [k, v] of m) yield [typeof k === 'string' ? k : diagString(k, 60), v];
}

function* arrayEntries(a: Iterable<unknown>): Iterable<[string, unknown]> {
  let i = 0;
  for (const v of a) yield [String(i++), v];
}

function valueNode(v: unknown, key: string | undefined, depth: number, budget: Budget, json: boolean): DecodedNode {
  budget.nodes--;
  const shape = shapeOf(v, json);
  const node: DecodedNode = key !== undefined ? { key, type: shape.type, value: shape.value } : { type: shape.type, value: shape.value };
  if (!('entries' in shape) || shape.size === 0) return node;
  if (depth >= DECODE_LIMITS.maxDepth) {
    node.omitted = shape.size;
    return node;
  }
  const children: DecodedNode[] = [];
  for (const [k, child] of shape.entries()) {
    if (budget.nodes <= 0) break;
    children.push(valueNode(child, k, depth + 1, budget, json));
  }
  node.children = children;
  if (children.length < shape.size) node.omitted = shape.size - children.length;
  return node;
}

/** Compact JSON, cut at the summary length. */
function jsonSummary(v: unknown, line: Line, depth: number): void {
  if (line.full) return;
  if (depth > 64) {
    line.add('…');
    return;
  }
  if (v === null || typeof v !== 'object') {
    line.add(typeof v === 'string' ? quoteCut(v, DECODE_LIMITS.summaryChars) : String(v));
    return;
  }
  if (isRawJson(v)) {
    line.add(v.rawJSON);
    return;
  }
  if (Array.isArray(v)) {
    line.add('[');
    for (let i = 0; i < v.length && !line.full; i++) {
      if (i) line.add(',');
      jsonSummary(v[i], line, depth + 1);
    }
    line.add(']');
    return;
  }
  line.add('{');
  let first = true;
  for (const k of Object.keys(v)) {
    if (line.full) return;
    if (!first) line.add(',');
    first = false;
    line.add(`${quoteCut(k, DECODE_LIMITS.summaryChars)}:`);
    jsonSummary((v as Record<string, unknown>)[k], line, depth + 1);
  }
  line.add('}');
}

/** A CBOR-diagnostic-like line: `map(2) {id: 7, name: "x"}`, `32("http://…")`, `h'0102'`. */
function diagSummary(v: unknown, line: Line, depth: number, top: boolean): void {
  if (line.full) return;
  if (depth > 64) {
    line.add('…');
    return;
  }
  const shape = shapeOf(v, false);
  if (v instanceof CborTag) {
    line.add(`${v.tag}(`);
    diagSummary(v.value, line, depth + 1, false);
    line.add(')');
    return;
  }
  if (v instanceof Uint8Array) {
    line.add(`h'${hexCompact(v, DECODE_LIMITS.summaryChars)}'`);
    return;
  }
  if (v instanceof MsgpackExt) {
    line.add(`ext(${v.type}, h'${hexCompact(v.data, DECODE_LIMITS.summaryChars)}')`);
    return;
  }
  if (!('entries' in shape)) {
    line.add(typeof v === 'string' ? quoteCut(v, DECODE_LIMITS.summaryChars) : shape.value);
    return;
  }
  const keyed = shape.type === 'map';
  if (top || shape.type === 'set') line.add(`${shape.type}(${shape.size}) `);
  line.add(keyed ? '{' : '[');
  let i = 0;
  if (keyed && v instanceof Map) {
    for (const [k, child] of v as Map<unknown, unknown>) {
      if (line.full) return;
      if (i++) line.add(', ');
      if (typeof k === 'string') line.add(/^[A-Za-z_$][\w$]*$/.test(k) ? k : quoteCut(k, DECODE_LIMITS.summaryChars));
      else diagSummary(k, line, depth + 1, false);
      line.add(': ');
      diagSummary(child, line, depth + 1, false);
    }
  } else {
    for (const [k, child] of shape.entries()) {
      if (line.full) return;
      if (i++) line.add(', ');
      if (keyed) line.add(`${/^[A-Za-z_$][\w$]*$/.test(k) ? k : quoteCut(k, DECODE_LIMITS.summaryChars)}: `);
      diagSummary(child, line, depth + 1, false);
    }
  }
  line.add(keyed ? '}' : ']');
}

function diagString(v: unknown, max: number): string {
  const line = new Line(max);
  diagSummary(v, line, 0, false);
  return line.toString();
}

function typedArrayText(v: ArrayBufferView, arr: ArrayLike<number | bigint>): string {
  const line = new Line(DECODE_LIMITS.valueChars);
  line.add(`${v.constructor.name}(${arr.length}) [`);
  for (let i = 0; i < arr.length && !line.full; i++) {
    const x = arr[i]!;
    line.add(`${i ? ', ' : ''}${typeof x === 'number' ? formatNumber(x) : x.toString()}`);
  }
  line.add(']');
  return line.toString();
}

// ---------------------------------------------------------------------------------------------
// Protocol Buffers, without a schema

type PbReader = InstanceType<typeof protobuf.Reader>;

type PbField =
  | { no: number; at: number; wire: 0; value: bigint }
  | { no: number; at: number; wire: 1; value: bigint; double: number }
  | { no: number; at: number; wire: 2; bytes: Uint8Array }
  | { no: number; at: number; wire: 3 }
  | { no: number; at: number; wire: 4 }
  | { no: number; at: number; wire: 5; value: number; float: number };

class PbError extends Error {
  constructor(
    readonly at: number,
    message: string,
  ) {
    super(message);
  }
}

const TWO_64 = 1n << 64n;
const TWO_63 = 1n << 63n;

function longToBigInt(l: { low: number; high: number } | number): bigint {
  if (typeof l === 'number') return BigInt(l);
  return (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
}

/** One field, read with protobufjs's Reader; PbError (with the field's offset) when malformed. */
function readField(r: PbReader, buf: Uint8Array): PbField {
  const at = r.pos;
  let tag: number;
  try {
    tag = r.tag();
  } catch {
    throw new PbError(at, 'the field key is cut short or malformed');
  }
  const no = tag >>> 3;
  const wire = tag & 7;
  if (no === 0) throw new PbError(at, 'field number 0 does not exist');
  switch (wire) {
    case 0:
      try {
        return { no, at, wire, value: longToBigInt(r.uint64()) };
      } catch {
        throw new PbError(at, `field ${no}: the varint is cut short or longer than 10 bytes`);
      }
    case 1: {
      if (r.len - r.pos < 8) throw new PbError(at, `field ${no}: 8 bytes needed, ${r.len - r.pos} left`);
      const start = r.pos;
      const value = longToBigInt(r.fixed64());
      r.pos = start;
      return { no, at, wire, value, double: r.double() };
    }
    case 2: {
      let n: number;
      try {
        n = r.size();
      } catch {
        throw new PbError(at, `field ${no}: the length is cut short or malformed`);
      }
      const left = r.len - r.pos;
      if (n > left) throw new PbError(at, `field ${no}: a length of ${n} runs past the end (${left} bytes left)`);
      const start = r.pos;
      r.skip(n);
      return { no, at, wire, bytes: buf.subarray(start, start + n) };
    }
    case 3:
    case 4:
      return { no, at, wire: wire };
    case 5: {
      if (r.len - r.pos < 4) throw new PbError(at, `field ${no}: 4 bytes needed, ${r.len - r.pos} left`);
      const start = r.pos;
      const value = r.fixed32();
      r.pos = start;
      return { no, at, wire, value, float: r.float() };
    }
    default:
      throw new PbError(at, `field ${no}: wire type ${wire} does not exist`);
  }
}

/** Checks that all of `buf` is fields (groups closed); returns how many top-level fields. */
function scanMessage(buf: Uint8Array): number {
  const r = new protobuf.Reader(buf);
  const groups: number[] = [];
  let top = 0;
  while (r.pos < r.len) {
    const f = readField(r, buf);
    if (groups.length === 0 && f.wire !== 4) top++;
    if (f.wire === 3) {
      if (groups.length >= DECODE_LIMITS.maxDepth) throw new PbError(f.at, `groups nested deeper than ${DECODE_LIMITS.maxDepth}`);
      groups.push(f.no);
    } else if (f.wire === 4) {
      const open = groups[groups.length - 1];
      if (open !== f.no) throw new PbError(f.at, open === undefined ? `end of group ${f.no} without its start` : `end of group ${f.no} inside group ${open}`);
      groups.pop();
    }
  }
  const open = groups[groups.length - 1];
  if (open !== undefined) throw new PbError(r.pos, `group ${open} is not closed`);
  return top;
}

function protobufParses(buf: Uint8Array): boolean {
  try {
    scanMessage(buf);
    return true;
  } catch {
    return false;
  }
}

/** Top-level field count when `buf` is a whole message, else -1. */
function asMessage(buf: Uint8Array): number {
  try {
    return buf.length > 0 ? scanMessage(buf) : -1;
  } catch {
    return -1;
  }
}

function decodeProtobuf(bytes: Uint8Array, ctx: Ctx): Decoded {
  let fields: number;
  try {
    fields = scanMessage(bytes);
  } catch (err) {
    if (err instanceof PbError) return failed('protobuf', `Not Protocol Buffers: at byte ${err.at}, ${err.message}.`);
    throw err;
  }
  const line = new Line(DECODE_LIMITS.summaryChars);
  messageSummary(bytes, line, 0);
  const result: Decoded = { decoder: 'protobuf', summary: line.toString() };
  if (!ctx.summaryOnly) {
    const budget = { nodes: DECODE_LIMITS.maxNodes - 1 };
    const root: DecodedNode = { type: 'message', value: `${count(fields, 'field', 'fields')}, ${formatBytes(bytes.length)}` };
    fillMessage(root, bytes, 0, budget);
    result.tree = root;
  }
  return result;
}

/** Adds a message's fields (already checked) to `node`, groups as nested nodes. */
function fillMessage(node: DecodedNode, buf: Uint8Array, depth: number, budget: Budget): void {
  const r = new protobuf.Reader(buf);
  const stack: { node: DecodedNode; depth: number }[] = [{ node, depth }];
  node.children = [];
  while (r.pos < r.len) {
    const f = readField(r, buf);
    const top = stack[stack.length - 1]!;
    if (f.wire === 4) {
      stack.pop();
      continue;
    }
    const full = budget.nodes <= 0 || top.depth >= DECODE_LIMITS.maxDepth;
    if (f.wire === 3) {
      const group: DecodedNode = { key: String(f.no), type: 'group', children: [] };
      if (full) top.node.omitted = (top.node.omitted ?? 0) + 1;
      else {
        budget.nodes--;
        top.node.children!.push(group);
      }
      // Fields of a group not shown count on the group, which is itself not shown; harmless.
      stack.push({ node: group, depth: top.depth + 1 });
      continue;
    }
    if (full) {
      top.node.omitted = (top.node.omitted ?? 0) + 1;
      continue;
    }
    budget.nodes--;
    top.node.children!.push(fieldNode(f, top.depth + 1, budget));
  }
  dropEmptyChildren(node);
}

function dropEmptyChildren(node: DecodedNode): void {
  if (node.children && node.children.length === 0) delete node.children;
  for (const c of node.children ?? []) if (c.type === 'group') dropEmptyChildren(c);
}

function fieldNode(f: Exclude<PbField, { wire: 3 } | { wire: 4 }>, depth: number, budget: Budget): DecodedNode {
  const key = String(f.no);
  switch (f.wire) {
    case 0:
      return { key, type: 'varint', value: varintText(f.value) };
    case 1: {
      const signed = f.value >= TWO_63 ? f.value - TWO_64 : f.value;
      return { key, type: 'fixed64', value: `${f.value}${signed !== f.value ? ` (int64 ${signed}, double ${formatNumber(f.double)})` : ` (double ${formatNumber(f.double)})`}` };
    }
    case 5: {
      const signed = f.value | 0;
      return { key, type: 'fixed32', value: `${f.value}${signed !== f.value ? ` (int32 ${signed}, float ${formatFloat32(f.float)})` : ` (float ${formatFloat32(f.float)})`}` };
    }
    case 2:
      return lengthNode(key, f.bytes, depth, budget);
  }
}

/** A length-delimited field, guessed: a whole message, else printable UTF-8, else bytes. */
function lengthNode(key: string, bytes: Uint8Array, depth: number, budget: Budget): DecodedNode {
  if (bytes.length === 0) return { key, type: 'bytes', value: '(empty)' };
  const text = printableText(bytes);
  const fields = asMessage(bytes);
  if (fields >= 0) {
    // The same bytes may also read as text ("hi" is field 13 = 105); both readings are shown.
    const node: DecodedNode = { key, type: 'message', value: text !== null ? quoteCut(text, DECODE_LIMITS.valueChars) : `${count(fields, 'field', 'fields')}, ${formatBytes(bytes.length)}` };
    if (depth >= DECODE_LIMITS.maxDepth) node.omitted = fields;
    else fillMessage(node, bytes, depth, budget);
    return node;
  }
  if (text !== null) return { key, type: 'string', value: quoteCut(text, DECODE_LIMITS.valueChars) };
  const node: DecodedNode = { key, type: 'bytes', value: hexValue(bytes) };
  const packed = packedVarints(bytes);
  if (packed !== null && budget.nodes > 0) {
    budget.nodes--;
    node.children = [{ key: 'as packed varints', type: 'packed', value: packed }];
  }
  return node;
}

/** The bytes as a run of varints (a packed repeated field), or null when they are not. */
function packedVarints(bytes: Uint8Array): string | null {
  const r = new protobuf.Reader(bytes);
  const line = new Line(DECODE_LIMITS.valueChars);
  let n = 0;
  try {
    while (r.pos < r.len) {
      const v = longToBigInt(r.uint64());
      if (!line.full) line.add(`${n ? ', ' : ''}${v}`);
      n++;
    }
  } catch {
    return null;
  }
  return `${count(n, 'value', 'values')}: ${line.toString()}`;
}

function varintText(v: bigint): string {
  const extra: string[] = [];
  if (v >= TWO_63) extra.push(`int64 ${v - TWO_64}`);
  const zigzag = (v >> 1n) ^ -(v & 1n);
  if (zigzag !== v) extra.push(`zigzag ${zigzag}`);
  return extra.length ? `${v} (${extra.join(', ')})` : v.toString();
}

/** `#1 varint 150, #2 "testing", #3 {#1 varint 150}` */
function messageSummary(buf: Uint8Array, line: Line, depth: number): void {
  const r = new protobuf.Reader(buf);
  let i = 0;
  while (r.pos < r.len && !line.full) {
    const f = readField(r, buf);
    if (f.wire === 4) {
      line.add('}');
      continue;
    }
    if (i++ && !line.s.endsWith('{')) line.add(', ');
    line.add(`#${f.no} `);
    switch (f.wire) {
      case 0:
        line.add(`varint ${f.value}${f.value >= TWO_63 ? ` (${f.value - TWO_64})` : ''}`);
        break;
      case 1:
        line.add(`fixed64 ${f.value} (${formatNumber(f.double)})`);
        break;
      case 5:
        line.add(`fixed32 ${f.value} (${formatFloat32(f.float)})`);
        break;
      case 3:
        line.add('group {');
        break;
      case 2: {
        // Printable bytes read as a string here even when they also parse as a message ("hi" is
        // field 13 = 105): real nested messages rarely are printable (tags of fields 1-3 are
        // control characters). The tree shows both readings.
        const b = f.bytes;
        const text = b.length > 0 ? printableText(b) : null;
        if (b.length === 0) line.add('""');
        else if (text !== null) line.add(quoteCut(text, DECODE_LIMITS.summaryChars));
        else if (depth < DECODE_LIMITS.maxDepth && asMessage(b) >= 0) {
          line.add('{');
          messageSummary(b, line, depth + 1);
          line.add('}');
        } else line.add(`bytes(${b.length}) ${hexCompact(b, DECODE_LIMITS.summaryChars)}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// base64 and compressed streams

function decodeBase64(bytes: Uint8Array, ctx: Ctx): Decoded {
  const checked = base64Bytes(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
  if (typeof checked === 'string') return failed('base64', `Not base64: ${checked}`);
  return bytesResult('base64', checked, `base64 → ${formatBytes(checked.length)}`, undefined, ctx);
}

/**
 * The bytes base64 text stands for (standard or URL-safe alphabet, not both; whitespace and line
 * breaks skipped; padding optional but only at the end), or why it is not base64.
 */
function base64Bytes(text: string): Buffer | string {
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

function decodeCompressed(kind: 'gzip' | 'zlib' | 'deflate', bytes: Uint8Array, ctx: Ctx): Decoded {
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
function bytesResult(name: DecoderName, out: Uint8Array, head: string, warning: string | undefined, ctx: Ctx, known?: Decoded | null): Decoded {
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

function decodeUtf16(name: 'utf16le' | 'utf16be', bytes: Uint8Array, ctx: Ctx): Decoded {
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

// ---------------------------------------------------------------------------------------------
// Helpers

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8');

/** Control characters other than tab, line breaks, form feed and ESC; C1 controls; U+FFFD; non-characters U+FFFE/U+FFFF. */
const NOT_PRINTABLE = /[\u0000-\u0008\u000e-\u001a\u001c-\u001f\u007f-\u009f\ufffd\ufffe\uffff]/;

function isPrintable(text: string): boolean {
  return !NOT_PRINTABLE.test(text);
}

/** The bytes as text when they are valid UTF-8 a person could read, else null. */
function printableText(bytes: Uint8Array): string | null {
  let text: string;
  try {
    text = utf8Fatal.decode(bytes);
  } catch {
    return null;
  }
  return isPrintable(text) ? text : null;
}

/** Where UTF-8 decoding first went wrong: the first byte the lenient decoding does not give back. */
function invalidUtf8Offset(bytes: Uint8Array): number {
  const back = Buffer.from(utf8Lenient.decode(bytes), 'utf8');
  let i = 0;
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i + bom < bytes.length && i < back.length && back[i] === bytes[i + bom]) i++;
  return i + bom;
}

/** A one-line writer that stops taking text once past its length. */
class Line {
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
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 1;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${s.slice(0, end)}…`;
}

/** A JSON-quoted string, cut with "…" after `max` characters. */
function quoteCut(s: string, max: number): string {
  if (s.length <= max) return JSON.stringify(s);
  return `${JSON.stringify(cut(s, max).slice(0, -1))}…`;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Spaced hex of the first bytes; "… (N bytes)" when there are more. */
function hexValue(bytes: Uint8Array): string {
  if (bytes.length === 0) return '(empty)';
  const n = Math.min(bytes.length, DECODE_LIMITS.valueBytes);
  let s = '';
  for (let i = 0; i < n; i++) s += (i ? ' ' : '') + HEX[bytes[i]!]!;
  return bytes.length > n ? `${s} … (${bytes.length} bytes)` : s;
}

/** Unspaced hex, at most about `maxChars` characters, "…" when cut. */
function hexCompact(bytes: Uint8Array, maxChars: number): string {
  const n = Math.min(bytes.length, Math.ceil(maxChars / 2));
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[bytes[i]!]!;
  return bytes.length > n ? `${s}…` : s;
}

function formatNumber(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

/** The shortest decimal that reads back as the same 32-bit float (1.100000023841858 → 1.1). */
function formatFloat32(x: number): string {
  if (!Number.isFinite(x) || Object.is(x, -0)) return formatNumber(x);
  for (let p = 1; p <= 9; p++) {
    const shortest = Number(x.toPrecision(p));
    if (Math.fround(shortest) === x) return String(shortest);
  }
  return String(x);
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function setText(result: Decoded, text: string): void {
  if (text.length <= DECODE_LIMITS.textChars) {
    result.text = text;
    return;
  }
  result.text = cut(text, DECODE_LIMITS.textChars);
  const note = `The text is cut after ${formatBytes(DECODE_LIMITS.textChars)} characters.`;
  result.warning = result.warning ? `${result.warning} ${note}` : note;
}

function failed(name: DecoderName, error: string): Decoded {
  return { decoder: name, summary: cut(error, DECODE_LIMITS.summaryChars), error };
}

function describeError(err: unknown): string {
  if (err instanceof RangeError && /call stack/i.test(err.message)) return 'The value is nested too deeply to decode.';
  return err instanceof Error ? err.message : String(err);
}
