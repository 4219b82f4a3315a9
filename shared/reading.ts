/**
 * Readings of a capture: the same recorded bytes shown as chunks (one row per read or write),
 * lines, one continuous stream per direction, or protocol frames. The capture never changes;
 * a reading is computed from it by the engine, so a user can re-frame at any time and lose
 * nothing. Every view's rows share one shape, ViewRow.
 */
import type { Direction, Endpoint } from './model';

/** How a connection's traffic is shown. */
export type ViewMode = 'chunks' | 'lines' | 'stream' | 'frames';

/** The views, in the order the window offers them, with their labels. */
export const VIEW_MODES: ReadonlyArray<{ mode: ViewMode; label: string }> = [
  { mode: 'chunks', label: 'Chunks' },
  { mode: 'lines', label: 'Lines' },
  { mode: 'stream', label: 'Stream' },
  { mode: 'frames', label: 'Frames' },
];

/** How to cut a direction's stream into frames. Delimiters travel as hex so the spec is plain JSON. */
export type FramingSpec =
  | {
      kind: 'delimiter';
      /** The bytes that end a frame, as hex ("0a" for LF, "0d0a" for CRLF, "00" for NUL). */
      delimiterHex: string;
      /** A frame longer than this without its delimiter is cut here and marked. */
      maxFrameBytes: number;
    }
  | {
      kind: 'length';
      lengthBytes: 1 | 2 | 4 | 8;
      endian: 'big' | 'little';
      /** Bytes of header before the length field. */
      lengthOffset: number;
      /** Whether the length counts the header (the bytes before it and the field itself) too. */
      includesHeader: boolean;
      /** Added to the length read (may be negative). */
      adjustment: number;
      /** A longer frame can never be accepted: framing stops there and says why. */
      maxFrameBytes: number;
    }
  | { kind: 'fixed'; size: number };

/** Frames of the default framing: LF-delimited, 64 KiB at most. */
export const DEFAULT_FRAMING: FramingSpec = { kind: 'delimiter', delimiterHex: '0a', maxFrameBytes: 65_536 };

/** Lines longer than this are cut (and marked) so one row stays readable. */
export const MAX_LINE_BYTES = 65_536;

/** A stream row holds at most this many bytes; a longer run of one direction continues on the next row. */
export const STREAM_ROW_BYTES = 512;

/** What a view asks the engine for. */
export type ReadingSpec =
  | { view: 'chunks' }
  | { view: 'lines' }
  | {
      view: 'stream';
      /** Chunks of one direction further apart than this (ms) start a new row; null merges all. */
      mergeMs: number | null;
    }
  | { view: 'frames'; framing: FramingSpec };

/** A stable key for a reading (two equal specs give the same key). */
export function readingKey(spec: ReadingSpec): string {
  switch (spec.view) {
    case 'chunks':
    case 'lines':
      return spec.view;
    case 'stream':
      return `stream:${spec.mergeMs ?? '-'}`;
    case 'frames': {
      const f = spec.framing;
      if (f.kind === 'delimiter') return `frames:d:${f.delimiterHex.toLowerCase()}:${f.maxFrameBytes}`;
      if (f.kind === 'fixed') return `frames:f:${f.size}`;
      return `frames:l:${f.lengthBytes}:${f.endian}:${f.lengthOffset}:${f.includesHeader ? 1 : 0}:${f.adjustment}:${f.maxFrameBytes}`;
    }
  }
}

const DELIMITER_NAMES: Record<string, string> = { '0a': 'LF', '0d0a': 'CRLF', '00': 'NUL' };

/** The framing in words, for a toolbar or a row's tooltip. */
export function describeFraming(f: FramingSpec): string {
  switch (f.kind) {
    case 'delimiter': {
      const hex = f.delimiterHex.toLowerCase();
      const name = DELIMITER_NAMES[hex] ?? `bytes ${hex.replace(/(..)(?=.)/g, '$1 ')}`;
      return `${name}-delimited`;
    }
    case 'fixed':
      return `fixed ${f.size} B`;
    case 'length': {
      const where = f.lengthOffset ? ` at offset ${f.lengthOffset}` : '';
      const adj = f.adjustment ? `, ${f.adjustment > 0 ? '+' : ''}${f.adjustment}` : '';
      return `${f.lengthBytes}-byte ${f.endian}-endian length${where}${f.includesHeader ? ' (counts header)' : ''}${adj}`;
    }
  }
}

/** One row of a view: a range of one direction's stream. */
export interface ViewRow {
  /** Row number in the reading, from 0 at the start of the connection's capture. */
  n: number;
  direction: Direction;
  /** Stream offsets [from, to) in its direction. */
  from: number;
  to: number;
  /** The chunks holding its first and last bytes; they differ when the row joins several reads. */
  seqFrom: number;
  seqTo: number;
  /** When its first byte arrived (or was sent). */
  time: number;
  /** Its first bytes (all of them for rows up to PREVIEW_BYTES). */
  data: Uint8Array;
  /** Stream offsets inside `data` where one chunk ends and the next begins. */
  boundaries: number[];
  /** Bytes at its start that are a frame's header (length-prefixed frames): the payload follows. */
  head?: number;
  /** Bytes at its end that are its delimiter or line end: the payload comes before. */
  tail?: number;
  /** Lines: how the line ended. Absent for a line cut at the size limit or still pending. */
  end?: 'lf' | 'crlf';
  /** Ended by the size limit, not by its delimiter. */
  cut?: true;
  /** Stream: the run of one direction continues from the row before (it was longer than a row). */
  continued?: true;
  /** Still arriving: the frame, line or run is not complete yet. */
  pending?: true;
  /** For a pending length-prefixed or fixed frame: the size it will have. */
  need?: number;
  /** Sent by an auto-reply or program (out rows whose first chunk was). */
  auto?: true;
  /** UDP: the datagram's sender (in) or destination (out). */
  peer?: Endpoint;
  /** A decoder's one-line summary of the row's bytes, when a decoder was asked for. */
  summary?: string;
  /** Which decoder produced the summary, or why the chosen one could not decode the row. */
  decoder?: string;
  decodeError?: string;
}

/** Why framing stopped in one direction, and where. */
export interface ReadingError {
  direction: Direction;
  /** Stream offset of the frame that cannot be framed. */
  at: number;
  message: string;
}

/** A page of a reading's rows, with where the reading stands. */
export interface RowPage {
  rows: ViewRow[];
  /** Rows in the reading (or matching the filter); row numbers run from firstRow to total - 1. */
  total: number;
  /** The first row still available (earlier ones fell with the capture budget). */
  firstRow: number;
  /** Rows still arriving, one per direction at most, shown after the last complete row. */
  pending: ViewRow[];
  errors: ReadingError[];
  /** False when the engine has more captured chunks to read into this reading: ask again. */
  caughtUp: boolean;
  /** Bytes of the capture not read into the reading because they were dropped before it started. */
  droppedBytes: number;
}
