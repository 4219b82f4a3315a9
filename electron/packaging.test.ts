// electron-builder.yml as electron-builder itself reads it: its own loader and schema check, its
// own translation of `electronFuses`, and @electron/fuses flipping a fuse wire laid out the way
// Electron's binary lays it out; its targets and icons; and the app.asar it makes for each
// platform, made by its own packagers from the real tree after `npm run build` (Electron's
// binary is not involved in that step). Electron's binary is not needed, so this runs everywhere.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Configuration } from 'electron-builder';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APP_SCHEME } from './app-protocol';

const ROOT = path.resolve(import.meta.dirname, '..');

// app-builder-lib and @electron/fuses come with electron-builder: resolve them from there, so
// the test uses the very copies `npm run dist` uses.
const requireFromBuilder = createRequire(createRequire(import.meta.url).resolve('electron-builder/package.json'));
const requireFromLib = createRequire(requireFromBuilder.resolve('app-builder-lib/package.json'));

interface ConfigModule {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: null): Promise<Configuration>;
  validateConfiguration(config: Configuration, debugLogger: { isEnabled: boolean; add(key: string, value: unknown): void }): Promise<void>;
}
interface FuseConfig {
  version: string;
  [fuse: number]: boolean | undefined;
}
interface PackagerModule {
  PlatformPackager: { prototype: { generateFuseConfig(fuses: NonNullable<Configuration['electronFuses']>): Promise<FuseConfig> } };
}
interface FusesModule {
  flipFuses(pathToElectron: string, config: FuseConfig): Promise<unknown>;
  getCurrentFuseWire(pathToElectron: string): Promise<Record<number, number>>;
  FuseV1Options: Record<string, number>;
}

const configModule = requireFromBuilder('app-builder-lib/out/util/config/config') as ConfigModule;
// Through the package's index: its modules import each other in a cycle that only resolves in
// that order.
const packagerModule = requireFromBuilder('app-builder-lib') as PackagerModule;
const fuses = requireFromLib('@electron/fuses') as FusesModule;
const quietLogger = { isEnabled: false, add() {} };

async function loadConfig(): Promise<Configuration> {
  const config = await configModule.getConfig(ROOT, 'electron-builder.yml', null);
  await configModule.validateConfiguration(config, quietLogger);
  return config;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('electron-builder.yml', () => {
  it('passes electron-builder’s own schema check, which refuses misspelt fuse names', async () => {
    const config = await loadConfig();
    expect(config.appId).toBe('dev.socketinspector.app');
    await expect(
      configModule.validateConfiguration({ ...config, electronFuses: { runAsnode: false } as never }, quietLogger),
    ).rejects.toThrow(/configuration\.electronFuses/);
  });

  it('turns off running as Node, NODE_OPTIONS, --inspect and file:// privileges, and loads only a verified app.asar', async () => {
    const { electronFuses, asar } = await loadConfig();
    expect(electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
      enableCookieEncryption: false,
    });
    // onlyLoadAppFromAsar with no app.asar would leave nothing to load.
    expect(asar).toBe(true);
  });

  it('flips each fuse in a fuse wire laid out as in Electron’s binary', async () => {
    const { electronFuses } = await loadConfig();
    const fuseConfig = await packagerModule.PlatformPackager.prototype.generateFuseConfig.call(null, electronFuses!);

    // Sentinel, wire version 1, wire length, then one byte per fuse ('0' off, '1' on) with
    // Electron's defaults: runAsNode, nodeOptions, nodeCliInspect and file:// privileges on.
    const { FuseV1Options: O } = fuses;
    const FuseState = { DISABLE: '0'.charCodeAt(0), ENABLE: '1'.charCodeAt(0) };
    const defaults = ['1', '0', '1', '1', '0', '0', '0', '1'].join('');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'si-fuses-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const binary = path.join(dir, 'socket-inspector');
    const sentinel = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
    await writeFile(binary, Buffer.concat([Buffer.alloc(64, 0xcc), Buffer.from(sentinel), Buffer.from([1, 8]), Buffer.from(defaults), Buffer.alloc(64, 0xcc)]));

    await fuses.flipFuses(binary, fuseConfig);
    const wire = await fuses.getCurrentFuseWire(binary);
    expect(wire[O.RunAsNode!]).toBe(FuseState.DISABLE);
    expect(wire[O.EnableNodeOptionsEnvironmentVariable!]).toBe(FuseState.DISABLE);
    expect(wire[O.EnableNodeCliInspectArguments!]).toBe(FuseState.DISABLE);
    expect(wire[O.EnableEmbeddedAsarIntegrityValidation!]).toBe(FuseState.ENABLE);
    expect(wire[O.OnlyLoadAppFromAsar!]).toBe(FuseState.ENABLE);
    expect(wire[O.GrantFileProtocolExtraPrivileges!]).toBe(FuseState.DISABLE);
    expect(wire[O.EnableCookieEncryption!]).toBe(FuseState.DISABLE);
    // Only the wire changed: the bytes around it are as they were.
    const after = await readFile(binary);
    expect(after.subarray(0, 64).every((b) => b === 0xcc)).toBe(true);
    expect(after.subarray(-64).every((b) => b === 0xcc)).toBe(true);
  });
});

