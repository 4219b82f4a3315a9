import fs from 'node:fs';
import path from 'node:path';
import { commandSchemas } from '../../shared/contract';
import type { SavedState } from '../../shared/model';
import { workspaceSchema } from '../../shared/workspace';
import { errorCode, NotAFileError, privateFolder, readRegularFile, regularFileOrNothing, tighten, writeAtomically } from './private-file';

const EMPTY: SavedState = { snippets: [], history: [] };

/** A parsed file; `droppedWorkspace` says why its last workspace could not be kept. */
type Parsed = { ok: true; state: SavedState; droppedWorkspace?: string } | { ok: false; why: string };

function firstIssue(error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> }): string {
  const issue = error.issues[0];
  const where = issue?.path.length ? `${issue.path.map(String).join('.')}: ` : '';
  return `${where}${issue?.message ?? 'invalid'}`.slice(0, 200);
}

function parseSaved(text: string): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, why: text.trim() === '' ? 'it is empty' : `it is not valid JSON: ${(err as Error).message.slice(0, 200)}` };
  }
  // The last workspace is checked on its own: a damaged one is dropped, and the saved messages stay.
  let workspace: unknown;
  if (typeof json === 'object' && json !== null && !Array.isArray(json) && 'workspace' in json) {
    ({ workspace, ...json } = json as Record<string, unknown>);
  }
  const parsed = commandSchemas.setSaved.safeParse(json);
  if (!parsed.success) return { ok: false, why: `it is not in the expected form (${firstIssue(parsed.error)})` };
  const state: SavedState = { snippets: parsed.data.snippets, history: parsed.data.history };
  if (workspace === undefined) return { ok: true, state };
  const checked = workspaceSchema.safeParse(workspace);
  if (!checked.success) return { ok: true, state, droppedWorkspace: firstIssue(checked.error) };
  return { ok: true, state: { ...state, workspace: checked.data } };
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

/**
 * Saved messages, send history and the last workspace, kept in a JSON file so they survive
 * restarts (a last workspace that fails its schema is dropped with a warning). Without a
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
      if (parsed.droppedWorkspace) {
        this.warning = `The last workspace in ${file} could not be read (${parsed.droppedWorkspace}); it was dropped and is not offered at start. Saved messages are as they were.`;
      }
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
    this.state = { snippets: state.snippets, history: state.history, ...(state.workspace ? { workspace: state.workspace } : {}) };
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
