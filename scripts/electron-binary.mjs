// Finds Electron's executable the way node_modules/electron/index.js would, but without
// requiring that module: requiring it starts a download when the binary is missing.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** The executable's path inside Electron's dist directory, per platform (as install.js writes it). */
function defaultPlatformPath(platform = process.env.ELECTRON_INSTALL_PLATFORM || process.platform) {
  switch (platform) {
    case 'mas':
    case 'darwin':
      return 'Electron.app/Contents/MacOS/Electron';
    case 'win32':
      return 'electron.exe';
    default:
      return 'electron';
  }
}

/**
 * Returns the absolute path of Electron's executable for the project at `root`, or null when it
 * is not installed. Honours ELECTRON_OVERRIDE_DIST_PATH like Electron's own launcher.
 * @param {string} root the project directory (the one holding node_modules)
 * @returns {string | null}
 */
export function findElectronBinary(root) {
  const packageDir = path.join(root, 'node_modules', 'electron');
  let relative = null;
  try {
    relative = readFileSync(path.join(packageDir, 'path.txt'), 'utf8').trim() || null;
  } catch {
    // No path.txt: the binary was never extracted here, unless an override points elsewhere.
  }
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const candidate = override
    ? path.resolve(override, relative ?? defaultPlatformPath())
    : relative
      ? path.join(packageDir, 'dist', relative)
      : null;
  if (!candidate || !existsSync(candidate)) return null;
  try {
    return statSync(candidate).isFile() ? candidate : null;
  } catch {
    return null;
  }
}
