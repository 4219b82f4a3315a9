import net from 'node:net';
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { connectionRows, expect, listenerRows, openNewForm, rowAction, runPython, startListenerFromUi, stopProcess, test, tree } from './fixtures';

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
      // Bytes per line: what the width holds (once the resize has been measured and drawn).
      const perLine = async () => (await row.locator('.hex-bytes').first().innerText()).trim().split(/\s+/).length;
      await expect.poll(async () => expectedPerLine[size.width]!.includes(await perLine()), { message: `${size.width}px: bytes per line` }).toBe(true);
      const first = await perLine();
      // Offsets count on by the bytes of a line, so the dump reads as one.
      const offsets = await row.locator('.hex-offset').allInnerTexts();
      expect(parseInt(offsets[1]!, 16)).toBe(first);
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
