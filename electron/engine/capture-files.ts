/**
 * Capture files: exports of connections (pcapng, NDJSON, transcript, raw bytes) and pcap or
 * pcapng files opened as read-only connections, each run as a job that reports progress in
 * file-job events and can be cancelled; and clearing captures.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CommandArgs } from '../../shared/contract';
import type { FileJob } from '../../shared/model';
import { fail, ok, type Result } from '../../shared/result';
import type { EngineCore } from './engine-core';
import type { Endings } from './endings';
import type { ConnectionEntry } from './entries';
import { exportTo, exportName, type ExportTarget } from './exporter';
import { FileStore } from './file-store';
import { openCaptureFile } from './importer';
import { regularFileOrNothing } from './private-file';
import { MAX_WORKSPACE_FILE_BYTES } from '../../shared/limits';

/** Ended jobs kept in the list; older ones are forgotten. */
const KEPT_JOBS = 20;

/** A job and what it needs while it runs. */
export interface JobEntry {
  job: FileJob;
  cancelled: boolean;
  lastEmit: number;
}

export class CaptureFiles {
  readonly store: FileStore;
  private readonly jobs = new Map<string, JobEntry>();
  private nextJobId = 1;

  constructor(
    private readonly core: EngineCore,
    private readonly endings: Endings,
    filesDir?: string,
  ) {
    this.store = new FileStore(filesDir);
  }

  list(): FileJob[] {
    return [...this.jobs.values()].map((j) => copy(j.job));
  }

  async exportCapture(args: CommandArgs<'exportCapture'>): Promise<Result<FileJob>> {
    const entries = this.entriesOf(args.scope);
    if ('code' in entries) return fail(entries);
    if (entries.length === 0) return fail({ code: 'EMPTY', message: 'There is nothing to export: no connection is in what you chose.' });
    const name = exportName(args, entries);
    let target: ExportTarget;
    if (args.filePath) {
      try {
        regularFileOrNothing(args.filePath);
      } catch (err) {
        return fail({ code: 'NOT_A_FILE', message: `Cannot save there: ${err instanceof Error ? err.message : String(err)}` });
      }
      const dir = path.dirname(args.filePath);
      target = { finalPath: args.filePath, path: path.join(dir, `.${path.basename(args.filePath)}.${process.pid}.partial`) };
    } else {
      const stored = this.store.create('export', name);
      target = { path: stored.path, fileId: stored.id };
    }
    const entry = this.newJob({ kind: 'export', name: args.filePath ? path.basename(args.filePath) : name, format: args.format });
    entry.job.total = entries.reduce((sum, e) => sum + keptBytes(e), 0);
    void exportTo(this.core, entries, args, target, entry, (final) => this.emitJob(entry, final)).then(
      () => this.finish(entry),
      (err: unknown) => this.failed(entry, err),
    );
    return ok(copy(entry.job));
  }

  async openCapture(args: CommandArgs<'openCapture'>): Promise<Result<FileJob>> {
    let file: string;
    let name: string;
    if (args.fileId !== undefined) {
      const stored = this.store.get(args.fileId);
      if (!stored || stored.kind !== 'upload') return fail({ code: 'NOT_FOUND', message: 'That uploaded file is no longer here: choose the file again.' });
      file = stored.path;
      name = args.name ?? stored.name;
    } else {
      file = args.filePath!;
      name = args.name ?? path.basename(file);
    }
    const stat = readableFile(file);
    if (!stat.ok) return stat;
    const entry = this.newJob({ kind: 'open', name });
    entry.job.total = stat.value.size;
    const uploaded = args.fileId;
    void openCaptureFile(this.core, this.endings, file, entry, (final) => this.emitJob(entry, final)).then(
      () => {
        if (uploaded !== undefined) this.store.remove(uploaded);
        this.finish(entry);
      },
      (err: unknown) => {
        if (uploaded !== undefined) this.store.remove(uploaded);
        this.failed(entry, err);
      },
    );
    return ok(copy(entry.job));
  }

  cancel({ jobId }: CommandArgs<'cancelFileJob'>): Result<FileJob> {
    const entry = this.jobs.get(jobId);
    if (!entry) return fail({ code: 'NOT_FOUND', message: `No export or open has id ${jobId}.` });
    if (entry.job.state === 'running') entry.cancelled = true;
    return ok(copy(entry.job));
  }

  clearCapture({ scope }: CommandArgs<'clearCapture'>): Result<{ connections: number; bytes: number }> {
    const entries = this.entriesOf(scope);
    if ('code' in entries) return fail(entries);
    let bytes = 0;
    const touched = [];
    for (const e of entries) {
      if (e.capture.keptCount === 0) continue;
      bytes += this.core.capture.clear(e.capture);
      touched.push(e.capture);
    }
    this.core.reportEvictions(touched);
    for (const e of entries) if (touched.includes(e.capture)) this.core.emit({ type: 'connection-updated', connection: { ...e.info } });
    return ok({ connections: touched.length, bytes });
  }

