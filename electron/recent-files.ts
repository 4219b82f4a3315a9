/**
 * Files of the desktop app: the Open Recent list, what a path given to the app asks it to open,
 * and the file types of the save dialog. Plain Node (no Electron import), so it is tested with
 * real files; main.ts hands it what Electron says.
 *
 * The recent list lives in a small JSON file in the user-data folder, private (0600, its folder
 * 0700) and replaced atomically. A damaged file, or one that is not a regular file, counts as an
 * empty list; entries that do not check out are dropped one by one. Everything the page says it
 * opened is checked here before it is kept: the page is never trusted with what main stores.
 */
import path from 'node:path';
import type { OpenFileRequest } from '../shared/contract';
import { privateFolder, readRegularFile, regularFileOrNothing, writeAtomically } from './engine/private-file';

/** The recent list's file name in the user-data folder. */
export const RECENT_FILES_FILE = 'recent-files.json';

/** How many files Open Recent lists. */
export const MAX_RECENT_FILES = 10;

/** Paths this long or longer are refused (Linux's PATH_MAX; nothing real is near it). */
export const MAX_PATH_LENGTH = 4096;

/** Ten paths of under 4 KiB, even with every character escaped; anything larger is not ours. */
const MAX_FILE_BYTES = 512 * 1024;

/** Files opened as captures (as the page's Open capture accepts them). */
const CAPTURE_EXTENSIONS = ['.pcapng', '.pcap', '.cap', '.ntar'];
/** Files opened as workspaces. */
const WORKSPACE_EXTENSIONS = ['.json'];

type Kind = OpenFileRequest['kind'];

/**
 * A request to open a file, checked: kind is capture or workspace, path an absolute path of
 * fewer than 4096 characters without NUL. Returns a fresh object with those two fields only,
 * or null. `isAbsolute` is the platform's rule (path.isAbsolute), replaceable in tests.
 */
export function parseOpenFileRequest(value: unknown, isAbsolute: (p: string) => boolean = path.isAbsolute): OpenFileRequest | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const { kind, path: file } = value as { kind?: unknown; path?: unknown };
  if (kind !== 'capture' && kind !== 'workspace') return null;
  if (typeof file !== 'string' || file.length === 0 || file.length >= MAX_PATH_LENGTH || file.includes('\0')) return null;
  if (!isAbsolute(file)) return null;
  return { kind, path: file };
}

/** What a file's name says it is: a capture, a workspace, or neither (null). */
export function openFileKind(file: string): Kind | null {
  const lower = file.toLowerCase();
  if (CAPTURE_EXTENSIONS.some((ext) => lower.endsWith(ext))) return 'capture';
  if (WORKSPACE_EXTENSIONS.some((ext) => lower.endsWith(ext))) return 'workspace';
  return null;
}

/**
 * The files a command line asks the app to open: its arguments after the first `skip` (the
 * executable, and the app's folder when run as `electron .`) that are not switches and name a
 * capture or a workspace, resolved against `cwd`, each once. Nothing is read here: a file that
 * is missing is the page's to explain, as for any file it opens.
 */
export function openFileRequestsFromArgv(argv: readonly string[], cwd: string, skip: number): OpenFileRequest[] {
  const out: OpenFileRequest[] = [];
  for (const arg of argv.slice(skip)) {
    if (typeof arg !== 'string' || arg.startsWith('-')) continue;
    const kind = openFileKind(arg);
    if (!kind) continue;
    const request = parseOpenFileRequest({ kind, path: path.resolve(cwd, arg) });
    if (request && !out.some((r) => r.path === request.path)) out.push(request);
  }
  return out;
}

/** The recent list in a file's text: valid entries, most recent first, each path once, at most ten. */
export function parseRecentFiles(text: string): OpenFileRequest[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return [];
  }
  const files = (json as { files?: unknown } | null)?.files;
  if (!Array.isArray(files)) return [];
  const out: OpenFileRequest[] = [];
  for (const entry of files) {
    const request = parseOpenFileRequest(entry);
    if (request && !out.some((r) => r.path === request.path)) out.push(request);
    if (out.length === MAX_RECENT_FILES) break;
  }
  return out;
}

/** The recent list in `file`; empty when there is none or it cannot be used (never an error). */
export function readRecentFiles(file: string): OpenFileRequest[] {
  try {
    if (!privateFolder(path.dirname(file), false)) return [];
    const stat = regularFileOrNothing(file);
    if (!stat || stat.size > MAX_FILE_BYTES) return [];
    return parseRecentFiles(readRegularFile(file, stat));
  } catch {
    return [];
  }
}

/**
 * The Open Recent list, most recent first, kept in `file`. Each change is written at once
 * (synchronously: the file is tiny, and it keeps an earlier write from landing after a later
 * one). A write that fails is reported to onError; the list in memory still changes, so the
 * menu shows what the user did this run.
 */
export class RecentFiles {
  private files: OpenFileRequest[];

  constructor(
    private readonly file: string,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.files = readRecentFiles(file);
  }

  /** The list, most recent first. */
  list(): OpenFileRequest[] {
    return this.files.map((r) => ({ ...r }));
  }

  /**
   * Puts a file first (once: an earlier entry of the same path goes), keeping ten. The request
   * is checked as one from the page; returns false when it was refused or changed nothing.
   */
  add(value: unknown): boolean {
    const request = parseOpenFileRequest(value);
    if (!request) return false;
    const first = this.files[0];
    if (first && first.path === request.path && first.kind === request.kind) return false;
    this.files = [request, ...this.files.filter((r) => r.path !== request.path)].slice(0, MAX_RECENT_FILES);
    this.save();
    return true;
  }

  /** Empties the list; false when it was empty already. */
  clear(): boolean {
    if (this.files.length === 0) return false;
    this.files = [];
    this.save();
    return true;
  }

  private save(): void {
    try {
      writeAtomically(this.file, `${JSON.stringify({ files: this.files })}\n`);
    } catch (err) {
      this.onError(err);
    }
  }
}

/** A file type of the save dialog (Electron's FileFilter). */
export interface SaveFilter {
  name: string;
  extensions: string[];
}

/** The file types an export or a workspace is saved as, by extension. */
const SAVE_FILTERS = new Map<string, string>([
  ['pcapng', 'pcapng capture'],
  ['ndjson', 'NDJSON (one chunk per line)'],
  ['txt', 'Transcript (text)'],
  ['bin', 'Raw bytes'],
  ['tar', 'tar archive'],
  ['json', 'Socket Inspector workspace'],
]);

/** The longest suggested name taken (most file systems allow 255 bytes per name). */
const MAX_NAME_LENGTH = 255;

/**
 * A file name the page suggests for the save dialog, checked: a plain name (no folder, so the
 * page cannot point the dialog anywhere), not empty, `.` or `..`, without NUL, at most 255
 * characters. Returns null otherwise.
 */
export function parseSuggestedName(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH) return null;
  if (value.includes('\0') || value.includes('/') || value.includes('\\') || value === '.' || value === '..') return null;
  return value;
}

/** The save dialog's file types for a suggested name: its own type first (when known), then all files. */
export function saveFilters(suggestedName: string): SaveFilter[] {
  const ext = path.extname(suggestedName).slice(1).toLowerCase();
  const name = SAVE_FILTERS.get(ext);
  return [...(name ? [{ name, extensions: [ext] }] : []), { name: 'All files', extensions: ['*'] }];
}
