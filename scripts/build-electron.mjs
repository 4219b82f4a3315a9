// Bundles the Node side (Electron main, preload, the engine process, browser host CLI) into dist/electron.
// The preload is CommonJS because sandboxed preloads cannot load ES modules.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  external: ['electron'],
};

await Promise.all([
  build({ ...common, entryPoints: ['electron/main.ts'], outfile: 'dist/electron/main.cjs', target: 'node22' }),
  build({ ...common, entryPoints: ['electron/preload.ts'], outfile: 'dist/electron/preload.cjs', target: 'node22' }),
  build({ ...common, entryPoints: ['electron/engine-main.ts'], outfile: 'dist/electron/engine.cjs', target: 'node22' }),
  build({ ...common, entryPoints: ['electron/web-cli.ts'], outfile: 'dist/electron/web.cjs', target: 'node20' }),
]);