// --- What the packages contain ------------------------------------------------------------------

type PlatformName = 'linux' | 'win' | 'mac';
interface PlatformLike {
  nodeName: string;
  createTarget(type: string, ...archs: number[]): Map<PlatformLike, Map<number, string[]>>;
}
interface PlatformPackagerLike {
  platformSpecificBuildOptions: Record<string, unknown>;
  getResourcesDir(appOutDir: string): string;
  computeAsarOptions(options: Record<string, unknown>): Promise<unknown>;
  createGetFileMatchersOptions(outDir: string, arch: number, options: Record<string, unknown>): { macroExpander: unknown };
  copyAppFiles(...args: unknown[]): void;
  sanityCheckPackage(appOutDir: string, isAsar: boolean, framework: unknown, disableSanityCheckAsar: boolean): Promise<void>;
  info: { framework: unknown; cancellationToken: unknown };
}
type PackagerClass = new (info: unknown) => PlatformPackagerLike;
interface AppBuilderLib {
  Packager: new (options: Record<string, unknown>) => { build(): Promise<unknown> };
  Platform: Record<'LINUX' | 'WINDOWS' | 'MAC', PlatformLike>;
  Arch: Record<string, number>;
  LinuxPackager: PackagerClass;
  WinPackager: PackagerClass;
  MacPackager: PackagerClass;
}
interface BuilderUtil {
  AsyncTaskManager: new (token: unknown) => { awaitTasks(): Promise<unknown> };
  setPrinter(printer: ((message: string) => void) | null): void;
}
interface Asar {
  listPackage(archive: string, options: Record<string, never>): string[];
  statFile(archive: string, file: string): { files?: unknown };
}

const appBuilder = packagerModule as unknown as AppBuilderLib;
const builderUtil = requireFromLib('builder-util') as BuilderUtil;
const asar = requireFromLib('@electron/asar') as Asar;

/**
 * The files of the app.asar electron-builder makes for a platform from electron-builder.yml (or
 * another config file) over this tree: its own Packager, its platform packager's file matchers,
 * node_modules collection and asar packing, exactly as `npm run dist` runs them. Only the step
 * before, unpacking Electron's binary next to the archive, is left out.
 */
async function packagedFiles(platformName: PlatformName, configFile = path.join(ROOT, 'electron-builder.yml'), probe = false): Promise<string[]> {
  const out = await mkdtemp(path.join(os.tmpdir(), 'si-packaged-'));
  cleanups.push(() => rm(out, { recursive: true, force: true }));
  const { Platform, Arch } = appBuilder;
  const platform = { linux: Platform.LINUX, win: Platform.WINDOWS, mac: Platform.MAC }[platformName];
  const Base = { linux: appBuilder.LinuxPackager, win: appBuilder.WinPackager, mac: appBuilder.MacPackager }[platformName];
  let archive: string | undefined;
  // What the platform packager's doPack does once Electron is unpacked into appOutDir.
  class CopyAppOnly extends Base {
    async pack(outDir: string, arch: number): Promise<void> {
      const appOutDir = path.join(outDir, 'app');
      const resources = this.getResourcesDir(appOutDir);
      const options = this.platformSpecificBuildOptions;
      const asarOptions = await this.computeAsarOptions(options);
      const { macroExpander } = this.createGetFileMatchersOptions(outDir, arch, options);
      const tasks = new builderUtil.AsyncTaskManager(this.info.cancellationToken);
      const context = { appOutDir, outDir, arch, targets: [], packager: this, electronPlatformName: platform.nodeName };
      this.copyAppFiles(tasks, asarOptions, resources, path.join(resources, 'app'), context, options, [], macroExpander);
      await tasks.awaitTasks();
      // electron-builder's own check that the entry file and package.json are in the archive.
      await this.sanityCheckPackage(appOutDir, true, this.info.framework, false);
      archive = path.join(resources, 'app.asar');
      // A probe that lets node_modules in also lets in the decoders' optional native modules,
      // which electron-builder unpacks: only the real configuration must unpack nothing.
      if (!probe) expect(readdirSync(resources), 'nothing is unpacked next to app.asar').toEqual(['app.asar']);
    }
  }
  builderUtil.setPrinter(() => {});
  try {
    await new appBuilder.Packager({
      projectDir: ROOT,
      config: { extends: configFile, directories: { output: out } },
      targets: platform.createTarget('dir', Arch.x64!),
      platformPackagerFactory: (info: unknown) => new CopyAppOnly(info),
    }).build();
  } finally {
    builderUtil.setPrinter(null);
  }
  if (!archive) throw new Error(`electron-builder packed nothing for ${platformName}`);
  const entries = asar.listPackage(archive, {}).map((entry) => entry.replace(/^[\\/]/, '').split(path.sep).join('/'));
  return entries.filter((entry) => asar.statFile(archive!, entry).files === undefined).sort();
}

