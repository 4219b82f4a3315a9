import { existsSync } from 'node:fs';
import path from 'node:path';
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';
import { findElectronBinary } from '../scripts/electron-binary.mjs';
import { BRIDGE_KEY } from '../shared/channels';
import { ROOT, runPython, startListenerFromUi, stopProcess } from './fixtures';

// The desktop app itself, through Electron. Where Electron's binary could not be downloaded the
// same scenarios run through the browser host (web.spec.ts), which drives the same engine and UI.
const electronBinary = findElectronBinary(ROOT);
const hasDisplay =
  process.platform !== 'linux' || Boolean(process.env.DISPLAY) || Boolean(process.env.WAYLAND_DISPLAY);

const THREE_WRITES = `
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.sendall(b'one')
time.sleep(0.3)
s.sendall(b'two')
time.sleep(0.3)
s.sendall(b'three')
s.close()
`;

/** Starts the built app; Chromium refuses to run as root unless its own sandbox is off. */
async function launchApp(binary: string): Promise<ElectronApplication> {
  for (const built of ['dist/electron/main.cjs', 'dist/electron/preload.cjs', 'dist/renderer/index.html']) {
    if (!existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: run "npm run build" before the Electron tests`);
  }
  const runsAsRoot = process.platform === 'linux' && process.getuid?.() === 0;
  const env = { ...process.env } as Record<string, string>;
  delete env.ELECTRON_RUN_AS_NODE;
  return electron.launch({
    executablePath: binary,
    args: [...(runsAsRoot ? ['--no-sandbox'] : []), '.'],
    cwd: ROOT,
    env,
  });
}

test.describe('desktop app (Electron)', () => {
  test.skip(
    !electronBinary,
    "Electron's binary is not installed (node_modules/electron/dist is missing; it could not be downloaded here), so the desktop app cannot be launched",
  );
  test.skip(!hasDisplay, 'No display to open a window on (DISPLAY is not set): run the Electron tests under xvfb-run');

  test('a listener shows each of three client writes as its own chunk', async () => {
    let app: ElectronApplication | undefined;
    let client: ReturnType<typeof runPython> | undefined;
    try {
      app = await launchApp(electronBinary!);
      const page = await app.firstWindow();
      await expect(page).toHaveTitle(/Socket Inspector/);
      // Served from the app's own scheme, never file://.
      expect(page.url()).toBe('app://socket-inspector/index.html');
      // The page reaches the main process only through the preload's named functions.
      const exposed = await page.evaluate((key) => {
        const scope = globalThis as unknown as Record<string, unknown>;
        const bridge = scope[key] as Record<string, unknown> | undefined;
        return { require: typeof scope.require, process: typeof scope.process, bridge: bridge ? Object.keys(bridge).sort() : null };
      }, BRIDGE_KEY);
      expect(exposed.require).toBe('undefined');
      expect(exposed.process).toBe('undefined');
      expect(exposed.bridge).toContain('getSnapshot');
      expect(exposed.bridge).not.toContain('invoke');

      const port = await startListenerFromUi(page);
      client = runPython(THREE_WRITES, [String(port)]);

      const rows = page.getByRole('log', { name: 'Traffic' }).getByRole('row');
      await expect(rows).toHaveCount(3);
      await expect(rows.nth(0)).toContainText('one');
      await expect(rows.nth(1)).toContainText('two');
      await expect(rows.nth(2)).toContainText('three');
      const result = await client.done;
      expect(result.code, result.stderr).toBe(0);
    } finally {
      await stopProcess(client?.child);
      await app?.close();
    }
  });
});