  dispose(): void {
    for (const j of this.jobs.values()) j.cancelled = true;
    this.store.close();
  }

  /** The connections a scope names, in the order they were made. */
  private entriesOf(scope: CommandArgs<'clearCapture'>['scope']): ConnectionEntry[] | { code: string; message: string } {
    const all = [...this.core.connections.values()];
    if ('connectionId' in scope) {
      const entry = this.core.connections.get(scope.connectionId);
      return entry ? [entry] : { code: 'NOT_FOUND', message: `No connection has id ${scope.connectionId}.` };
    }
    if ('listenerId' in scope) {
      const known = this.core.listeners.has(scope.listenerId) || all.some((e) => e.info.listenerId === scope.listenerId);
      if (!known) return { code: 'NOT_FOUND', message: `No listener has id ${scope.listenerId}.` };
      return all.filter((e) => e.info.listenerId === scope.listenerId);
    }
    if ('jobId' in scope) return all.filter((e) => e.info.source?.jobId === scope.jobId);
    return all;
  }

  private newJob(init: Pick<FileJob, 'kind' | 'name'> & Partial<FileJob>): JobEntry {
    const job: FileJob = { id: `J${this.nextJobId++}`, state: 'running', done: 0, total: 0, connections: 0, chunks: 0, problems: [], startedAt: Date.now(), ...init };
    const entry: JobEntry = { job, cancelled: false, lastEmit: 0 };
    this.jobs.set(job.id, entry);
    const ended = [...this.jobs.values()].filter((j) => j.job.state !== 'running');
    for (const old of ended.slice(0, Math.max(0, ended.length - KEPT_JOBS))) this.jobs.delete(old.job.id);
    this.emitJob(entry, true);
    return entry;
  }

  /** Sends the job's state: at most every 100 ms while it runs, and always when final. */
  private emitJob(entry: JobEntry, final: boolean): void {
    const now = Date.now();
    if (!final && now - entry.lastEmit < 100) return;
    entry.lastEmit = now;
    this.core.emit({ type: 'file-job', job: copy(entry.job) });
  }

  private finish(entry: JobEntry): void {
    const job = entry.job;
    if (entry.cancelled) {
      job.state = 'cancelled';
      if (job.fileId) this.store.remove(job.fileId);
      delete job.fileId;
      delete job.path;
    } else job.state = 'done';
    job.endedAt = Date.now();
    this.emitJob(entry, true);
  }

  private failed(entry: JobEntry, err: unknown): void {
    const job = entry.job;
    if (job.fileId) this.store.remove(job.fileId);
    delete job.fileId;
    delete job.path;
    job.state = 'failed';
    job.message = err instanceof Error ? err.message : String(err);
    job.endedAt = Date.now();
    this.emitJob(entry, true);
  }
}

function copy(job: FileJob): FileJob {
  return { ...job, problems: [...job.problems] };
}

/** Payload bytes a connection still keeps. */
export function keptBytes(entry: ConnectionEntry): number {
  const c = entry.capture;
  let sum = 0;
  for (let i = c.head; i < c.tail; i++) sum += c.sizes[i]!;
  return sum;
}

/** A regular file this process may read (never a link, folder or device), or why not, in words. */
function readableFile(file: string): Result<fs.Stats> {
  try {
    const stat = regularFileOrNothing(file);
    if (!stat) return fail({ code: 'ENOENT', message: `There is no file at ${file}.` });
    fs.accessSync(file, fs.constants.R_OK);
    return ok(stat);
  } catch (err) {
    const code = (err as { code?: string }).code;
    return fail({ code: code ?? 'NOT_A_FILE', message: code === 'EACCES' ? `You may not read ${file}.` : `Cannot open ${file}: ${err instanceof Error ? err.message : String(err)}` });
  }
}

/** A workspace file's text, read for the page (which cannot read a path): a regular file, and small. */
export function readWorkspaceFile(file: string): Result<{ name: string; text: string }> {
  const stat = readableFile(file);
  if (!stat.ok) return stat;
  if (stat.value.size > MAX_WORKSPACE_FILE_BYTES) {
    return fail({ code: 'TOO_LARGE', message: `${file} is not a workspace: it is ${stat.value.size.toLocaleString('en-US')} bytes, and a workspace is a small JSON file.` });
  }
  try {
    return ok({ name: path.basename(file), text: fs.readFileSync(file, 'utf8') });
  } catch (err) {
    return fail({ code: (err as { code?: string }).code ?? 'READ_FAILED', message: `Cannot read ${file}: ${err instanceof Error ? err.message : String(err)}` });
  }
}
