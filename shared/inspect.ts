/**
 * Readings of a selection of bytes for the byte inspector (a hex editor's "data inspector"):
 * numbers of every common width and byte order, UTF-8 text, Unix times, checksum display and
 * the copy formats. Pure functions on Uint8Array, so the engine and the renderer share them.
 * The checksums themselves are computed in the engine (electron/engine/checksums.ts).
 */
import { formatEscaped, toBase64, toHex } from './bytes';

/** Checksums of a whole selection, each as an unsigned integer of its own width. */
export interface Checksums {
  /** CRC-32 (ISO-HDLC: zip, PNG, Ethernet): reflected poly 0x04C11DB7, init and xorout 0xFFFFFFFF. "123456789" → 0xCBF43926. */
  crc32: number;
  /** CRC-16/MODBUS: reflected poly 0x8005, init 0xFFFF, no xorout. "123456789" → 0x4B37. */
  crc16modbus: number;
  /** CRC-16/CCITT-FALSE (catalogued as CRC-16/IBM-3740): poly 0x1021, init 0xFFFF, not reflected. "123456789" → 0x29B1. */
  crc16ccittFalse: number;
  /** Sum of all bytes modulo 256. "123456789" → 0xDD. */
  sum8: number;
  /** Exclusive-or of all bytes. "123456789" → 0x31. */
  xor8: number;
}

/** The checksums in display order. */
export const CHECKSUM_NAMES: readonly (keyof Checksums)[] = ['crc32', 'crc16modbus', 'crc16ccittFalse', 'sum8', 'xor8'];

/** What each checksum is called in the CRC catalogue and in the window. */
export const CHECKSUM_LABELS: Record<keyof Checksums, string> = {
  crc32: 'CRC-32',
  crc16modbus: 'CRC-16/MODBUS',
  crc16ccittFalse: 'CRC-16/CCITT-FALSE',
  sum8: 'Sum-8',
  xor8: 'XOR-8',
};

const CHECKSUM_DIGITS: Record<keyof Checksums, number> = { crc32: 8, crc16modbus: 4, crc16ccittFalse: 4, sum8: 2, xor8: 2 };

/** A checksum as 0x and upper-case hex padded to its width ("0x4B37", "0x0F"), as the CRC catalogue writes them. */
export function formatChecksum(name: keyof Checksums, value: number): string {
  const digits = CHECKSUM_DIGITS[name];
  const masked = digits === 8 ? value >>> 0 : value & ((1 << (digits * 4)) - 1);
  return '0x' + masked.toString(16).toUpperCase().padStart(digits, '0');
}

/** The numeric types the inspector reads. */
export type NumberType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64';

/** One reading of the selection's first bytes, such as { label: 'int16 LE', value: '-2' }. */
export interface Interpretation {
  /** Type and byte order as shown, e.g. "uint32 BE"; one-byte types have no byte order. */
  label: string;
  type: NumberType;
  /** Byte order; absent for one-byte types, where it does not apply. */
  endian?: 'LE' | 'BE';
  /** How many bytes the reading takes from the start of the selection. */
  size: number;
  value: string;
}

const NUMBER_TYPES: readonly { type: NumberType; size: number }[] = [
  { type: 'int8', size: 1 },
  { type: 'uint8', size: 1 },
  { type: 'int16', size: 2 },
  { type: 'uint16', size: 2 },
  { type: 'int32', size: 4 },
  { type: 'uint32', size: 4 },
  { type: 'int64', size: 8 },
  { type: 'uint64', size: 8 },
  { type: 'float32', size: 4 },
  { type: 'float64', size: 8 },
];

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function readNumber(view: DataView, type: NumberType, le: boolean): string {
  switch (type) {
    case 'int8':
      return String(view.getInt8(0));
    case 'uint8':
      return String(view.getUint8(0));
    case 'int16':
      return String(view.getInt16(0, le));
    case 'uint16':
      return String(view.getUint16(0, le));
    case 'int32':
      return String(view.getInt32(0, le));
    case 'uint32':
      return String(view.getUint32(0, le));
    // BigInt keeps 64-bit values exact; a Number would round anything above 2^53.
    case 'int64':
      return view.getBigInt64(0, le).toString();
    case 'uint64':
      return view.getBigUint64(0, le).toString();
    case 'float32':
      return formatFloat32(view.getFloat32(0, le));
    case 'float64':
      return formatFloat(view.getFloat64(0, le));
  }
}

