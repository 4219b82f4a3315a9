/**
 * Searching the capture: what a person asks for, and what the engine finds. The engine searches
 * every kept byte (its spill files too), and finds matches that span chunk boundaries.
 */
import type { Direction } from './model';

/** A search as typed in the find bar. */
export interface SearchQuery {
  /** text: the pattern's UTF-8 bytes; hex: bytes as hex digits ("de ad be ef"); regex: a JavaScript regular expression over the bytes read as Latin-1. */
  kind: 'text' | 'hex' | 'regex';
  pattern: string;
  caseSensitive: boolean;
  direction: Direction | 'both';
  /** Only matches in chunks captured at or after / before this time (ms since the epoch). */
  fromTime?: number;
  toTime?: number;
}

/** One match: a range of one direction's stream. */
export interface SearchMatch {
  connectionId: string;
  direction: Direction;
  /** Stream offset of the first matched byte. */
  offset: number;
  length: number;
  /** The chunk holding the first matched byte, and its time. */
  seq: number;
  time: number;
}

/** How far a search has come. */
export interface SearchProgress {
  searchedBytes: number;
  totalBytes: number;
  matches: number;
  done: boolean;
  cancelled?: boolean;
  /** More matches were found than are listed (the count is exact). */
  truncated?: boolean;
  /** Why the search stopped early, in words. */
  error?: string;
}
