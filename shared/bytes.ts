/**
 * Byte helpers shared by the engine and the renderer: typed text with escapes, hex input,
 * and the two ways chunks are displayed (escaped text and a hex dump). Plain TypeScript on
 * Uint8Array so the same code runs in Node and in the browser.
 */

/** Either the parsed bytes or the reason they could not be parsed, with where it went wrong. */
export type ParseOutcome = { ok: true; bytes: Uint8Array } | { ok: false; error: string; index: number };

const encoder = new TextEncoder();

function isHexDigit(ch: string): boolean {
  return /^[0-9a-fA-F]$/.test(ch);
}

/**
 * Turns typed text into bytes, interpreting \r \n \t \0 \\ and \xNN. Anything else after a
 * backslash is refused with its position, so a typo never sends bytes the user did not mean.
 * Text is encoded as UTF-8.
 */
export function parseEscapes(text: string): ParseOutcome {
  // One buffer, written in place: runs of plain text are encoded whole and escapes stored as
  // bytes, so a long reply template costs microseconds. A UTF-16 unit never takes more than
  // three bytes of UTF-8, and an escape is never longer than the text it stands for.
  const out = new Uint8Array(text.length * 3);
  let length = 0;
  let i = 0;
  while (i < text.length) {
    const slash = text.indexOf('\\', i);
    if (slash !== i) {
      const end = slash === -1 ? text.length : slash;
      length += encoder.encodeInto(text.slice(i, end), out.subarray(length)).written;
      i = end;
      continue;
    }
    const next = text[i + 1];
    const simple = next === undefined ? undefined : SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out[length++] = simple;
      i += 2;
      continue;
    }
    if (next === 'x') {
      const hex = text.slice(i + 2, i + 4);
      if (hex.length < 2 || !isHexDigit(hex[0]!) || !isHexDigit(hex[1]!)) {
        return { ok: false, index: i, error: `\\x at position ${i + 1} needs two hex digits (00-ff), as in \\x0a` };
      }
      out[length++] = parseInt(hex, 16);
      i += 4;
      continue;
    }
    if (next === undefined) {
      return { ok: false, index: i, error: `The message ends with a lone backslash at position ${i + 1}: write \\\\ for a backslash` };
    }
    return { ok: false, index: i, error: `Unknown escape \\${next} at position ${i + 1}: use \\r \\n \\t \\0 \\\\ or \\xNN` };
  }
  return { ok: true, bytes: out.slice(0, length) };
}

/** The one-letter escapes and the byte each stands for. */
const SIMPLE_ESCAPES: Record<string, number | undefined> = { r: 0x0d, n: 0x0a, t: 0x09, '0': 0x00, '\\': 0x5c };

/** The pieces one after another, as one array (the piece itself when there is only one). */
export function concatBytes(pieces: Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  let total = 0;
  for (const p of pieces) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Parses hex such as "48 65 6c 6c 6f", "48656c6c6f" or "0x48,0x65". Separators (spaces,
 * commas, colons, dashes, newlines) and 0x prefixes are allowed; an odd number of digits or a
 * non-hex character is refused with the reason.
 */
export function parseHex(text: string): ParseOutcome {
  const digits: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if ((ch === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) && isPrefixStart(text, i)) {
      i += 2;
      continue;
    }
    if (isHexDigit(ch)) {
      digits.push(ch);
    } else if (!/[\s,:;-]/.test(ch)) {
      return { ok: false, index: i, error: `"${ch}" at position ${i + 1} is not a hex digit (0-9, a-f)` };
    }
    i += 1;
  }
  if (digits.length % 2 !== 0) {
    return {
      ok: false,
      index: text.length,
      error: `Hex needs two digits per byte, but there are ${digits.length} digits (an odd number)`,
    };
  }
  const out = new Uint8Array(digits.length / 2);
  for (let k = 0; k < out.length; k++) out[k] = parseInt(digits[2 * k]! + digits[2 * k + 1]!, 16);
  return { ok: true, bytes: out };
}

function isPrefixStart(text: string, i: number): boolean {
  // "0x" is a prefix only at the start of a token, so "10x" is still refused as a typo.
  return i === 0 || /[\s,:;-]/.test(text[i - 1]!);
}

/** How a message's end is terminated before it is sent. */
export type LineEnding = 'none' | 'lf' | 'crlf';

