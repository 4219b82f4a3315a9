import type { EventEmitter } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { BrowserContext, Locator, Page } from '@playwright/test';
import { BRIDGE_KEY, Channels } from '../shared/channels';
import type { OpenFileRequest } from '../shared/contract';
import { connectionRows, expect, listenerRows, openNewForm, ROOT, rowAction, runPython, startListenerFromUi, stopProcess, test, tree } from './fixtures';
import type { StandIn } from './stand-in/electron';
import { launchDesktop, type DesktopApp } from './stand-in/launch';
import { BINDINGS } from './stand-in/renderer-shim';

const SIZES = [
  { width: 1400, height: 900 },
  { width: 1280, height: 720 },
  { width: 1024, height: 640 },
] as const;

/** Opens `n` plain TCP clients to a port, each writing its own line; closed by the caller. */
async function clients(port: number, n: number, tag: string): Promise<net.Socket[]> {
  const out: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write(`${tag} client ${i}\n`);
    out.push(s);
  }
  return out;
}

function filter_(page: Page): Locator {
  return page.getByRole('searchbox', { name: 'Filter connections' });
}

/** Fails on serious or critical accessibility violations (axe-core's own rules, WCAG 2.1 AA). */
async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`),
    `accessibility of ${what}`,
  ).toEqual([]);
}

/** The boxes of these elements do not overlap one another. */
async function expectNoOverlap(boxes: Locator[], what: string): Promise<void> {
  const rects = [];
  for (const b of boxes) {
    const r = await b.boundingBox();
    if (r && r.width > 0) rects.push(r);
  }
  for (let i = 0; i < rects.length; i++)
    for (let j = i + 1; j < rects.length; j++) {
      const a = rects[i]!;
      const b = rects[j]!;
      const overlap = a.x < b.x + b.width - 0.5 && b.x < a.x + a.width - 0.5 && a.y < b.y + b.height - 0.5 && b.y < a.y + a.height - 0.5;
      expect(overlap, `${what}: boxes ${i} and ${j} overlap (${JSON.stringify(a)} / ${JSON.stringify(b)})`).toBe(false);
    }
}

/** Python clients: `n` connections to a port, each writing "<tag> client <i>" and a newline; prints their local ports. */
function pythonClients(port: number, n: number, tag: string) {
  return runPython(
    `
import socket, sys, time
socks = []
for i in range(int(sys.argv[2])):
    s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
    s.sendall(b'%s client %d\\n' % (sys.argv[3].encode(), i))
    socks.append(s)
print(' '.join(str(s.getsockname()[1]) for s in socks), flush=True)
for s in socks:
    s.settimeout(0.05)
deadline = time.time() + 60
while time.time() < deadline:
    for s in socks:
        try:
            if s.fileno() >= 0 and s.recv(100) == b'':
                print('ended', s.getsockname()[1], flush=True)
                s.close()
        except socket.timeout:
            pass
        except OSError:
            pass