function formatFloat(v: number): string {
  // String(-0) is "0", which would hide the sign bit the user is looking at.
  return Object.is(v, -0) ? '-0' : String(v);
}

/**
 * The shortest decimal that reads back as the same float32. String() alone would print the
 * float64 widening (0.1f as 0.10000000149011612), which is exact but not what anyone wrote.
 */
function formatFloat32(v: number): string {
  if (!Number.isFinite(v) || v === 0) return formatFloat(v);
  for (let p = 1; p <= 9; p++) {
    const shortest = Number(v.toPrecision(p));
    if (Math.fround(shortest) === v) return String(shortest);
  }
  return String(v);
}

/**
 * The selection's first bytes read as every integer and float type, little and big endian.
 * A type appears only when the selection has enough bytes for it.
 */
export function interpret(bytes: Uint8Array): Interpretation[] {
  const view = viewOf(bytes);
  const rows: Interpretation[] = [];
  for (const { type, size } of NUMBER_TYPES) {
    if (bytes.length < size) continue;
    if (size === 1) {
      rows.push({ label: type, type, size, value: readNumber(view, type, true) });
      continue;
    }
    for (const endian of ['LE', 'BE'] as const) {
      rows.push({ label: `${type} ${endian}`, type, endian, size, value: readNumber(view, type, endian === 'LE') });
    }
  }
  return rows;
}

/** The selection read as UTF-8. */
export interface Utf8View {
  /** The decoded text; every invalid sequence is shown as U+FFFD. */
  text: string;
  /** How many U+FFFD in the text stand for invalid bytes (not counting a U+FFFD the bytes really encode). */
  replaced: number;
  /** The first byte is a continuation byte: the selection probably starts inside a character. */
  startsMidCharacter: boolean;
  /** The last bytes begin a character the selection cuts off. */
  endsMidCharacter: boolean;
  /** How many bytes the text covers: all of them, or fewer when `maxBytes` cut it (at a character boundary). */
  decodedBytes: number;
}

/** How many bytes a UTF-8 sequence starting with this lead byte claims (0 for a byte that cannot lead). */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

function isContinuation(b: number | undefined): boolean {
  return b !== undefined && (b & 0xc0) === 0x80;
}

/** Where the sequence cut by the end of these bytes starts, or -1 when the end is on a character boundary. */
function cutSequenceStart(bytes: Uint8Array, end: number): number {
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const b = bytes[end - back]!;
    if (isContinuation(b)) continue;
    const need = sequenceLength(b);
    return need > back ? end - back : -1;
  }
  return -1;
}

/**
 * The selection as UTF-8 text, saying how many invalid sequences were replaced by U+FFFD and
 * whether the selection cuts a character at either end. With `maxBytes`, only that many bytes
 * (moved back to a character boundary) are decoded, so a large selection stays quick to show.
 */
export function utf8View(bytes: Uint8Array, maxBytes = Infinity): Utf8View {
  let end = bytes.length;
  if (end > maxBytes) {
    end = Math.max(0, Math.floor(maxBytes));
    const cut = cutSequenceStart(bytes, end);
    if (cut > 0) end = cut;
  }
  const part = bytes.subarray(0, end);
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(part);
  let replacements = 0;
  for (let i = text.indexOf('\ufffd'); i !== -1; i = text.indexOf('\ufffd', i + 1)) replacements++;
  // A U+FFFD the bytes really encode (ef bf bd) is text, not a decoding error.
  let genuine = 0;
  for (let i = part.indexOf(0xef); i !== -1 && i + 2 < part.length; i = part.indexOf(0xef, i + 1)) {
    if (part[i + 1] === 0xbf && part[i + 2] === 0xbd) genuine++;
  }
  return {
    text,
    replaced: replacements - genuine,
    startsMidCharacter: isContinuation(bytes[0]),
    endsMidCharacter: end === bytes.length && cutSequenceStart(bytes, bytes.length) !== -1,
    decodedBytes: end,
  };
}

/** One plausible reading of the selection's first bytes as a Unix time. */
export interface UnixTime {
  /** What was read, e.g. "uint32 BE seconds". */
  label: string;
  /** The time as ISO 8601 UTC ("2020-09-13T12:26:40Z"; milliseconds only for millisecond readings). */
  iso: string;
}

