/**
 * Writes an export: reads each connection's kept chunks from the capture store page by page,
 * hands them to the format's writer, and writes what it returns in large pieces, waiting for
 * the disk, so memory stays flat however large the capture. A file chosen by the user is
 * written next to it under a temporary name and renamed into place when complete.
 */
import fs from 'node:fs';
import type { CommandArgs } from '../../shared/contract';
import { exportFileName, isSingleRawFile } from '../../shared/export-name';
import { PREVIEW_BYTES, type Direction } from '../../shared/model';
import type { JobEntry } from './capture-files';
import type { EngineCore } from './engine-core';
import type { ConnectionEntry } from './entries';
import { NdjsonWriter, PcapngWriter, TAR_END, tarHeader, tarPadding, TranscriptWriter, type ExportChunk, type FormatWriter } from './export-formats';

/** Where an export goes: a stored file (browser host, by id) or a temp file renamed to the user's path. */
export interface ExportTarget {
  path: string;
  finalPath?: string;
  fileId?: string;
}

/** Pieces are gathered to this size before each write. */
const WRITE_BYTES = 4 * 1024 * 1024;
/** Chunks read from the index at a time. */
const PAGE = 512;

/** Appends to a file in large writes; counts what it wrote. */
class FileSink {
  private pieces: Uint8Array[] = [];
  private pending = 0;
  written = 0;

  private constructor(private readonly handle: fs.promises.FileHandle) {}

  static async open(file: string): Promise<FileSink> {
    return new FileSink(await fs.promises.open(file, 'w', 0o600));
  }

  async write(pieces: Uint8Array[]): Promise<void> {
    for (const p of pieces) {
      if (p.byteLength === 0) continue;
      this.pieces.push(p);
      this.pending += p.byteLength;
    }
    if (this.pending >= WRITE_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pieces.length === 0) return;
    const pieces = this.pieces;
    const total = this.pending;
    this.pieces = [];
    this.pending = 0;
    let done = 0;
    let at = 0;
    let views = pieces;
    while (done < total) {
      const { bytesWritten } = await this.handle.writev(views);
      if (bytesWritten <= 0) throw new Error('the disk took no bytes');
      done += bytesWritten;
      // A short write: continue from where it stopped.
      let skip = bytesWritten;
      while (at < pieces.length && skip >= pieces[at]!.byteLength) skip -= pieces[at++]!.byteLength;
      if (at < pieces.length) views = [pieces[at]!.subarray(skip), ...pieces.slice(at + 1)];
    }
    this.written += total;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle.close();
  }

  async abandon(): Promise<void> {
    await this.handle.close().catch(() => {});
  }
}

/** The name an export is offered under: an opened file's streams by the file's name, and the time. */
export function exportName(args: CommandArgs<'exportCapture'>, entries: ConnectionEntry[]): string {
  const file = 'jobId' in args.scope ? entries[0]?.info.source?.fileName.replace(/\.(pcapng|pcap|cap)$/i, '') : undefined;
  const stamp = new Date().toISOString().replace(/[:]/g, '').replace(/\..*$/, '');
  return exportFileName(args, { ...(file ? { what: `${file}-streams` } : {}), stamp });
}

/** Runs one export to its end; throws on a disk error. Cancelled: the partial file is removed. */
export async function exportTo(
  core: EngineCore,
  entries: ConnectionEntry[],
  args: CommandArgs<'exportCapture'>,
  target: ExportTarget,
  job: JobEntry,
  emit: (final: boolean) => void,
): Promise<void> {
  const sink = await FileSink.open(target.path);
  try {
    if (args.format === 'raw') await writeRaw(core, entries, args.direction, isSingleRawFile(args), sink, job, emit, target.path);
    else {
      const writer: FormatWriter =
        args.format === 'pcapng' ? new PcapngWriter() : args.format === 'ndjson' ? new NdjsonWriter() : new TranscriptWriter(args.display);
      await sink.write(writer.start());
      for (const entry of entries) {
        if (job.cancelled) break;
        const info = { ...entry.info };
        await sink.write(writer.connection(info));
        await forEachChunk(core, entry, job, emit, sink, {
          missing: (direction, bytes, before, time) => writer.missing(info, direction, bytes, before, time),
          chunk: (c) => writer.chunk(info, c),
        });
        await sink.write(writer.endConnection(info));
        job.job.connections += 1;
      }
      job.job.problems.push(...writer.problems.slice(0, 50));
      if (writer.problems.length > 50) job.job.problems.push(`…and ${writer.problems.length - 50} more like these.`);
      if (writer instanceof PcapngWriter) job.job.problems.push(...writer.summary());
    }
    await sink.close();
  } catch (err) {
    await sink.abandon();
    fs.rmSync(target.path, { force: true });
    throw err;
  }
  if (job.cancelled) {
    fs.rmSync(target.path, { force: true });
    return;
  }
  if (target.finalPath) {
    fs.renameSync(target.path, target.finalPath);
    job.job.path = target.finalPath;
  } else if (target.fileId) job.job.fileId = target.fileId;
  job.job.done = job.job.total;
  job.job.bytes = sink.written;
}