/** Every file under a folder, as paths relative to ROOT with forward slashes. */
function filesUnder(dir: string, base = ROOT): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(base, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

/**
 * What scripts/build-electron.mjs writes, whatever its entries are: it is run as it is, in a
 * folder of its own that mirrors this tree, and what it wrote under dist/ there is the answer.
 */
async function electronBuildOutputs(): Promise<string[]> {
  const mirror = await mkdtemp(path.join(os.tmpdir(), 'si-build-electron-'));
  try {
    // The folders only (sources, node_modules): links to folders need no privileges on Windows.
    for (const entry of readdirSync(ROOT, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'dist' || entry.name.startsWith('.')) continue;
      await symlink(path.join(ROOT, entry.name), path.join(mirror, entry.name), 'junction');
    }
    const built = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-electron.mjs')], { cwd: mirror, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`scripts/build-electron.mjs failed:\n${built.stdout}${built.stderr}`);
    const outputs = filesUnder(path.join(mirror, 'dist'), mirror).filter((file) => !file.endsWith('.map'));
    if (outputs.length === 0) throw new Error('scripts/build-electron.mjs wrote nothing under dist/ of the folder it ran in');
    return outputs;
  } finally {
    await rm(mirror, { recursive: true, force: true });
  }
}

/** Runs `npm run build` here when dist/ lacks something it should hold (a fresh checkout, a new entry). */
function buildIfIncomplete(expected: string[]): void {
  if (expected.every((file) => existsSync(path.join(ROOT, file)))) return;
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : [process.platform === 'win32' ? 'npm.cmd' : 'npm'];
  const built = spawnSync(npm[0]!, [...npm.slice(1), 'run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' });
  if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);
}

/** The ways a package's file list is wrong: files the build makes that are missing, and files that should not ship. */
function packagingProblems(packaged: string[], built: string[]): { missing: string[]; unwanted: string[] } {
  const shipped = new Set(packaged);
  const wanted = new Set([...built, 'package.json']);
  return {
    missing: [...wanted].filter((file) => !shipped.has(file)).sort(),
    unwanted: packaged.filter((file) => !wanted.has(file)),
  };
}

/** What a file list holds from each place that must not ship, for a readable failure. */
function bySource(files: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const file of files) {
    const place = /\.map$/.test(file) ? 'source maps' : /\.test\.|\.spec\./.test(file) ? 'tests' : file.split('/')[0]!;
    counts[place] = (counts[place] ?? 0) + 1;
  }
  return counts;
}

