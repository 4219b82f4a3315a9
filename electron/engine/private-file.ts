/**
 * Files that are ours alone: private folders (0700) and files (0600), never following a link or
 * writing over something that is not a regular file, and replaced atomically. Plain Node, shared
 * by the engine's saved messages and the desktop window's remembered state.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// Windows has no modes to tighten and no O_NOFOLLOW; its ACLs already keep a profile private.
const POSIX = process.platform !== 'win32';
const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
// A FIFO swapped in after the lstat must not block the engine in open().
const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;

export function errorCode(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return typeof e?.code === 'string' ? e.code : typeof e?.message === 'string' ? e.message : String(err);
}

/** Something other than a regular file where our file belongs: never read, replaced or moved. */
export class NotAFileError extends Error {}

function kindOf(stat: fs.Stats): string {
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isDirectory()) return 'a folder';
  return 'a device, pipe or socket';
}

/** lstat: the file's stat when a regular file is there, null when nothing is, NotAFileError otherwise. */
export function regularFileOrNothing(file: string): fs.Stats | null {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw err;
  }
  if (!stat.isFile()) throw new NotAFileError(`${file} is ${kindOf(stat)}, not a file; it was left as it is`);
  return stat;
}

/** Takes group and other access away from something of ours; best effort, the data is in a 0600 file anyway. */
export function tighten(target: string, stat: fs.Stats): void {
  if (!POSIX || stat.uid !== process.getuid?.() || (stat.mode & 0o077) === 0) return;
  try {
    fs.chmodSync(target, stat.mode & 0o7700);
  } catch {
    // A read-only file system, say: nothing better to do than carry on.
  }
}

/**
 * Makes the data folder private: created 0700 (with any missing parents), and an existing one
 * of ours loses group and other access. Returns false when it does not exist and `create` is
 * false.
 */
export function privateFolder(dir: string, create: boolean): boolean {
  if (create) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (err) {
    if (!create && errorCode(err) === 'ENOENT') return false;
    throw err;
  }
  if (!stat.isDirectory()) throw new NotAFileError(`${dir} is not a folder`);
  tighten(dir, stat);
  return true;
}

/** Reads the regular file `stat` describes, through a handle that cannot follow a link swapped in meanwhile. */
export function readRegularFile(file: string, stat: fs.Stats): string {
  const fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  try {
    const opened = fs.fstatSync(fd);
    if (!opened.isFile() || opened.ino !== stat.ino || opened.dev !== stat.dev) {
      throw new NotAFileError(`${file} changed while it was being read; it was left as it is`);
    }
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** Flushes a rename to disk; folders cannot be opened for that on Windows, where renames are durable anyway. */
function syncFolder(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, O_RDONLY);
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch {
    // Not supported here; the rename itself is still atomic.
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Replaces `file` atomically: the new content goes to a temporary file of its own in the same
 * folder (created 0600, exclusively), is flushed to disk, and is renamed over the old one, so a
 * crash at any moment leaves either the old file or the new one, never a mix.
 */
export function writeAtomically(file: string, content: string): void {
  const dir = path.dirname(file);
  privateFolder(dir, true);
  regularFileOrNothing(file);
  const tmp = path.join(dir, `${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  let renamed = false;
  try {
    try {
      fs.writeFileSync(fd, content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    renamed = true;
  } finally {
    if (!renamed) fs.rmSync(tmp, { force: true });
  }
  syncFolder(dir);
}