`,
    [String(port), String(n), tag],
  );
}

for (const size of SIZES) {
  test(`20 Python clients on two listeners: found by the filter and closed from the tree, at ${size.width}×${size.height}`, async ({ app }) => {
    await app.setViewportSize(size);
    const p1 = await startListenerFromUi(app);
    const p2 = await startListenerFromUi(app);
    const alpha = pythonClients(p1, 10, 'alpha');
    const beta = pythonClients(p2, 10, 'beta');
    const portsOf = (peer: ReturnType<typeof pythonClients>) =>
      new Promise<number[]>((resolve) => peer.child.stdout!.once('data', (d: Buffer) => resolve(String(d).trim().split(' ').map(Number))));
    const [, betaPorts] = await Promise.all([portsOf(alpha), portsOf(beta)]);
    let betaOut = '';
    beta.child.stdout!.on('data', (d: Buffer) => (betaOut += String(d)));
    // The tree is virtualized: the count is its summary's, the rows those on screen.
    const summary = app.getByRole('navigation', { name: 'Connections' }).getByText(/^\d+ connections/);
    await expect(summary).toHaveText('20 connections');
    await expect(listenerRows(app).first()).toContainText('10 clients');
    const filter = filter_(app);
    // Each row shows what the client opened with.
    await filter.fill('"beta client 7"');
    await expect(connectionRows(app)).toHaveCount(1);
    const wanted = betaPorts[7]!;
    await filter.fill(String(wanted));
    await expect(connectionRows(app)).toHaveCount(1);
    const row = connectionRows(app).first();
    await expect(row).toContainText(`127.0.0.1:${wanted}`);
    await expect(row).toContainText('beta client 7');
    // Only its listener stays listed above it.
    await expect(listenerRows(app)).toHaveCount(1);
    await expect(listenerRows(app)).toContainText(`:${p2}`);
    await rowAction(app, row, 'Close');
    await expect.poll(() => betaOut).toContain(`ended ${wanted}`);
    await expect(row).toContainText('closed');
    // By state, and by words of the first line.
    await filter.fill('closed');
    await expect(connectionRows(app)).toHaveCount(1);
    await filter.fill('"alpha client 3"');
    await expect(connectionRows(app)).toHaveCount(1);
    // A name the user gives is shown and found.
    await rowAction(app, connectionRows(app).first(), 'Rename…');
    await app.getByRole('textbox', { name: /^Name for / }).fill('the slow one');
    await app.keyboard.press('Enter');
    await filter.fill('slow');
    await expect(connectionRows(app)).toHaveCount(1);
    await expect(connectionRows(app).first()).toContainText('the slow one');
    await filter.fill('');
    await expect(summary).toHaveText('20 connections');
    // Stop and close clients from a listener's row: its ten go, the others stay.
    await rowAction(app, listenerRows(app).first(), 'Stop and close clients');
    await filter.fill('open');
    await expect(connectionRows(app)).toHaveCount(9);
    await expect(connectionRows(app).first()).toContainText('beta client');
    // Nothing scrolls sideways at this size.
    expect(await app.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  });
}

test('each connection keeps its view, draft, hex input, line ending and scroll position; a UDP socket keeps its destination', async ({ app }) => {
  const port = await startListenerFromUi(app);
  const sockets = await clients(port, 2, 'keep');
  try {
    await expect(connectionRows(app)).toHaveCount(2);
    const [a, b] = [connectionRows(app).nth(0), connectionRows(app).nth(1)];
    await a.click();
    const message = app.getByRole('textbox', { name: 'Message' });
    await app.getByRole('radio', { name: 'Hex dump' }).check();
    await app.getByLabel('Hex input').check();
    await app.getByLabel('Line ending').selectOption('crlf');
    await message.fill('48 65');
    await b.click();
    await expect(app.getByRole('radio', { name: 'Text' })).toBeChecked();
    await expect(message).toHaveValue('');
    await expect(app.getByLabel('Hex input')).not.toBeChecked();
    await message.fill('draft for b');
    await a.click();
    await expect(app.getByRole('radio', { name: 'Hex dump' })).toBeChecked();
    await expect(app.getByLabel('Hex input')).toBeChecked();
    await expect(app.getByLabel('Line ending')).toHaveValue('crlf');
    await expect(message).toHaveValue('48 65');
    // The keyboard switches too, and keeps what each had.
    await app.keyboard.press('Alt+ArrowDown');
    await expect(message).toHaveValue('draft for b');
    await app.keyboard.press('Control+Shift+H');
    await expect(app.getByRole('radio', { name: 'Hex dump' })).toBeChecked();
    await app.keyboard.press('Control+Shift+H');

    // Scrolled up on one connection, it stays there while another is looked at.
    for (let i = 0; i < 80; i++) {
      sockets[0]!.write(`line ${i}\n`);
      await new Promise((r) => setTimeout(r, 3));
    }
    await a.click();
    const log = app.getByRole('log', { name: 'Traffic' });
    await expect(log.getByRole('row').last()).toContainText('line 79');
    await log.evaluate((el) => (el.scrollTop = 0));
    await expect(app.getByRole('button', { name: 'Jump to latest' })).toBeVisible();
    await b.click();
    await a.click();
    await expect(app.getByRole('button', { name: 'Jump to latest' })).toBeVisible();
    expect(await log.evaluate((el) => el.scrollTop)).toBeLessThan(5);

    // A UDP socket on ::1 sends to ::1 unless told otherwise, and keeps what it was told.
    const udp = await openNewForm(app, 'New UDP socket');
    await udp.getByLabel('UDP bind address').fill('::1');
    await udp.getByRole('button', { name: 'Bind UDP socket' }).click();
    await expect(app.getByLabel('Destination host')).toHaveValue('::1');
    await app.getByLabel('Destination port').fill('7777');
    await b.click();
    await tree(app).getByRole('treeitem', { name: /UDP socket/ }).click();
    await expect(app.getByLabel('Destination host')).toHaveValue('::1');
    await expect(app.getByLabel('Destination port')).toHaveValue('7777');
  } finally {
    for (const s of sockets) s.destroy();
  }
});

test('keyboard only: start a listener, see a client write, reply to it', async ({ app }) => {
  await app.keyboard.press('Control+Shift+L');
  const form = app.getByRole('dialog', { name: 'New listener' });
  await expect(form).toBeVisible();
  await expect(form.getByLabel('Listen on')).toBeFocused();
  await app.keyboard.press('Tab');
  await expect(form.getByLabel('Listen address')).toBeFocused();
  await app.keyboard.press('Tab');
  await expect(form.getByLabel('Listen port')).toBeFocused();
  await app.keyboard.press('Enter');
  // The form closes and focus moves to the new listener's row.
  await expect(form).toBeHidden();
  const listener = listenerRows(app).first();
  await expect(listener).toBeFocused();
  const port = Number(/:(\d+)/.exec(await listener.innerText())![1]);
  const client = runPython(
    `
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.settimeout(20)
s.sendall(b'hello from the client\\n')
print(s.recv(100).decode(), flush=True)
`,
    [String(port)],
  );
  try {
    await expect(app.getByRole('log', { name: 'Traffic' }).getByRole('row').first()).toContainText('hello from the client');
    await app.keyboard.press('Control+E');
    await expect(app.getByRole('textbox', { name: 'Message' })).toBeFocused();
    await app.keyboard.type('hi back');
    await app.keyboard.press('Enter');
    expect((await client.done).stdout).toContain('hi back');
    // The traffic table is one tab stop; arrow keys move between its rows.
    const log = app.getByRole('log', { name: 'Traffic' });
    await log.focus();
    await app.keyboard.press('ArrowDown');
    await expect(log.getByRole('row').first()).toBeFocused();
    await app.keyboard.press('ArrowDown');
    await expect(log.getByRole('row').nth(1)).toBeFocused();
    await app.keyboard.press('Enter');
    await expect(log.getByRole('row').nth(1).getByRole('button', { name: /^Collapse chunk/ })).toBeVisible();
    // The tree: arrows move, Enter selects.
    await listener.focus();
    await app.keyboard.press('ArrowDown');
    await expect(connectionRows(app).first()).toBeFocused();
    await app.keyboard.press('ArrowUp');
    await app.keyboard.press('Enter');
    await expect(app.getByRole('main', { name: 'Selected TCP listener' })).toBeVisible();
    // Escape closes what is open.
    await app.keyboard.press('F1');
    await expect(app.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
    await app.keyboard.press('Escape');
    await expect(app.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeHidden();
    await app.keyboard.press('Control+Shift+P');
    await expect(app.getByRole('dialog', { name: 'Ports' })).toBeVisible();
    await app.keyboard.press('Escape');
    await expect(app.getByRole('dialog', { name: 'Ports' })).toBeHidden();
  } finally {
    await stopProcess(client.child);
  }
});

test('the hex dump fits each width without overlap, and nothing scrolls sideways', async ({ app }) => {
  const port = await startListenerFromUi(app);
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  try {
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write(Buffer.from(Array.from({ length: 200 }, (_, i) => i)));
    const log = app.getByRole('log', { name: 'Traffic' });
    await expect(log.getByRole('row').first()).toContainText('200 B');
    await app.getByRole('radio', { name: 'Hex dump' }).check();
    const expectedPerLine: Record<number, number[]> = { 1400: [16], 1280: [16, 8], 1024: [8, 4] };
    for (const size of SIZES) {
      await app.setViewportSize(size);
      const row = log.getByRole('row').first();
      await expect(row.locator('.hex-line').first()).toBeVisible();
      // Bytes per line: what the width holds (once the resize has been measured and drawn), and the
      // offsets count on by the bytes of a line, so the dump reads as one. Both are read from one
      // drawing of the row: read one at a time, a redraw between them (the pane settling after the
      // resize) could pair one drawing's bytes with the next one's offsets.
      const drawing = () => row.evaluate((el) => ({
        perLine: (el.querySelector('.hex-bytes')?.textContent ?? '').trim().split(/\s+/).length,
        secondOffset: parseInt(el.querySelectorAll('.hex-offset')[1]?.textContent ?? '', 16),
      }));
      await expect.poll(async () => {
        const d = await drawing();
        return expectedPerLine[size.width]!.includes(d.perLine) && d.secondOffset === d.perLine;
      }, { message: `${size.width}px: bytes per line, and offsets that count on by them` }).toBe(true);
      const line = row.locator('.hex-line').first();
      const parts = [line.locator('.hex-offset'), line.locator('.hex-bytes'), line.locator('.hex-ascii'), row.locator('.more'), row.getByRole('button', { name: /^Expand chunk/ })];
      await expectNoOverlap(parts, `hex row at ${size.width}×${size.height}`);
      // Everything stays inside the traffic area.
      const area = (await log.boundingBox())!;
      for (const p of parts) {
        const r = await p.boundingBox();
        if (r) expect(r.x + r.width, `${size.width}px: right edge inside the traffic area`).toBeLessThanOrEqual(area.x + area.width + 0.5);
      }
      expect(await app.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      expect(await log.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    }
  } finally {
    s.destroy();
  }
});

test('panes resize, collapse and keep their size; the theme follows the system or the choice in Settings', async ({ app }) => {
  const nav = app.getByRole('navigation', { name: 'Connections' });
  const before = (await nav.boundingBox())!.width;
  const separator = app.getByRole('separator', { name: 'Resize the connections pane' });
  await separator.focus();
  for (let i = 0; i < 5; i++) await app.keyboard.press('ArrowRight');
  await expect.poll(async () => (await nav.boundingBox())!.width).toBeGreaterThan(before + 20);
  const wider = (await nav.boundingBox())!.width;
  await app.reload();
  await expect.poll(async () => Math.abs((await nav.boundingBox())!.width - wider)).toBeLessThan(4);
  // Ctrl+B hides the pane and shows it again.
  await app.locator('body').click({ position: { x: 5, y: 600 } });
  await app.keyboard.press('Control+B');
  await expect.poll(async () => (await nav.boundingBox())?.width ?? 0).toBeLessThan(2);
  await app.keyboard.press('Control+B');
  await expect.poll(async () => (await nav.boundingBox())?.width ?? 0).toBeGreaterThan(100);

  // Themes: as the system says, unless chosen.
  await app.emulateMedia({ colorScheme: 'dark' });
  const bg = () => app.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--bg').trim());
  expect(await bg()).toBe('#0f1419');
  await app.emulateMedia({ colorScheme: 'light' });
  expect(await bg()).toBe('#f6f8fa');
  await app.getByRole('button', { name: 'Settings' }).click();
  await app.getByLabel('Theme').selectOption('dark');
  expect(await bg()).toBe('#0f1419');
  await app.reload();
  expect(await bg()).toBe('#0f1419');
  await expect(app.locator('html')).toHaveAttribute('data-theme', 'dark');
});

test('accessibility: no serious or critical axe violations on the main screens, in both themes', async ({ app }) => {
  for (const scheme of ['dark', 'light'] as const) {
    await app.emulateMedia({ colorScheme: scheme });
    await expectAccessible(app, `the empty window (${scheme})`);
  }
  for (const name of ['New listener', 'New connection', 'New UDP socket', 'New relay'] as const) {
    await openNewForm(app, name);
    await expectAccessible(app, `the ${name} form`);
  }
  await app.keyboard.press('Escape');
  const port = await startListenerFromUi(app);
  const sockets = await clients(port, 3, 'axe');
  try {
    await expect(connectionRows(app)).toHaveCount(3);
    await listenerRows(app).first().click();
    await expectAccessible(app, 'a listener with clients');
    await connectionRows(app).first().click();
    for (const scheme of ['dark', 'light'] as const) {
      await app.emulateMedia({ colorScheme: scheme });
      await app.getByRole('radio', { name: 'Text' }).check();
      await expectAccessible(app, `traffic as text (${scheme})`);
      await app.getByRole('radio', { name: 'Hex dump' }).check();
      await expectAccessible(app, `traffic as a hex dump (${scheme})`);
    }
    // An error.
    const form = await openNewForm(app, 'New connection');
    await form.getByLabel('Remote port').fill('99999');
    await form.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect(form.getByRole('alert')).toBeVisible();
    await expectAccessible(app, 'an error');
    await app.keyboard.press('Escape');
    await app.getByRole('button', { name: 'Ports' }).click();
    await expect(app.getByRole('dialog', { name: 'Ports' })).toBeVisible();
    await expectAccessible(app, 'the Ports view');
    await app.keyboard.press('Escape');
    await app.getByRole('button', { name: 'Help' }).click();
    await expectAccessible(app, 'the Help view');
    await app.keyboard.press('Escape');
    await app.getByRole('button', { name: 'Settings' }).click();
    await expectAccessible(app, 'Settings');
    await expect(tree(app)).toBeVisible();
  } finally {
    for (const s of sockets) s.destroy();
  }
});

test('New forms open one at a time, keep what was typed, and offer recent targets', async ({ app }) => {
  const listen = await openNewForm(app, 'New listener');
  await listen.getByLabel('Listen port').fill('1234');
  const connect = await openNewForm(app, 'New connection');
  // One form at a time.
  await expect(listen).toBeHidden();
  await connect.getByLabel('Remote host').fill('127.0.0.1');
  await connect.getByLabel('Remote port').fill('9');
  await connect.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(connect.getByRole('alert')).toContainText('nothing is listening');
  await connect.getByRole('button', { name: 'Close form' }).click();
  await expect(connect).toBeHidden();
  // Reopened, each form has what it had.
  await expect((await openNewForm(app, 'New listener')).getByLabel('Listen port')).toHaveValue('1234');
  const again = await openNewForm(app, 'New connection');
  await again.getByLabel('Remote port').fill('80');
  await again.getByLabel('Recent targets').selectOption({ label: '127.0.0.1:9' });
  await expect(again.getByLabel('Remote port')).toHaveValue('9');
});

// --- The desktop window's files: the desktop app's own main process, preload and page under the
// stand-in Electron (e2e/stand-in), as in desktop.spec.ts.

/** Starts the desktop app, with `argv` as its command line when given (its main process reads process.argv as it loads). */
async function launchWithArgv(context: BrowserContext, argv: string[] | undefined): Promise<DesktopApp> {
  const saved = process.argv;
  if (argv) process.argv = argv;
  try {
    return await launchDesktop(context, ROOT);
  } finally {
    process.argv = saved;
  }
}

const desktopTest = test.extend<{ desktopArgv: string[] | undefined; desktop: DesktopApp }>({
  desktopArgv: [undefined, { option: true }],
  desktop: async ({ context, desktopArgv }, use) => {
    const app = await launchWithArgv(context, desktopArgv);
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

interface MenuItem {
  id?: string;
  label?: string;
  enabled?: boolean;
  click?: () => void;
  submenu?: MenuItem[];
}

/** The item with this id anywhere in the application menu. */
function desktopMenuItem(standIn: StandIn, id: string): MenuItem {
  const walk = (items: MenuItem[]): MenuItem | undefined => {
    for (const item of items) {
      if (item.id === id) return item;
      const inner = item.submenu ? walk(item.submenu) : undefined;
      if (inner) return inner;
    }
    return undefined;
  };
  const found = walk((standIn.applicationMenu() ?? []) as MenuItem[]);
  if (!found) throw new Error(`no menu item ${id}`);
  return found;
}

/** The files Open Recent lists, as their labels say. */
function recentLabels(standIn: StandIn): string[] {
  return (desktopMenuItem(standIn, 'open-recent').submenu ?? []).filter((i) => i.id?.startsWith('recent-') && i.id !== 'recent-none').map((i) => i.label ?? '');
}

/** Calls a method of the page's InspectorApi with plain arguments. */
function callApi(page: Page, method: string, ...args: unknown[]): Promise<unknown> {
  return page.evaluate(
    async ([key, name, values]) => {
      const api = (window as unknown as Record<string, Record<string, (...a: unknown[]) => unknown>>)[key]!;
      try {
        return { value: await api[name]!(...values) };
      } catch (err) {
        return { error: (err as Error).message };
      }
    },
    [BRIDGE_KEY, method, args] as const,
  );
}

/** Sends a message on an IPC channel straight from the page, past the preload's own checks (as a compromised page could). */
function sendRaw(page: Page, channel: string, ...args: unknown[]): Promise<void> {
  return page.evaluate(([binding, c, a]) => (window as unknown as Record<string, (c: string, a: unknown[]) => void>)[binding]!(c, a), [BINDINGS.send, channel, args] as const);
}

/** Invokes an IPC channel straight from the page, past the preload's own checks. */
function invokeRaw(page: Page, channel: string, ...args: unknown[]): Promise<unknown> {
  return page.evaluate(([binding, c, a]) => (window as unknown as Record<string, (c: string, a: unknown[]) => Promise<unknown>>)[binding]!(c, a), [BINDINGS.invoke, channel, args] as const);
}

/** Collects what the app asks the page to open from now on, in window.__opened. */
async function collectOpenRequests(page: Page): Promise<() => Promise<OpenFileRequest[]>> {
  await page.evaluate((key) => {
    const w = window as unknown as Record<string, unknown> & { __opened: unknown[] };
    w.__opened = [];
    (w[key] as { onOpenFile(l: (r: unknown) => void): () => void }).onOpenFile((r) => w.__opened.push(r));
  }, BRIDGE_KEY);
  return () => page.evaluate(() => (window as unknown as { __opened: OpenFileRequest[] }).__opened);
}

/** The stand-in's webContents of the app's window, with the events Electron would emit on it. */
function windowContents(standIn: StandIn): EventEmitter & { ipcEvent(): { sender: unknown; senderFrame: Record<string, unknown> } } {
  const [win] = (standIn.electron.BrowserWindow as { getAllWindows(): Array<{ webContents: never }> }).getAllWindows();
  if (!win) throw new Error('no window');
  return win.webContents;
}

desktopTest('desktop: Open Recent lists what the page opened, most recent first and ten at most, kept privately; choosing one asks the page to open it; Clear empties it', async ({ desktop }) => {
  const { page, standIn } = desktop;
  const file = path.join((standIn.electron.app as { getPath(n: string): string }).getPath('userData'), 'recent-files.json');
  expect(recentLabels(standIn)).toEqual([]);
  expect(desktopMenuItem(standIn, 'recent-none')).toMatchObject({ label: 'No recently opened files', enabled: false });
  expect(desktopMenuItem(standIn, 'clear-recent').enabled).toBe(false);

  await callApi(page, 'noteRecentFile', { kind: 'capture', path: '/captures/a.pcapng' });
  await callApi(page, 'noteRecentFile', { kind: 'workspace', path: '/work/R&D.json' });
  await callApi(page, 'noteRecentFile', { kind: 'capture', path: '/captures/a.pcapng' });
  await expect.poll(() => recentLabels(standIn)).toEqual(['/captures/a.pcapng', '/work/R&&D.json']);
  expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
    files: [
      { kind: 'capture', path: '/captures/a.pcapng' },
      { kind: 'workspace', path: '/work/R&D.json' },
    ],
  });
  if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
  // The system's recent list is macOS's and Windows's only.
  if (process.platform !== 'darwin' && process.platform !== 'win32') expect(standIn.recentDocuments).toEqual([]);

  // Messages that do not check out, sent past the preload: refused (the good one after them shows they were all handled).
  for (const junk of [
    { kind: 'capture', path: 'relative.pcapng' },
    { kind: 'capture', path: '/captures/a\0b.pcapng' },
    { kind: 'settings', path: '/captures/x.pcapng' },
    { kind: 'capture', path: `/${'x'.repeat(5000)}` },
    '/captures/x.pcapng',
    null,
    [{ kind: 'capture', path: '/captures/x.pcapng' }],
  ]) {
    await sendRaw(page, Channels.app.recentFileOpened, junk);
  }
  await sendRaw(page, Channels.app.recentFileOpened, { kind: 'capture', path: '/captures/b.pcap' });
  await expect.poll(() => recentLabels(standIn)).toEqual(['/captures/b.pcap', '/captures/a.pcapng', '/work/R&&D.json']);

  for (let i = 0; i < 11; i++) await callApi(page, 'noteRecentFile', { kind: 'capture', path: `/captures/f${i}.pcapng` });
  const ten = Array.from({ length: 10 }, (_, i) => `/captures/f${10 - i}.pcapng`);
  await expect.poll(() => recentLabels(standIn)).toEqual(ten);
  expect(JSON.parse(await readFile(file, 'utf8')).files).toHaveLength(10);

  // Choosing one: the page is asked to open it.
  const opened = await collectOpenRequests(page);
  desktopMenuItem(standIn, 'recent-2').click!();
  await expect.poll(opened).toEqual([{ kind: 'capture', path: '/captures/f8.pcapng' }]);

  desktopMenuItem(standIn, 'clear-recent').click!();
  expect(recentLabels(standIn)).toEqual([]);
  expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ files: [] });
});

desktopTest('desktop: Export asks where to save with the system dialog, offering the suggested name’s type; Cancel gives null; a name with a folder, or a request from anyone but our page, is refused', async ({ desktop }) => {
  const { page, standIn } = desktop;
  const all = { name: 'All files', extensions: ['*'] };
  standIn.saveDialogAnswers.push({ canceled: false, filePath: '/home/me/exports/c1.pcapng' });
  expect(await callApi(page, 'chooseSavePath', 'socket-inspector-c1.pcapng')).toEqual({ value: '/home/me/exports/c1.pcapng' });
  expect(standIn.saveDialogs).toEqual([
    {
      parent: true,
      options: { defaultPath: 'socket-inspector-c1.pcapng', filters: [{ name: 'pcapng capture', extensions: ['pcapng'] }, all], properties: ['createDirectory', 'showOverwriteConfirmation'] },
    },
  ]);
  // The next one starts in the folder saved to last; cancelling gives null.
  expect(await callApi(page, 'chooseSavePath', 'socket-inspector-all-connections.tar')).toEqual({ value: null });
  expect(standIn.saveDialogs[1]?.options).toMatchObject({ defaultPath: path.join('/home/me/exports', 'socket-inspector-all-connections.tar'), filters: [{ name: 'tar archive', extensions: ['tar'] }, all] });

  // A name that points at a folder is refused with the reason, and no dialog is shown.
  expect(await callApi(page, 'chooseSavePath', '../../.bashrc')).toEqual({ error: expect.stringContaining('must be a file name without a folder') });
  for (const junk of [42, null, '', '/etc/passwd', 'a\0b.txt', 'x'.repeat(300)]) {
    expect(await invokeRaw(page, Channels.app.chooseSavePath, junk), String(junk)).toMatchObject({ ok: false, code: 'INVALID_INPUT' });
  }
  expect(standIn.saveDialogs).toHaveLength(2);

  // Only our window's page, showing our page, may ask; nor may it note a recent file.
  const handler = standIn.ipcHandler(Channels.app.chooseSavePath)!;
  const ours = windowContents(standIn).ipcEvent();
  const strangers = [
    { ...ours, senderFrame: { ...ours.senderFrame, url: 'file:///tmp/evil.html' } },
    { ...ours, senderFrame: { ...ours.senderFrame, parent: ours.senderFrame, frameTreeNodeId: 2 } },
    { ...ours, sender: { id: 999 } },
    { ...ours, senderFrame: null },
  ];
  for (const event of strangers) {
    expect(await handler(event, 'x.txt')).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    (standIn.electron.ipcMain as EventEmitter).emit(Channels.app.recentFileOpened, event, { kind: 'capture', path: '/captures/stranger.pcapng' });
  }
  expect(standIn.saveDialogs).toHaveLength(2);
  expect(recentLabels(standIn)).toEqual([]);
  // Our page's own event passes the same check.
  expect(await handler(ours, 'x.txt')).toEqual({ ok: true, value: null });
});

desktopTest.describe('desktop: files the app is asked to open', () => {
  const cwd = process.cwd();
  desktopTest.use({ desktopArgv: [process.execPath, 'start.pcapng', '--some-switch', 'notes.txt', '/work/w.json', 'start.pcapng'] });

  desktopTest('files on the command line, on a second launch and from macOS’s Finder go to the page once it has loaded', async ({ desktop }) => {
    const { page, standIn } = desktop;
    const openFileSends = () => standIn.sentToPages.filter((m) => m.channel === Channels.app.openFile).map((m) => m.args[0]);
    // The command line's captures and workspaces, each once, sent once the page had loaded.
    const startup = [
      { kind: 'capture', path: path.join(cwd, 'start.pcapng') },
      { kind: 'workspace', path: '/work/w.json' },
    ];
    await expect.poll(openFileSends).toEqual(startup);
    // (The preload holds those for whoever listens first: the page's own listeners, or this one if
    // it came first; either way they are not what is checked below.)
    const collected = await collectOpenRequests(page);
    const opened = async () => (await collected()).filter((r) => !startup.some((s) => s.path === r.path));
    const app = standIn.electron.app as EventEmitter;
    // A second launch with files: they go to this window (the second launch leaves).
    app.emit('second-instance', {}, ['/opt/socket-inspector', '--flag', 'again.pcap', 'readme.md'], '/home/me/dumps', {});
    await expect.poll(opened).toEqual([{ kind: 'capture', path: '/home/me/dumps/again.pcap' }]);
    // macOS's Finder: open-file, taken (preventDefault) and handed on when it is a capture or a workspace.
    const prevented: string[] = [];
    for (const file of ['/Users/me/finder.pcapng', '/Users/me/notes.txt']) app.emit('open-file', { preventDefault: () => prevented.push(file) }, file);
    await expect.poll(opened).toEqual([
      { kind: 'capture', path: '/home/me/dumps/again.pcap' },
      { kind: 'capture', path: '/Users/me/finder.pcapng' },
    ]);
    expect(prevented).toEqual(['/Users/me/finder.pcapng', '/Users/me/notes.txt']);
  });
});

desktopTest('desktop: a file dropped on the window never replaces the page: navigating to it is denied and nothing opens outside', async ({ desktop }) => {
  const { page, standIn } = desktop;
  const contents = windowContents(standIn);
  const navigate = (url: string) => {
    let prevented = false;
    contents.emit('will-navigate', { url, preventDefault: () => (prevented = true) });
    return prevented;
  };
  // What Chromium does with a file dropped where the page does not take it: navigate to it.
  for (const url of ['file:///tmp/dropped.pcapng', 'file:///home/me/notes.txt', 'file:///etc/passwd', 'data:text/html,hi', 'javascript:alert(1)']) {
    expect(navigate(url), url).toBe(true);
  }
  expect(standIn.openedExternally).toEqual([]);
  // A web link goes to the browser, not into the window.
  expect(navigate('https://example.com/')).toBe(true);
  expect(standIn.openedExternally).toEqual(['https://example.com/']);
  // The page is still ours.
  await expect(page.getByRole('toolbar', { name: 'New' })).toBeVisible();
});
