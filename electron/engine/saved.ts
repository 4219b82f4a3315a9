import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { commandSchemas } from '../../shared/contract';
import type { SavedState } from '../../shared/model';

const EMPTY: SavedState = { snippets: [], history: [] };

// Windows has no modes to tighten and no O_NOFOLLOW; its ACLs already keep a profile private.
const POSIX = process.platform !== 'win32';
const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
// A FIFO swapped in after the lstat must not block the engine in open().
const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return typeof e?.code === 'string' ? e.code : typeof e?.message === 'string' ? e.message : String(err);
}

/** Something other than a regular file where the saved messages belong: never read, replaced or moved. */
class NotAFileError extends Error {}

function kindOf(stat: fs.Stats): string {
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isDirectory()) return 'a folder';
  return 'a device, pipe or socket';
}

/** lstat: the file's stat when a regular file is there, null when nothing is, NotAFileError otherwise. */
function regularFileOrNothing(file: string): fs.Stats | null {
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
function tighten(target: string, stat: fs.Stats): void {
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
function privateFolder(dir: string, create: boolean): boolean {
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
function readRegularFile(file: string, stat: fs.Stats): string {
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

type Parsed = { ok: true; state: SavedState } | { ok: false; why: string };

function parseSaved(text: string): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, why: text.trim() === '' ? 'it is empty' : `it is not valid JSON: ${(err as Error).message.slice(0, 200)}` };
  }
  const parsed = commandSchemas.setSaved.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    return { ok: false, why: `it is not in the expected form (${`${where}${issue?.message ?? 'invalid'}`.slice(0, 200)})` };
  }
  return { ok: true, state: { snippets: parsed.data.snippets, history: parsed.data.history } };
}

/**
 * Moves a damaged file aside as `<file>.corrupt-<time>` (with -2, -3… when that name is taken),
 * never over an earlier one: a hard link fails rather than replace, and only then is the
 * original name removed. Returns the new name.
 */
function keepAside(file: string): string {
  const stamp = new Date().toISOString().replace(/:/g, '-');
  for (let n = 1; n <= 1000; n++) {
    const aside = `${file}.corrupt-${stamp}${n === 1 ? '' : `-${n}`}`;
    try {
      fs.linkSync(file, aside);
    } catch (err) {
      if (errorCode(err) === 'EEXIST') continue;
      // File systems without hard links: an exclusive copy refuses to overwrite just the same.
      try {
        fs.copyFileSync(file, aside, fs.constants.COPYFILE_EXCL);
      } catch (copyErr) {
        if (errorCode(copyErr) === 'EEXIST') continue;
        throw copyErr;
      }
    }
    fs.unlinkSync(file);
    return aside;
  }
  throw Object.assign(new Error('a thousand earlier copies have the same name'), { code: 'EEXIST' });
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
function writeAtomically(file: string, content: string): void {
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

/**
 * Saved messages and send history, kept in a JSON file so they survive restarts. Without a
 * file (tests, or no writable config folder) they live for the run only. The folder is private
 * (0700) and the file too (0600), replaced atomically. A damaged file is kept aside under a new
 * name and reported in the state's `warning`; something that is not a regular file (a link, a
 * folder) or cannot be read is left alone, reported, and never written over.
 */
export class SavedStore {
  private state: SavedState = EMPTY;
  private warning: string | undefined;
  /** Why nothing may be written this run: the file there could not be read and must be kept. */
  private blocked: string | undefined;

  constructor(private readonly file?: string) {
    if (file) this.load(file);
  }

  private leaveAlone(why: string): void {
    this.blocked = why;
    this.warning = `Saved messages could not be loaded: ${why}. They last for this run only.`;
  }

  private load(file: string): void {
    let stat: fs.Stats | null;
    try {
      if (!privateFolder(path.dirname(file), false)) return;
      stat = regularFileOrNothing(file);
    } catch (err) {
      return this.leaveAlone(err instanceof NotAFileError ? err.message : `${file} could not be examined (${errorCode(err)}); it was left as it is`);
    }
    if (!stat) return;
    tighten(file, stat);

    let text: string;
    try {
      text = readRegularFile(file, stat);
    } catch (err) {
      return this.leaveAlone(err instanceof NotAFileError ? err.message : `${file} could not be read (${errorCode(err)}); it was left as it is`);
    }
    const parsed = parseSaved(text);
    if (parsed.ok) {
      this.state = parsed.state;
      return;
    }
    try {
      const aside = keepAside(file);
      this.warning = `Saved messages could not be loaded: ${file} is damaged (${parsed.why}). It was kept as ${path.basename(aside)}, and saved messages start empty.`;
    } catch (err) {
      this.leaveAlone(`${file} is damaged (${parsed.why}) and could not be moved aside (${errorCode(err)}); it was left as it is`);
    }
  }

  /** The saved state, with `warning` set when the file could not be loaded as it was. */
  get(): SavedState {
    return this.warning ? { ...this.state, warning: this.warning } : this.state;
  }

  /** Replaces the saved state; returns an error sentence when it could not be written to disk. */
  set(state: SavedState): string | null {
    // The warning is ours to give; a page that echoes it back does not get it saved.
    this.state = { snippets: state.snippets, history: state.history };
    if (!this.file) return null;
    if (this.blocked) return `Saved for this run only: ${this.blocked}.`;
    try {
      writeAtomically(this.file, `${JSON.stringify(this.state, null, 2)}\n`);
      return null;
    } catch (err) {
      const why = err instanceof NotAFileError ? err.message : `could not write ${this.file} (${errorCode(err)})`;
      return `Saved for this run only: ${why}.`;
    }
  }
}

/** Where the browser host keeps its data: the platform's per-user config folder. */
export function defaultDataDir(): string {
  const home = process.env.HOME ?? process.env.USERPROFILE ?? '.';
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Socket Inspector');
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Socket Inspector');
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'socket-inspector');
}
