/** Protocol Buffers without a schema: fields, wire types and nested guesses, read with protobufjs's Reader. */
import protobuf from 'protobufjs/minimal.js';
import { type Decoded, type DecodedNode } from '../../../shared/decoded';
import { formatBytes } from '../../../shared/format';
import { DECODE_LIMITS, Ctx, printableText, Line, quoteCut, hexValue, hexCompact, formatNumber, formatFloat32, count, failed, Budget } from './common';

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

export function protobufParses(buf: Uint8Array): boolean {
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

export function decodeProtobuf(bytes: Uint8Array, ctx: Ctx): Decoded {
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
