/**
 * What to say, and what to keep, when the engine process dies on its own. Plain Node, so it is
 * tested with real folders.
 */
import { lstatSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { formatBytes } from '../shared/format';
import { OWNER_FILE } from './engine/capture-folder';

/** A dead engine's capture payloads, moved where no engine sweeps them. */
export interface KeptCapture {
  folder: string;
  bytes: number;
}

/**
 * Moves a dead engine's capture folder aside (beside it, named socket-inspector-kept-<time>) so
 * the next engine's sweep of dead owners' folders does not delete it; an empty one is removed.
 * Null when there was nothing to keep (no folder, an empty one, or one that is not a folder).
 */
export function keepCaptureFolder(folder: string | undefined, now = new Date()): KeptCapture | null {
  if (!folder) return null;
  try {
    if (!lstatSync(folder).isDirectory()) return null;
  } catch {
    return null;
  }
  let bytes = 0;
  for (const name of readdirSync(folder)) {
    // The owner file goes, so the kept folder names no owner.
    if (name === OWNER_FILE) continue;
    try {
      const st = lstatSync(path.join(folder, name));
      if (st.isFile()) bytes += st.size;
    } catch {
      // Gone meanwhile: nothing to count.
    }
  }
  if (bytes === 0) {
    rmSync(folder, { recursive: true, force: true });
    return null;
  }
  rmSync(path.join(folder, OWNER_FILE), { force: true });
  const kept = path.join(path.dirname(folder), `socket-inspector-kept-${now.toISOString().replace(/[:.]/g, '-')}`);
  renameSync(folder, kept);
  return { folder: kept, bytes };
}

/** The words a page shows when the engine process died on its own. */
export function describeEngineExit(code: number, kept: KeptCapture | null): string {
  const what =
    `The engine stopped unexpectedly (exit code ${code}): its connections are closed and its listeners stopped.` +
    (kept
      ? ` What it had captured (${formatBytes(kept.bytes)} of payloads, without the index that said which connection each belonged to) is kept in ${kept.folder}; delete it when you no longer need it.`
      : ' It had nothing captured on disk.');
  return `${what} Restart the engine to go on.`;
}
