/**
 * Returns the absolute path of Electron's executable for the project at `root`, or null when it
 * is not installed. Honours ELECTRON_OVERRIDE_DIST_PATH. Never requires the electron package,
 * which would try to download the binary.
 */
export function findElectronBinary(root: string): string | null;