describe('the packages', () => {
  /** The files the build makes that the app needs: all of dist/ but source maps. */
  let built: string[];
  let electronOutputs: string[];

  beforeAll(async () => {
    electronOutputs = await electronBuildOutputs();
    buildIfIncomplete([...electronOutputs, 'dist/renderer/index.html']);
    built = filesUnder(path.join(ROOT, 'dist')).filter((file) => !file.endsWith('.map'));
  }, 180_000);

  afterAll(() => builderUtil.setPrinter(null));

  it('are an AppImage and a .deb on Linux, an NSIS installer on Windows and a .dmg on macOS', async () => {
    const config = await loadConfig();
    const targets = (options: { target?: unknown } | null | undefined) =>
      [options?.target ?? []].flat().map((t) => (typeof t === 'string' ? t : (t as { target: string }).target));
    expect(targets(config.linux)).toEqual(['AppImage', 'deb']);
    expect(targets(config.win)).toEqual(['nsis']);
    expect(targets(config.mac)).toEqual(['dmg']);
    // A .deb needs a maintainer with an address, and the desktop entry a category.
    expect(config.linux?.maintainer).toMatch(/<[^@\s>]+@[^@\s>]+>/);
    expect(config.linux?.category).toBe('Development');
    expect(config.linux?.executableName).toBe('socket-inspector');
    expect(config.asarUnpack).toBeUndefined();
  });

  it('have an icon, a square PNG of at least 512 pixels, for every platform', async () => {
    const config = await loadConfig();
    const icons = new Set([config.icon, config.linux?.icon, config.win?.icon, config.mac?.icon].filter((icon): icon is string => Boolean(icon)));
    expect(icons.size).toBeGreaterThan(0);
    for (const icon of icons) {
      const png = await readFile(path.resolve(ROOT, icon));
      expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${icon} is a PNG`).toBe(true);
      const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
      expect(width, `${icon} is square`).toBe(height);
      // electron-builder makes the macOS .icns and the Linux icon sizes from it: 512 at least.
      expect(width, `${icon} is at least 512 pixels wide`).toBeGreaterThanOrEqual(512);
    }
  });

  it('do not claim the app:// scheme the window is served from as a system-wide protocol', async () => {
    const config = await loadConfig();
    const declared = [config.protocols, config.mac?.protocols].flat().filter(Boolean) as { schemes: string[] }[];
    for (const protocol of declared) expect(protocol.schemes.map((s) => s.toLowerCase())).not.toContain(APP_SCHEME);
  });

  it('hold everything the build makes, and every bundle needs nothing from node_modules', async () => {
    // The bundles scripts/build-electron.mjs makes (main, preload, and whatever is added) and the renderer.
    expect(built).toEqual(expect.arrayContaining([...electronOutputs, 'dist/electron/main.cjs', 'dist/electron/preload.cjs', 'dist/renderer/index.html']));
    // Since node_modules does not ship, a bundle may require only Node's own modules and electron.
    // ws tries two optional native add-ons inside try/catch and works without them.
    const allowed = new Set([...builtinModules, 'electron', 'bufferutil', 'utf-8-validate']);
    for (const bundle of built.filter((file) => file.startsWith('dist/electron/') && /\.c?js$/.test(file))) {
      const code = await readFile(path.join(ROOT, bundle), 'utf8');
      const required = [...code.matchAll(/\brequire\("([^"./][^"]*)"\)/g)].map((m) => m[1]!.replace(/^node:/, ''));
      expect(required.filter((name) => !allowed.has(name)), `${bundle} requires packages`).toEqual([]);
    }
  });

  for (const platformName of ['linux', 'win', 'mac'] as const) {
    it(`for ${platformName}, ship every built file and package.json, and nothing else`, async () => {
      const packaged = await packagedFiles(platformName);
      expect(packaged).toContain('dist/electron/main.cjs');
      expect(packaged).toContain('dist/electron/preload.cjs');
      const { missing, unwanted } = packagingProblems(packaged, built);
      expect(missing, 'built files missing from app.asar').toEqual([]);
      expect(bySource(unwanted), 'files in app.asar that should not ship').toEqual({});
    });
  }

  it('would notice node_modules shipped or dist/ narrowed', async () => {
    const yml = await readFile(path.join(ROOT, 'electron-builder.yml'), 'utf8');
    const changed = async (from: string, to: string) => {
      expect(yml, `electron-builder.yml has the line ${from}`).toContain(from);
      const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'si-builder-yml-')), 'electron-builder.yml');
      cleanups.push(() => rm(path.dirname(file), { recursive: true, force: true }));
      await writeFile(file, yml.replace(from, to));
      return packagingProblems(await packagedFiles('linux', file, true), built);
    };
    const withNodeModules = await changed('  - "!node_modules/**/*"\n', '');
    expect(Object.keys(bySource(withNodeModules.unwanted))).toContain('node_modules');
    // electron-builder itself checks only for the entry file: a preload left out gets past it.
    const narrowed = await changed('  - dist/**/*\n', '  - dist/renderer/**/*\n  - dist/electron/main.cjs\n');
    expect(narrowed.missing).toContain('dist/electron/preload.cjs');
  });
});