interface ChunkVisitor {
  missing(direction: Direction, bytes: number, before: number, time: number): Uint8Array[];
  chunk(c: ExportChunk): Uint8Array[];
}

/**
 * Visits a connection's kept chunks in capture order with all their bytes, and each run of
 * bytes the capture no longer holds (dropped by the budget, cleared) where it was.
 */
async function forEachChunk(
  core: EngineCore,
  entry: ConnectionEntry,
  job: JobEntry,
  emit: (final: boolean) => void,
  sink: FileSink,
  visit: ChunkVisitor,
  only?: Direction,
): Promise<void> {
  const capture = entry.capture;
  const next = { in: 0, out: 0 };
  let lastTime = entry.info.openedAt ?? entry.info.createdAt;
  let from = 0;
  const opened = entry.info.origin === 'opened' ? entry.info.remote : undefined;
  for (;;) {
    if (job.cancelled) return;
    const page = core.capture.read(capture, from, PAGE);
    if (page.length === 0) break;
    let pieces: Uint8Array[] = [];
    let pending = 0;
    for (const c of page) {
      from = c.seq + 1;
      if (only && c.direction !== only) continue;
      const data = c.size > c.data.byteLength || c.size > PREVIEW_BYTES ? core.capture.readData(capture, c.seq) : c.data;
      // Evicted while this export ran: its bytes are missing, as the next chunk's offset shows.
      if (!data) continue;
      if (c.offset > next[c.direction]) pieces.push(...visit.missing(c.direction, c.offset - next[c.direction], c.offset, c.time));
      const peer = entry.udp?.peers.get(c.seq) ?? opened;
      pieces.push(...visit.chunk({ seq: c.seq, direction: c.direction, time: c.time, offset: c.offset, data, ...(c.auto ? { auto: true } : {}), ...(peer ? { peer } : {}) }));
      next[c.direction] = c.offset + data.byteLength;
      lastTime = c.time;
      job.job.done += data.byteLength;
      job.job.chunks += 1;
      // A page of large chunks is written as it goes, not held whole.
      pending += data.byteLength;
      if (pending >= WRITE_BYTES) {
        await sink.write(pieces);
        pieces = [];
        pending = 0;
      }
    }
    await sink.write(pieces);
    emit(false);
    // Let sockets and commands in between pages.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  for (const direction of ['in', 'out'] as const) {
    if (only && direction !== only) continue;
    const total = direction === 'in' ? entry.info.bytesIn : entry.info.bytesOut;
    if (total > next[direction]) await sink.write(visit.missing(direction, total - next[direction], total, lastTime));
  }
}

/** Raw bytes: one direction of one connection as a plain file, or each direction as a member of a tar archive. */
async function writeRaw(
  core: EngineCore,
  entries: ConnectionEntry[],
  direction: 'in' | 'out' | 'both',
  single: boolean,
  sink: FileSink,
  job: JobEntry,
  emit: (final: boolean) => void,
  outPath: string,
): Promise<void> {
  const gaps: string[] = [];
  const visit = (id: string): ChunkVisitor => ({
    missing: (dir, bytes, before) => {
      gaps.push(`${id} ${dir}: ${bytes} bytes at stream offsets ${before - bytes}–${before - 1} were not kept and are not in the file`);
      return [];
    },
    chunk: (c) => [c.data],
  });
  if (single && direction !== 'both') {
    const entry = entries[0]!;
    await forEachChunk(core, entry, job, emit, sink, visit(entry.info.id), direction);
    job.job.connections = 1;
  } else {
    // A member's size goes in its header, and chunks can be evicted while the export runs: each
    // member is written to a file of its own first, then copied in with its exact size.
    const memberPath = `${outPath}.member`;
    try {
      for (const entry of entries) {
        for (const dir of direction === 'both' ? (['in', 'out'] as const) : [direction]) {
          if (job.cancelled) return;
          const member = await FileSink.open(memberPath);
          try {
            await forEachChunk(core, entry, job, emit, member, visit(entry.info.id), dir);
          } finally {
            await member.close();
          }
          const size = fs.statSync(memberPath).size;
          await sink.write([tarHeader(`${entry.info.id}-${dir}.bin`, size, entry.info.closedAt ?? Date.now())]);
          for await (const piece of fs.createReadStream(memberPath, { highWaterMark: 1024 * 1024 })) await sink.write([piece as Buffer]);
          await sink.write([tarPadding(size)]);
        }
        job.job.connections += 1;
      }
      await sink.write([TAR_END]);
    } finally {
      fs.rmSync(memberPath, { force: true });
    }
  }
  job.job.problems.push(...gaps.slice(0, 50));
  if (gaps.length > 50) job.job.problems.push(`…and ${gaps.length - 50} more gaps.`);
}
