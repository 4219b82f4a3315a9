/**
 * The capture store's private folder: made with its owner written inside, and removed by the
 * next store when its owner died without removing it (SIGKILL, a crash, a power cut).
 *
 * The folder is a temp folder in a place other users and programs share, so the sweep deletes
 * only what it can prove is ours: a real directory (not a symlink) of this user, named as we
 * name them, holding our owner file, whose owner process is gone; and in it only the files we
 * make. Anything else is left where it is.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Capture folders are named this, followed by mkdtemp's six characters. */
export const CAPTURE_FOLDER_PREFIX = 'socket-inspector-capture-';
/** The file in a capture folder that names the process owning it. */
export const OWNER_FILE = 'owner.json';

const FOLDER_NAME = /^socket-inspector-capture-[A-Za-z0-9]{6}$/;
/** What a store writes in its folder; nothing else is deleted by a sweep. */
const OUR_FILE = /^(segment-\d+\.bin|spare-\d+\.bin|owner\.json|owner\.json\.tmp)$/;
const MAX_OWNER_FILE_BYTES = 4096;

/** Who made a capture folder: enough to tell that process from a later one with the same pid. */
export interface FolderOwner {
  pid: number;
  /** When the process started (Linux: clock ticks after boot, field 22 of /proc/PID/stat). */
  start: string | null;
  /** Which boot of the machine (Linux: /proc/sys/kernel/random/boot_id). */
  boot: string | null;
}

function readTrimmed(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** When a process started, or null where that cannot be read (no /proc, or the process is gone). */
export function processStartTime(pid: number): string | null {
  const stat = readTrimmed(`/proc/${pid}/stat`);
  if (!stat) return null;
  // The command name (field 2) is in parentheses and may itself hold spaces and ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = fields[19];
  return start && /^\d+$/.test(start) ? start : null;
}

let self: FolderOwner | undefined;

/** This process, as an owner file names it. */
export function currentOwner(): FolderOwner {
  self ??= { pid: process.pid, start: processStartTime(process.pid), boot: readTrimmed('/proc/sys/kernel/random/boot_id') };
  return self;
}

/**
 * Whether the process that wrote an owner file is still running. Where its start time cannot be
 * compared, a running process with its pid counts as the owner: a folder is kept rather than
 * risk deleting a live store's payloads.
 */
export function ownerAlive(owner: FolderOwner): boolean {
  const me = currentOwner();
  if (owner.boot && me.boot && owner.boot !== me.boot) return false;
  if (owner.pid === me.pid) return owner.start === me.start;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    // EPERM: a process with that pid exists, but is another user's.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (owner.start === null) return true;
  const start = processStartTime(owner.pid);
  return start === null ? true : start === owner.start;
}

/** Makes a private capture folder (0700) in parent, with its owner file (0600) written atomically. */
export function makeCaptureFolder(parent: string): string {
  const folder = fs.mkdtempSync(path.join(parent, CAPTURE_FOLDER_PREFIX));
  try {
    fs.chmodSync(folder, 0o700);
    const tmp = path.join(folder, `${OWNER_FILE}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(currentOwner()), { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, path.join(folder, OWNER_FILE));
  } catch (err) {
    fs.rmSync(folder, { recursive: true, force: true });
    throw err;
  }
  return folder;
}

function isMine(stats: fs.Stats): boolean {
  const uid = process.getuid?.();
  return uid === undefined || stats.uid === uid;
}

/** The owner file of a folder, when it is a regular file of ours that says who; otherwise null. */
export function readOwner(folder: string): FolderOwner | null {
  const file = path.join(folder, OWNER_FILE);
  try {
    const stats = fs.lstatSync(file);
    if (!stats.isFile() || !isMine(stats) || stats.size > MAX_OWNER_FILE_BYTES) return null;
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Record<keyof FolderOwner, unknown>>;
    const text = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 64 ? v : null);
    if (typeof value.pid !== 'number' || !Number.isSafeInteger(value.pid) || value.pid <= 0) return null;
    return { pid: value.pid, start: text(value.start), boot: text(value.boot) };
  } catch {
    return null;
  }
}

/**
 * Removes the capture folders in parent whose owner is gone, and returns them. Folders of live
 * owners, of other users, without an owner file, symlinks and everything not named as ours are
 * left alone, and so is a folder holding anything a store does not make.
 */
export function sweepAbandonedCaptureFolders(parent: string = os.tmpdir()): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!FOLDER_NAME.test(name)) continue;
    const folder = path.join(parent, name);
    try {
      const stats = fs.lstatSync(folder);
      if (!stats.isDirectory() || !isMine(stats)) continue;
      const owner = readOwner(folder);
      if (!owner || ownerAlive(owner)) continue;
      if (removeOurFiles(folder)) removed.push(folder);
    } catch {
      // Gone meanwhile (another store swept it), or unreadable: not ours to worry about.
    }
  }
  return removed;
}

/**
 * Deletes a dead store's folder: its files, the owner file last, then the folder. A folder
 * holding anything else (a file a store does not make, a directory, someone else's file) is
 * left as it is.
 */
function removeOurFiles(folder: string): boolean {
  const entries = fs.readdirSync(folder);
  for (const entry of entries) {
    if (!OUR_FILE.test(entry)) return false;
    const stats = fs.lstatSync(path.join(folder, entry));
    if (stats.isDirectory() || !isMine(stats)) return false;
  }
  entries.sort((a, b) => Number(a === OWNER_FILE) - Number(b === OWNER_FILE));
  for (const entry of entries) {
    // unlink removes a symlink itself, never what it points to.
    try {
      fs.unlinkSync(path.join(folder, entry));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  fs.rmdirSync(folder);
  return true;
}
