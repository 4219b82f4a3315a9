/** JSON, MessagePack and CBOR values, read by their libraries, as bounded trees and one-line summaries. */
import { Decoder as CborDecoder, Tag as CborTag } from 'cbor-x';
import { C1, Unpackr, addExtension as addMsgpackExtension } from 'msgpackr';
import { type Decoded, type DecodedNode } from '../../../shared/decoded';
import { DECODE_LIMITS, Ctx, utf8Fatal, invalidUtf8Offset, Line, quoteCut, hexValue, hexCompact, formatNumber, count, setText, failed, Budget } from './common';

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

export function decodeJson(bytes: Uint8Array, ctx: Ctx): Decoded {
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
export function msgpackUnpackr(): Unpackr {
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
export function cborDecoder(): CborDecoder {
  cbor ??= new CborDecoder({ mapsAsObjects: false, useRecords: false });
  return cbor;
}

/** A fresh view, so the libraries' caches on the array object never touch the caller's. */
export function view(bytes: Uint8Array): Uint8Array {
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

export function decodeMsgpack(bytes: Uint8Array, ctx: Ctx): Decoded {
  return decodeSequence('msgpack', 'MessagePack', (b, each) => msgpackUnpackr().unpackMultiple(b, each), bytes, ctx);
}

export function decodeCbor(bytes: Uint8Array, ctx: Ctx): Decoded {
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

export function structuredResult(name: 'msgpack' | 'cbor', values: unknown[], more: boolean, ctx: Ctx): Decoded {
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
