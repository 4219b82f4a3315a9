import type { Chunk } from '../../../shared/model';

/** Chunks per page fetched from the engine for rows the live tail no longer holds. */
export const PAGE_SIZE = 256;
/** Live chunks kept in the window per connection; older ones are fetched again by page. */
export const TAIL_MAX = 20_000;
/** Fetched pages kept per connection (oldest fetched are forgotten first). */
export const PAGES_MAX = 64;

/**
 * What the window holds of one connection's chunks. `tail` is append-only and shared between
 * versions; `tailStart`/`tailEnd` say which part this version sees, so each batch makes a small
 * new object without copying a long array. Rows before the tail come from fetched `pages`.
 * The engine's record starts at `firstKeptSeq` (earlier chunks were evicted).
 */
export interface ChunkList {
  tail: Chunk[];
  tailStart: number;
  tailEnd: number;
  firstKeptSeq: number;
  pages: ReadonlyMap<number, Chunk[]>;
}

export const EMPTY_LIST: ChunkList = { tail: [], tailStart: 0, tailEnd: 0, firstKeptSeq: 0, pages: new Map() };

function tailFirstSeq(list: ChunkList): number | undefined {
  return list.tailEnd > list.tailStart ? list.tail[list.tailStart]!.seq : undefined;
}

/** Appends live chunks (in seq order). Keeps at most maxTail of them. */
export function appendLive(list: ChunkList, incoming: Chunk[], maxTail = TAIL_MAX): ChunkList {
  let tail = list.tail;
  let start = list.tailStart;
  // Another version already appended past our end: fork rather than clobber it.
  if (tail.length !== list.tailEnd) tail = tail.slice(0, list.tailEnd);
  for (const c of incoming) {
    const end = tail.length;
    const last = end > start ? tail[end - 1]!.seq : undefined;
    if (last !== undefined && c.seq <= last) continue;
    if (last !== undefined && c.seq !== last + 1) {
      // A gap (events missed while away): the tail restarts; pages cover what is before it.
      tail = [];
      start = 0;
    }
    tail.push(c);
  }
  let end = tail.length;
  if (end - start > maxTail) start = end - maxTail;
  if (start > 4096 && start * 2 > end) {
    tail = tail.slice(start);
    end = tail.length;
    start = 0;
  }
  return { ...list, tail, tailStart: start, tailEnd: end };
}

/** The engine dropped chunks before firstKeptSeq: forget them here too. */
export function evictBefore(list: ChunkList, firstKeptSeq: number): ChunkList {
  let start = list.tailStart;
  while (start < list.tailEnd && list.tail[start]!.seq < firstKeptSeq) start++;
  const pages = new Map(list.pages);
  for (const [no, chunks] of pages) if (chunks.length && chunks[chunks.length - 1]!.seq < firstKeptSeq) pages.delete(no);
  return { ...list, tailStart: start, firstKeptSeq: Math.max(list.firstKeptSeq, firstKeptSeq), pages };
}

/** Stores a page fetched from the engine (chunks from seq pageNo * PAGE_SIZE on). */
export function addPage(list: ChunkList, pageNo: number, chunks: Chunk[], firstKeptSeq: number, maxPages = PAGES_MAX): ChunkList {
  const pages = new Map(list.pages);
  pages.delete(pageNo);
  pages.set(pageNo, chunks);
  while (pages.size > maxPages) pages.delete(pages.keys().next().value!);
  return { ...list, pages, firstKeptSeq: Math.max(list.firstKeptSeq, firstKeptSeq) };
}

/** The chunk with this seq, if the window holds it. */
export function chunkAt(list: ChunkList, seq: number): Chunk | undefined {
  const first = tailFirstSeq(list);
  if (first !== undefined && seq >= first) return list.tail[list.tailStart + (seq - first)];
  const page = list.pages.get(Math.floor(seq / PAGE_SIZE));
  if (!page || page.length === 0) return undefined;
  const c = page[seq - page[0]!.seq];
  return c && c.seq === seq ? c : page.find((x) => x.seq === seq);
}

/** Pages that must be fetched to show the chunks from..to (inclusive). */
export function missingPages(list: ChunkList, from: number, to: number): number[] {
  const out: number[] = [];
  for (let no = Math.floor(from / PAGE_SIZE); no <= Math.floor(to / PAGE_SIZE); no++) {
    const lo = Math.max(from, no * PAGE_SIZE);
    const hi = Math.min(to, no * PAGE_SIZE + PAGE_SIZE - 1);
    const first = tailFirstSeq(list);
    if (first !== undefined && lo >= first) continue;
    if (list.pages.has(no)) continue;
    if (hi < list.firstKeptSeq) continue;
    out.push(no);
  }
  return out;
}

/** Every chunk the window holds (fetched pages and the live tail), in order. */
export function loadedChunks(list: ChunkList): Chunk[] {
  const bySeq = new Map<number, Chunk>();
  for (const page of list.pages.values()) for (const c of page) bySeq.set(c.seq, c);
  for (let i = list.tailStart; i < list.tailEnd; i++) bySeq.set(list.tail[i]!.seq, list.tail[i]!);
  return [...bySeq.values()].filter((c) => c.seq >= list.firstKeptSeq).sort((a, b) => a.seq - b.seq);
}
