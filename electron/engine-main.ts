/**
 * Entry of the engine process (bundled to dist/electron/engine.cjs), started by the desktop
 * app's main process with utilityProcess.fork. `--data-dir DIR` says where saved messages live.
 */
import { runEngineProcess, type ParentLike } from './engine-process';

const parent = (process as NodeJS.Process & { parentPort?: ParentLike }).parentPort;
if (!parent) {
  console.error('The Socket Inspector engine process runs under the desktop app (it has no parent port here).');
  process.exit(2);
}
const at = process.argv.indexOf('--data-dir');
runEngineProcess(parent, { dataDir: at >= 0 ? process.argv[at + 1] : undefined });
