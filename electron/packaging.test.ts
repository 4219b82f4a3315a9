// electron-builder.yml as electron-builder itself reads it: its own loader and schema check, its
// own translation of `electronFuses`, and @electron/fuses flipping a fuse wire laid out the way
// Electron's binary lays it out. Electron's binary is not needed, so this runs everywhere.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Configuration } from 'electron-builder';
import { afterEach, describe, expect, it } from 'vitest';

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
