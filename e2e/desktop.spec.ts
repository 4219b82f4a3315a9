import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { expect, test as base } from '@playwright/test';
import { listenerRows, ROOT, runPython, setCaptureBudget, startListenerFromUi, stopProcess } from './fixtures';
import { echoRoundTrip, portInUseIsExplained, refusedIsExplained, threeWritesBecomeThreeChunks } from './scenarios';
import { captureDigest, launchDesktop, type DesktopApp } from './stand-in/launch';

// The desktop app's own main process, preload, engine process and page, under the stand-in
// Electron (e2e/stand-in): where Electron's binary cannot be had, this is how its code runs.
const test = base.extend<{ desktop: DesktopApp }>({
  desktop: async ({ context }, use) => {
    const app = await launchDesktop(context, ROOT);
    let quit = false;
    try {
      await use(app);
      quit = true;
      expect(await app.quit()).toBe(0);
    } finally {
      if (!quit) await app.quit().catch(() => undefined);
    }
  },
});

test('a listener shows each of three client writes as its own chunk', async ({ desktop }) => threeWritesBecomeThreeChunks(desktop.page));

test('connect to an echo server, send a message, and see the echo', async ({ desktop }) => echoRoundTrip(desktop.page));

test('a refused connection is explained beside the Connect button', async ({ desktop }) => refusedIsExplained(desktop.page));

test('a port already in use is explained, and other listeners keep working', async ({ desktop }) => portInUseIsExplained(desktop.page));

/** Sends MiB mebibytes in 64 KiB writes, each starting with its index; prints their sha256. */
const FLOOD = `
import hashlib, socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
fill = bytes(range(256)) * 256
h = hashlib.sha256()
for i in range(int(sys.argv[2]) * 16):
    block = i.to_bytes(8, 'big') + fill[8:]
    s.sendall(block)
    h.update(block)
print(h.hexdigest(), flush=True)
s.close()
`;

test('a 256 MiB flood: flow control holds it, the capture is byte for byte what was sent (sha256), and the main process relays nothing of it', async ({ desktop }) => {
  test.setTimeout(180_000);
  const app = desktop.page;
  // Room for all of it: the default budget (256 MiB) is payload and index together.
  await setCaptureBudget(app, 512, '512.0 MiB.');
  const port = await startListenerFromUi(app);
  const ipcBefore = desktop.standIn.ipcMessages();
  const started = Date.now();
  const sender = runPython(FLOOD, [String(port), '256']);
  try {
    const sent = await sender.done;
    expect(sent.code, sent.stderr).toBe(0);
    await expect(app.getByRole('main', { name: 'Selected connection' })).toContainText('in 256.0 MiB', { timeout: 120_000 });
    console.log(`256 MiB shown in the page after ${Date.now() - started} ms`);
    // Not one message of the flood went through the main process's IPC: chunks, batches and
    // acknowledgements all took the page's port to the engine process.
    expect(desktop.standIn.ipcMessages()).toBe(ipcBefore);
    // The capture, read back from the engine process over a session of the test's own (the same
    // wire the page speaks), is what the sender sent.
    const digest = await captureDigest(desktop, (c) => c.origin === 'accepted');
    expect(digest).toBe(sent.stdout.trim());
  } finally {
    await stopProcess(sender.child);
  }
});

test('when the engine process dies, the window says so and where its capture went; Restart engine brings it back', async ({ desktop }) => {
  const app = desktop.page;
  const port = await startListenerFromUi(app);
  const client = runPython("import socket, sys, time\ns = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\ns.sendall(b'k' * 3000000)\ntime.sleep(30)", [String(port)]);
  try {
    await expect(app.getByRole('main', { name: 'Selected connection' })).toContainText('in 2.86 MiB');
    const [engine] = desktop.standIn.utilityProcesses;
    expect(engine?.pid).toBeGreaterThan(0);
    expect(engine!.pid).not.toBe(process.pid);
    engine!.child.kill('SIGKILL');
    const alert = app.getByRole('alert').filter({ hasText: 'The engine stopped unexpectedly' });
    await expect(alert).toContainText('exit code 137');
    await expect(alert).toContainText('Restart the engine to go on');
    // What it had captured is kept where the next engine will not sweep it, and the window says where.
    const kept = /is kept in (\S+);/.exec((await alert.textContent()) ?? '')?.[1];
    expect(kept).toMatch(/socket-inspector-kept-/);
    try {
      const files = await readdir(kept!);
      const sizes = await Promise.all(files.map(async (f) => (await stat(path.join(kept!, f))).size));
      expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1_000_000);
      await alert.getByRole('button', { name: 'Restart engine' }).click();
      await expect(app.getByRole('alert')).toHaveCount(0);
      expect(desktop.standIn.utilityProcesses).toHaveLength(2);
      await expect(listenerRows(app)).toHaveCount(0);
      await startListenerFromUi(app);
      expect((await readdir(kept!)).length).toBe(files.length);
    } finally {
      await rm(kept!, { recursive: true, force: true });
    }
  } finally {
    await stopProcess(client.child);
  }
});

/** The menu item with this id (the app's items carry their action as id), anywhere in the template. */
function menuItem(template: unknown[] | null, id: string): { click: () => void; accelerator?: string } {
  const walk = (items: unknown[]): unknown => {
    for (const item of items as Array<{ id?: string; submenu?: unknown[] }>) {
      if (item.id === id) return item;
      const inner = item.submenu ? walk(item.submenu) : undefined;
      if (inner) return inner;
    }
    return undefined;
  };
  const found = walk(template ?? []) as { click: () => void; accelerator?: string } | undefined;
  if (!found) throw new Error(`no menu item ${id}`);
  return found;
}

test('the application menu drives the page: New listener opens its form, Switch between Text and Hex switches the view', async ({ desktop }) => {
  const app = desktop.page;
  const template = desktop.standIn.applicationMenu();
  const newListener = menuItem(template, 'new-listener');
  expect(newListener.accelerator).toBe('CmdOrCtrl+Shift+L');
  newListener.click();
  await expect(app.getByRole('dialog', { name: 'New listener' })).toBeVisible();
  const port = await startListenerFromUi(app);
  const client = runPython(`import socket, sys, time\ns = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\ns.sendall(b'AB')\ntime.sleep(30)`, [String(port)]);
  try {
    await expect(app.getByRole('log', { name: 'Traffic' }).getByRole('row').first()).toContainText('AB');
    menuItem(template, 'toggle-view').click();
    await expect(app.getByRole('radio', { name: 'Hex dump' })).toBeChecked();
    await expect(app.getByRole('log', { name: 'Traffic' }).getByRole('row').first()).toContainText('41 42');
    menuItem(template, 'show-help').click();
    await expect(app.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
  } finally {
    await stopProcess(client.child);
  }
});