/** The earliest and latest instants a value may stand for and still be shown as a time: the years 1970 to 2100. */
const EARLIEST_MS = 0;
const END_MS = Date.UTC(2101, 0, 1);

/**
 * The selection's first bytes as Unix times: seconds in a uint32 and an int64, milliseconds in
 * an int64, each in both byte orders. Only readings that fall in the years 1970–2100 are
 * returned, since any four bytes are some number of seconds and most are not times.
 */
export function unixTimes(bytes: Uint8Array): UnixTime[] {
  const view = viewOf(bytes);
  const out: UnixTime[] = [];
  const add = (label: string, ms: bigint, withMillis: boolean) => {
    if (ms < BigInt(EARLIEST_MS) || ms >= BigInt(END_MS)) return;
    const iso = new Date(Number(ms)).toISOString();
    out.push({ label, iso: withMillis ? iso : iso.replace(/\.000Z$/, 'Z') });
  };
  for (const endian of ['LE', 'BE'] as const) {
    const le = endian === 'LE';
    if (bytes.length >= 4) add(`uint32 ${endian} seconds`, BigInt(view.getUint32(0, le)) * 1000n, false);
  }
  for (const endian of ['LE', 'BE'] as const) {
    const le = endian === 'LE';
    if (bytes.length >= 8) add(`int64 ${endian} seconds`, view.getBigInt64(0, le) * 1000n, false);
  }
  for (const endian of ['LE', 'BE'] as const) {
    const le = endian === 'LE';
    if (bytes.length >= 8) add(`int64 ${endian} milliseconds`, view.getBigInt64(0, le), true);
  }
  return out;
}

/** The ways a selection can be copied as text. */
export type CopyFormat = 'hex' | 'escaped' | 'base64' | 'c' | 'python';

/** How each copy format is named on its button and in messages. */
export const COPY_FORMAT_LABELS: Record<CopyFormat, string> = {
  hex: 'hex',
  escaped: 'escaped text',
  base64: 'base64',
  c: 'C array',
  python: 'Python bytes',
};

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Bytes per line of a C array, as most hex editors and xxd -i write it. */
const C_PER_LINE = 12;

function cArray(bytes: Uint8Array): string {
  const head = `const uint8_t data[${bytes.length}] = {`;
  if (bytes.length === 0) return `${head} };`;
  const items = Array.from(bytes, (b) => '0x' + HEX[b]);
  if (items.length <= C_PER_LINE) return `${head} ${items.join(', ')} };`;
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += C_PER_LINE) lines.push('    ' + items.slice(i, i + C_PER_LINE).join(', '));
  return `${head}\n${lines.join(',\n')}\n};`;
}

/**
 * A Python bytes literal written as Python's own repr() writes it: single quotes unless the
 * bytes hold a ' and no ", backslash escapes for \\ \t \n \r and the quote, printable ASCII
 * as itself, and \xNN for everything else.
 */
function pythonBytes(bytes: Uint8Array): string {
  const quote = bytes.includes(0x27) && !bytes.includes(0x22) ? 0x22 : 0x27;
  const parts: string[] = [];
  for (const b of bytes) {
    if (b === quote || b === 0x5c) parts.push('\\' + String.fromCharCode(b));
    else if (b === 0x09) parts.push('\\t');
    else if (b === 0x0a) parts.push('\\n');
    else if (b === 0x0d) parts.push('\\r');
    else if (b < 0x20 || b >= 0x7f) parts.push('\\x' + HEX[b]);
    else parts.push(String.fromCharCode(b));
  }
  const q = String.fromCharCode(quote);
  return `b${q}${parts.join('')}${q}`;
}

/**
 * The bytes as text to paste elsewhere: space-separated lower-case hex, escaped text (the
 * same escapes the send bar reads back), base64, a C uint8_t array (12 bytes a line) or a
 * Python bytes literal.
 */
export function formatCopy(bytes: Uint8Array, format: CopyFormat): string {
  switch (format) {
    case 'hex':
      return toHex(bytes);
    case 'escaped':
      return formatEscaped(bytes);
    case 'base64':
      return toBase64(bytes);
    case 'c':
      return cArray(bytes);
    case 'python':
      return pythonBytes(bytes);
  }
}
