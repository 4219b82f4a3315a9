/**
 * Decoded readings of a message's bytes (JSON, MessagePack, CBOR, Protocol Buffers without a
 * schema, base64, compressed streams, UTF-16). The engine decodes; the renderer shows the result
 * as a one-line summary on a row and as a foldable tree or text when the row is expanded.
 * Everything here is plain data (strings and numbers) so it crosses either transport unchanged.
 */

/** A decoder the user can choose for a view. */
export type DecoderName = 'json' | 'msgpack' | 'cbor' | 'protobuf' | 'base64' | 'gzip' | 'zlib' | 'deflate' | 'utf16le' | 'utf16be';

/** What a view asks for: one decoder, auto-detection, or none. */
export type DecoderChoice = 'auto' | 'none' | DecoderName;

/** Every decoder, in the order a select box lists them. */
export const DECODER_NAMES: readonly DecoderName[] = ['json', 'msgpack', 'cbor', 'protobuf', 'base64', 'gzip', 'zlib', 'deflate', 'utf16le', 'utf16be'];

/** Every choice a view offers, in select-box order: no decoding, auto-detection, then each decoder. */
export const DECODER_CHOICES: readonly DecoderChoice[] = ['none', 'auto', ...DECODER_NAMES];

/** Labels for a select box. */
export const DECODER_LABELS: Record<DecoderChoice, string> = {
  none: 'None',
  auto: 'Auto-detect',
  json: 'JSON',
  msgpack: 'MessagePack',
  cbor: 'CBOR',
  protobuf: 'Protobuf (no schema)',
  base64: 'Base64',
  gzip: 'gzip',
  zlib: 'zlib',
  deflate: 'Deflate (raw)',
  utf16le: 'UTF-16 LE',
  utf16be: 'UTF-16 BE',
};

/** Whether a string names a decoder choice (for settings read back from storage or a command). */
export function isDecoderChoice(value: unknown): value is DecoderChoice {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DECODER_LABELS, value);
}

/**
 * One node of a decoded value, for a foldable tree.
 *
 * `type` names what the node holds. JSON: object, array, string, number, boolean, null.
 * MessagePack and CBOR: map, array, string, bytes, number, integer (exact: 64-bit encodings and
 * bignums), boolean, null, undefined, tag (value: the tag number; one child), ext (MessagePack
 * extension: type and payload), date (MessagePack timestamp, CBOR tags 0/1), set, typed-array,
 * reserved (MessagePack 0xc1), sequence (several values in one message). Protocol Buffers:
 * message (the root, and length-delimited fields that parse as one), varint, fixed32, fixed64,
 * string, bytes, group, packed (a bytes field read as packed varints). base64 and decompressed
 * output that is neither text nor decodable: bytes.
 */
export interface DecodedNode {
  /** Map key, object property, array index, or protobuf field number. */
  key?: string;
  /** What the node holds (see above). */
  type: string;
  /** The value as a person reads it (strings quoted, bytes in hex, long ones cut with "…"). */
  value?: string;
  /** What the node holds, in order (map entries, array items, fields). */
  children?: DecodedNode[];
  /** Children not shown (node or depth limits). */
  omitted?: number;
}

/** What a decoder made of some bytes. */
export interface Decoded {
  /** The decoder that produced this (the one detected, for 'auto'). */
  decoder: DecoderName;
  /** One line (at most 160 chars) for the row: e.g. `{"id":7,"name":"x"…}`, `map(2) {id: 7, …}`, `#1 varint 150, #2 "testing"`, `gzip 1.2 KiB → 4 KiB` */
  summary: string;
  /** Structured results (JSON, MessagePack, CBOR, Protocol Buffers, undecodable bytes) as a foldable tree. */
  tree?: DecodedNode;
  /** For text results (JSON pretty text, UTF-16 text, decompressed text). */
  text?: string;
  /** base64 and gzip/zlib/deflate: what the decoded bytes decode to in turn (auto), if anything. */
  inner?: Decoded;
  /** Set when the chosen decoder could not decode these bytes: why, in words, with the byte offset when known. */
  error?: string;
  /** Set when decoding succeeded only in part: output cut at a limit, input ending before the stream did. */
  warning?: string;
}
