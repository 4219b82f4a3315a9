import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { commandSchemas } from '../../shared/contract';
import type { SavedState } from '../../shared/model';

const EMPTY: SavedState = { snippets: [], history: [] };

/**
 * Saved messages and send history, kept in a JSON file so they survive restarts. Without a
 * file (tests, or no writable config folder) they live for the run only. A damaged file is set
 * aside, never a reason to fail.
 */
export class SavedStore {
  private state: SavedState = EMPTY;

  constructor(private readonly file?: string) {
    if (!file) return;
    try {
      const parsed = commandSchemas.setSaved.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (parsed.success) this.state = parsed.data;
      else renameSync(file, `${file}.invalid`);
    } catch {
      // Missing or unreadable: start empty.
    }
  }

  get(): SavedState {
    return this.state;
  }

  /** Replaces the saved state; returns an error sentence when it could not be written to disk. */
  set(state: SavedState): string | null {
    this.state = state;
    if (!this.file) return null;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(state, null, 2));
      renameSync(tmp, this.file);
      return null;
    } catch (err) {
      return `Saved for this run only: could not write ${this.file} (${(err as NodeJS.ErrnoException).code ?? String(err)}).`;
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
