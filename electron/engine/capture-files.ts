/**
 * Capture files: exports of connections (pcapng, NDJSON, transcript, raw) and opened pcap or
 * pcapng files, each run as a job with progress; and clearing captures.
 */
import type { CommandArgs } from '../../shared/contract';
import type { FileJob } from '../../shared/model';
import { fail, type Result } from '../../shared/result';
import type { EngineCore } from './engine-core';
import type { Endings } from './endings';
import { FileStore } from './file-store';

export class CaptureFiles {
  readonly store: FileStore;
  private readonly jobs = new Map<string, FileJob>();

  constructor(
    private readonly core: EngineCore,
    private readonly endings: Endings,
    filesDir?: string,
  ) {
    this.store = new FileStore(filesDir);
  }

  list(): FileJob[] {
    return [...this.jobs.values()].map((j) => ({ ...j, problems: [...j.problems] }));
  }

  async exportCapture(args: CommandArgs<'exportCapture'>): Promise<Result<FileJob>> {
    void this.core;
    void this.endings;
    return fail({ code: 'NOT_IMPLEMENTED', message: `Export as ${args.format} is not built yet.` });
  }

  async openCapture(_args: CommandArgs<'openCapture'>): Promise<Result<FileJob>> {
    return fail({ code: 'NOT_IMPLEMENTED', message: 'Opening capture files is not built yet.' });
  }

  cancel({ jobId }: CommandArgs<'cancelFileJob'>): Result<FileJob> {
    return fail({ code: 'NOT_FOUND', message: `No export or open has id ${jobId}.` });
  }

  clearCapture(_args: CommandArgs<'clearCapture'>): Result<{ connections: number; bytes: number }> {
    return fail({ code: 'NOT_IMPLEMENTED', message: 'Clearing captures is not built yet.' });
  }

  dispose(): void {
    this.store.close();
  }
}
