// Bundles the Node side (Electron main, preload, the engine process, browser host CLI) into dist/electron.
// The preload is CommonJS because sandboxed preloads cannot load ES modules.
import { build } from 'esbuild';

/**
 * msgpackr and cbor-x try optional native string extractors and fall back to JavaScript when
 * they are missing. Bundled, those would probe the disk for prebuilt binaries the app never
 * ships: every build uses the JavaScript path instead, the same in tests and in the product.
 */
const noNativeExtractors = {
  name: 'no-native-extractors',
  setup(b) {
    b.onResolve({ filter: /^(cbor-extract|msgpackr-extract)$/ }, (args) => ({ path: args.path, namespace: 'no-native' }));
    b.onLoad({ filter: /.*/, namespace: 'no-native' }, (args) => ({ contents: `throw new Error(${JSON.stringify(`${args.path} is not bundled`)});`, loader: 'js' }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  external: ['electron'],
  plugins: [noNativeExtractors],
};

await Promise.all([
  build({ ...common, entryPoints: ['electron/main.ts'], outfile: 'dist/electron/main.cjs', target: 'node22' }),
  build({ ...common, entryPoints: ['electron/preload.ts'], outfile: 'dist/electron/preload.cjs', target: 'node22' }),
  build({ ...common, entryPoints: ['electron/engine-main.ts'], outfile: 'dist/electron/engine.cjs', target: 'node22' }),
  build({ ...common, entryPoints: ['electron/web-cli.ts'], outfile: 'dist/electron/web.cjs', target: 'node20' }),
]);
