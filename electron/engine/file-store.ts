/**
 * Files the browser host passes between the page and the engine: captures the page uploads to
 * be opened, and exports kept until the page downloads them. They live in a private folder
 * (0700, files 0600) made on first use and removed when the engine stops; each file is known by
 * a random id, never by a path the page chose.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Exports not downloaded within this long are deleted. */
export const KEEP_EXPORT_MS = 60 * 60 * 1000;

export interface StoredFile {
  id: string;
  /** The name to show, or to download it as. */
  name: string;
  path: string;
  kind: 'upload' | 'export';
  /** When it was made; exports expire KEEP_EXPORT_MS after. */
  createdAt: number;
}

export class FileStore {
  private folder: string | null = null;
  private readonly files = new Map<string, StoredFile>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly parent = os.tmpdir()) {}

  /** A new empty file of ours: the caller writes it, then reads or serves it by its id. */
  create(kind: StoredFile['kind'], name: string): StoredFile {
    this.expire();
    if (!this.folder) this.folder = fs.mkdtempSync(path.join(this.parent, 'socket-inspector-files-'));
    const id = `F${randomBytes(12).toString('hex')}`;
    const file: StoredFile = { id, name: safeName(name), path: path.join(this.folder, `${id}.bin`), kind, createdAt: Date.now() };
    fs.closeSync(fs.openSync(file.path, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600));
    this.files.set(id, file);
    if (!this.timer) {
      this.timer = setInterval(() => this.expire(), 60_000);
      this.timer.unref();
    }
    return file;
  }

  get(id: string): StoredFile | undefined {
    return this.files.get(id);
  }

  remove(id: string): void {
    const file = this.files.get(id);
    if (!file) return;
    this.files.delete(id);
    fs.rmSync(file.path, { force: true });
  }

  /** Deletes every file and the folder (engine shutdown). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.files.clear();
    if (this.folder) fs.rmSync(this.folder, { recursive: true, force: true });
    this.folder = null;
  }

  private expire(): void {
    const now = Date.now();
    for (const file of [...this.files.values()]) {
      if (now - file.createdAt > KEEP_EXPORT_MS) this.remove(file.id);
    }
  }
}

/** A file name safe to show and to offer as a download name: no folders, no control characters. */
export function safeName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, '_').trim().slice(0, 200);
  return clean || 'capture';
}