/** Appends the chosen line ending to the bytes. */
export function withLineEnding(bytes: Uint8Array, ending: LineEnding): Uint8Array {
  const tail = ending === 'lf' ? [0x0a] : ending === 'crlf' ? [0x0d, 0x0a] : [];
  if (tail.length === 0) return bytes;
  const out = new Uint8Array(bytes.length + tail.length);
  out.set(bytes);
  out.set(tail, bytes.length);
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Renders bytes as text with every control and non-printable byte made visible: \r \n \t \0,
 * \\ for a backslash, and \xNN for the rest. Valid UTF-8 sequences of printable characters are
 * shown as the characters; anything else byte by byte, so the display never hides a byte.
 */
export function formatEscaped(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b >= 0x20 && b < 0x7f) {
      out += b === 0x5c ? '\\\\' : String.fromCharCode(b);
      i += 1;
      continue;
    }
    if (b === 0x0d) out += '\\r';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x00) out += '\\0';
    else if (b >= 0x80) {
      const seq = decodeUtf8At(bytes, i);
      if (seq) {
        out += seq.text;
        i += seq.length;
        continue;
      }
      out += '\\x' + HEX[b];
    } else out += '\\x' + HEX[b];
    i += 1;
  }
  return out;
}

function decodeUtf8At(bytes: Uint8Array, i: number): { text: string; length: number } | null {
  const b0 = bytes[i]!;
  let length: number;
  let cp: number;
  let min: number;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    length = 2;
    cp = b0 & 0x1f;
    min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    cp = b0 & 0x0f;
    min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else return null;
  if (i + length > bytes.length) return null;
  for (let k = 1; k < length; k++) {
    const b = bytes[i + k]!;
    if ((b & 0xc0) !== 0x80) return null;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
  // C1 controls, the BOM, and other invisible code points are shown as bytes.
  if (cp <= 0x9f || cp === 0xfeff || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e)) return null;
  return { text: String.fromCodePoint(cp), length };
}

/** One line of a hex dump: offset, up to 16 bytes in hex, and their printable ASCII. */
export interface HexDumpLine {
  offset: string;
  hex: string;
  ascii: string;
}

/** Formats bytes as a classic hex dump, 16 bytes to a line; every hex field has the same width. */
export function hexDump(bytes: Uint8Array, startOffset = 0, perLine: 4 | 8 | 16 = 16): HexDumpLine[] {
  const lines: HexDumpLine[] = [];
  const half = perLine / 2;
  for (let off = 0; off < bytes.length; off += perLine) {
    const row = bytes.subarray(off, off + perLine);
    let hex = '';
    let ascii = '';
    for (let k = 0; k < perLine; k++) {
      if (k === half && perLine > 4) hex += ' ';
      if (k < row.length) {
        const b = row[k]!;
        hex += HEX[b] + ' ';
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      } else hex += '   ';
    }
    // Drop only the separator after the last column: a short last line keeps its padding, so
    // the ASCII column lines up with full lines when the dump is copied as text.
    lines.push({ offset: (startOffset + off).toString(16).padStart(8, '0'), hex: hex.slice(0, -1), ascii });
  }
  return lines;
}

/** How many characters one hex dump line takes with this many bytes per line (offset, bytes, ASCII, gaps). */
export function hexLineChars(perLine: 4 | 8 | 16): number {
  return 8 + 2 + perLine * 3 - 1 + (perLine > 4 ? 1 : 0) + 2 + perLine;
}

/** The most bytes per line (16, 8 or 4) whose hex dump lines fit in this many characters. */
export function hexBytesPerLine(chars: number): 4 | 8 | 16 {
  if (chars >= hexLineChars(16)) return 16;
  if (chars >= hexLineChars(8)) return 8;
  return 4;
}

/** Bytes as space-separated hex pairs ("48 65 6c"). */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += (i ? ' ' : '') + HEX[bytes[i]!];
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** Encodes bytes as standard base64 (the WebSocket host carries bytes this way inside JSON). */
export function toBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    chunk += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
    if (chunk.length > 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    chunk += B64[n >> 18]! + B64[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    chunk += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '=';
  }
  parts.push(chunk);
  return parts.join('');
}

/** Decodes standard base64; throws on characters outside the alphabet. */
export function fromBase64(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < clean.length; i++) {
    const c = clean.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c]! : -1;
    if (v < 0) throw new Error(`invalid base64 character at ${i}`);
    buffer = (buffer << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

/** The first line of some bytes, escaped for one row: up to the first LF (a CR before it dropped), at most `max` characters. */
export function firstLineOf(bytes: Uint8Array, max = 80): string {
  let end = bytes.indexOf(0x0a);
  if (end < 0) end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  const text = formatEscaped(bytes.subarray(0, Math.min(end, max * 4)));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
