// Workspaces in a real browser against the real browser host: save what was set up, stop
// everything, open the file again through the file chooser, confirm, and find it working; a
// Program auto-reply runs only where its box was ticked; the last workspace is offered again at
// start and starts nothing by itself.
import AxeBuilder from '@axe-core/playwright';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import {
  expect,
  freePort,
  listenerRows,
  openNewForm,
  rowAction,
  runPython,
  setCaptureBudget,
  startListenerFromUi,
  startWebHostProcess,
  stopProcess,
  test,
  tree,
  type WebHostProcess,
} from './fixtures';

/**
 * A Python client: connects, sends a line, and prints the first line it gets back, or what it
 * has when nothing more comes within `waitS` seconds (b'' when nothing came at all).
 */
function lineClient(port: number, send: string, waitS = 10) {
  return runPython(
    `
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.settimeout(float(sys.argv[3]))
s.sendall(sys.argv[2].encode() + b'\\n')
buf = b''
try:
    while not buf.endswith(b'\\n'):
        d = s.recv(100)
        if not d: break
        buf += d
except socket.timeout:
    pass
print(repr(buf), flush=True)
`,
    [String(port), send, String(waitS)],
  );
}

/** No serious or critical axe violations (WCAG 2.1 AA), light and dark. */
async function checkAccessibility(page: Page, what: string): Promise<void> {
  for (const scheme of ['dark', 'light'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), `${what} (${scheme})`).toEqual([]);
  }
}

/** Opens the app at a host's URL and waits for it. */
async function openApp(page: Page, host: WebHostProcess): Promise<void> {
  await page.goto(host.url);
  await expect(page.getByRole('toolbar', { name: 'New' })).toBeVisible();
}

/** Opens a workspace file through Settings → Open workspace… and the file chooser; returns the confirmation. */
async function chooseWorkspaceFile(page: Page, file: string) {
  await page.getByRole('button', { name: 'Settings' }).click();
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('dialog', { name: 'Settings' }).getByRole('button', { name: 'Open workspace…' }).click();
  await (await chooser).setFiles(file);
  const dialog = page.getByRole('dialog', { name: 'Open workspace' });
  await expect(dialog).toBeVisible();
  return dialog;
}

test('save a workspace, stop everything, open it again: the dialog lists it, Start brings it back, and the auto-reply answers', async ({ page }) => {
  test.setTimeout(90_000);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'si-e2e-workspace-'));
  let host: WebHostProcess | undefined;
  try {
    host = await startWebHostProcess(dataDir);
    await openApp(page, host);

    // A TCP listener with a rules auto-reply.
    const port = await startListenerFromUi(page);
    await rowAction(page, listenerRows(page).first(), 'Auto-reply…');
    const form = page.getByRole('main', { name: 'Selected TCP listener' }).getByRole('form', { name: /^Auto-reply for listener/ });
    await form.getByLabel('Auto-reply').selectOption({ label: 'Rules' });
    await form.getByLabel('Match for rule 1').selectOption('startsWith');
    await form.getByLabel('Pattern for rule 1').fill('PING');
    await form.getByLabel('Reply for rule 1').fill('PONG\\n');
    await form.getByRole('button', { name: 'Apply' }).click();
    await expect(page.getByRole('button', { name: 'Auto-reply: 1 rule' })).toBeVisible();

    // A client; its listener gets CRLF framing, and the client is read as Lines.
    const first = lineClient(port, 'PING 1');
    expect((await first.done).stdout.trim()).toBe("b'PONG\\n'");
    await tree(page).getByRole('treeitem', { level: 2 }).first().click();
    await page.getByRole('radiogroup', { name: 'View' }).getByRole('radio', { name: 'Frames' }).check();
    await page.getByRole('button', { name: /^Framing:/ }).click();
    const framing = page.getByRole('form', { name: 'Framing' });
    await framing.getByRole('combobox', { name: 'Delimiter', exact: true }).selectOption('crlf');
    await framing.getByLabel('Use for all clients of this listener').check();
    await framing.getByRole('button', { name: 'Apply framing' }).click();
    await expect(page.getByRole('button', { name: /^Framing: CRLF-delimited \(listener’s\)/ })).toBeVisible();
    await page.getByRole('radiogroup', { name: 'View' }).getByRole('radio', { name: 'Lines' }).check();

    // A relay (its target becomes a recent target), a UDP socket, and a capture budget.
    const targetPort = await freePort();
    const relayForm = await openNewForm(page, 'New relay');
    await relayForm.getByLabel('Target host').fill('127.0.0.1');
    await relayForm.getByLabel('Target port').fill(String(targetPort));
    await relayForm.getByRole('button', { name: 'Start relay' }).click();
    const relayRow = listenerRows(page).filter({ hasText: 'relay to' });
    await expect(relayRow).toContainText(`relay to 127.0.0.1:${targetPort}`);
    const relayPort = Number(/127\.0\.0\.1:(\d+)/.exec(await relayRow.innerText())![1]);
    const udpForm = await openNewForm(page, 'New UDP socket');
    await udpForm.getByLabel('UDP bind address').fill('127.0.0.1');
    await udpForm.getByLabel('UDP bind port').fill('0');
    await udpForm.getByRole('button', { name: 'Bind UDP socket' }).click();
    const udpRow = tree(page).getByRole('treeitem', { name: /UDP socket/ }).first();
    await expect(udpRow).toContainText('UDP');
    const udpPort = Number(/127\.0\.0\.1:(\d+)/.exec(await udpRow.innerText())![1]);
    await setCaptureBudget(page, 32, '32.0 MiB');

    // Save workspace… (Ctrl+Shift+S): a name, then the file, caught as a download.
    await page.keyboard.press('Control+Shift+S');
    const save = page.getByRole('dialog', { name: 'Save workspace' });
    await expect(save.getByRole('list', { name: 'What it keeps' }).getByRole('listitem')).toHaveCount(3);
    await save.getByLabel('Workspace name').fill('lab');
    await checkAccessibility(page, 'Save workspace');
    const downloading = page.waitForEvent('download');
    await save.getByRole('button', { name: 'Save' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('lab.json');
    const file = path.join(dataDir, 'lab.json');
    await download.saveAs(file);
    await expect(page.getByRole('region', { name: 'Workspace' }).getByRole('status')).toContainText('Saved workspace lab as lab.json: 1 listener, 1 relay, 1 UDP socket.');
    const written = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    expect(written).toMatchObject({
      format: 'socket-inspector-workspace',
      version: 1,
      name: 'lab',
      listeners: [
        {
          kind: 'tcp',
          host: '127.0.0.1',
          port,
          responder: { kind: 'rules', rules: [{ match: 'startsWith', pattern: 'PING', reply: 'PONG\\n' }] },
          framing: { kind: 'delimiter', delimiterHex: '0d0a' },
          view: { mode: 'lines', display: 'text' },
        },
      ],
      relays: [{ host: '127.0.0.1', port: relayPort, targetHost: '127.0.0.1', targetPort }],
      udp: [{ host: '127.0.0.1', port: udpPort, broadcast: false }],
      recentTargets: [{ host: '127.0.0.1', port: targetPort }],
      settings: { captureBudgetMiB: 32 },
    });

    // Stop everything: the host goes, and a new one starts with the same data folder.
    await stopProcess(host.child);
    host = await startWebHostProcess(dataDir);
    await openApp(page, host);

    // The last workspace is offered, and nothing starts by itself, before or after a reload.
    const banner = page.getByRole('region', { name: 'Workspace' });
    await expect(banner).toContainText('Reopen workspace lab?');
    await page.reload();
    await expect(banner).toContainText('Reopen workspace lab?');
    await page.waitForTimeout(500);
    await expect(listenerRows(page)).toHaveCount(0);
    await expect(tree(page).getByRole('treeitem', { name: /UDP socket/ })).toHaveCount(0);
    await checkAccessibility(page, 'Reopen offer');
    await banner.getByRole('button', { name: 'Not now' }).click();
    await expect(banner).toHaveCount(0);

    // Open workspace…: the confirmation lists what it starts; nothing runs before Start.
    const dialog = await chooseWorkspaceFile(page, file);
    const items = dialog.getByRole('list', { name: 'What it starts' }).getByRole('listitem');
    await expect(items).toHaveCount(3);
    await expect(items.nth(0)).toContainText(`TCP listener 127.0.0.1:${port}`);
    await expect(items.nth(0)).toContainText('Auto-reply: 1 rule');
    await expect(items.nth(0)).toContainText('framing: CRLF-delimited');
    await expect(items.nth(0)).toContainText('opens in Lines, text');
    await expect(items.nth(1)).toContainText(`Relay 127.0.0.1:${relayPort} → 127.0.0.1:${targetPort}`);
    await expect(items.nth(2)).toContainText(`UDP socket 127.0.0.1:${udpPort}`);
    await expect(dialog.getByRole('checkbox')).toHaveCount(0);
    await expect(dialog.getByRole('list', { name: 'Settings it applies' })).toContainText('Capture budget 32 MiB');
    await expect(listenerRows(page)).toHaveCount(0);

    await dialog.getByRole('button', { name: 'Start' }).click();
    await expect(dialog.getByRole('status')).toHaveText('Everything started.');
    await expect(dialog.getByRole('list', { name: 'What happened' })).toContainText(`TCP listener on 127.0.0.1:${port} started, auto-reply 1 rule per line.`);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(listenerRows(page)).toHaveCount(2);
    await expect(tree(page).getByRole('treeitem', { name: /UDP socket/ })).toContainText(`127.0.0.1:${udpPort}`);

    // The listener works: a Python client gets the auto-reply, and is read as Lines with the listener's framing.
    const again = lineClient(port, 'PING 2');
    expect((await again.done).stdout.trim()).toBe("b'PONG\\n'");
    await expect(page.getByRole('radiogroup', { name: 'View' }).getByRole('radio', { name: 'Lines' })).toBeChecked();
    await page.getByRole('radiogroup', { name: 'View' }).getByRole('radio', { name: 'Frames' }).check();
    await expect(page.getByRole('button', { name: /^Framing: CRLF-delimited \(listener’s\)/ })).toBeVisible();

    // The relay target is a recent target again (the New forms read their Recent list when the
    // page loads), and the capture budget is back.
    await page.reload();
    await expect(page.getByRole('region', { name: 'Workspace' })).toContainText('Reopen workspace lab?');
    const relayAgain = await openNewForm(page, 'New relay');
    await expect(relayAgain.getByLabel('Recent targets').getByRole('option', { name: `127.0.0.1:${targetPort}` })).toHaveCount(1);
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Settings' }).click();
    await expect(page.getByLabel('Capture budget (MiB)')).toHaveValue('32');
  } finally {
    await stopProcess(host?.child);
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('a Program auto-reply runs only where its box is ticked; a port in use is named while the rest start', async ({ app }) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'si-e2e-program-'));
  const busy = runPython(
    `
import socket, time
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(60)
`,
  );
  try {
    const busyPort = await new Promise<number>((resolve) => busy.child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    const [denied, allowed] = [await freePort(), await freePort()];
    const program = (marker: string) => ({
      kind: 'program',
      command: 'python3',
      args: ['-u', '-c', "import sys\nopen(sys.argv[1], 'w').close()\nprint('prog-out', flush=True)\nfor line in sys.stdin: pass", marker],
    });
    const markers = [path.join(dir, 'denied-ran'), path.join(dir, 'allowed-ran')];
    const file = path.join(dir, 'programs.json');
    await writeFile(
      file,
      JSON.stringify({
        format: 'socket-inspector-workspace',
        version: 1,
        name: 'programs',
        savedAt: new Date().toISOString(),
        listeners: [
          { kind: 'tcp', host: '127.0.0.1', port: denied, responder: program(markers[0]!) },
          { kind: 'tcp', host: '127.0.0.1', port: allowed, responder: program(markers[1]!) },
          { kind: 'tcp', host: '127.0.0.1', port: busyPort, responder: { kind: 'echo' } },
        ],
      }),
    );

    const dialog = await chooseWorkspaceFile(app, file);
    const items = dialog.getByRole('list', { name: 'What it starts' }).getByRole('listitem');
    await expect(items).toHaveCount(3);
    for (const [i, marker] of markers.entries()) {
      await expect(items.nth(i)).toContainText(`Auto-reply runs a program: python3 -u -c`);
      await expect(items.nth(i)).toContainText(marker);
      await expect(items.nth(i).getByRole('checkbox', { name: 'Allow this program to run', exact: true })).not.toBeChecked();
    }
    await expect(items.nth(2)).toContainText('Auto-reply: echo');
    await items.nth(1).getByRole('checkbox', { name: 'Allow this program to run', exact: true }).check();
    await expect(items.nth(0)).toContainText('Not allowed: this listener starts with auto-reply off.');
    await checkAccessibility(app, 'Open workspace confirmation');
    await dialog.getByRole('button', { name: 'Start' }).click();

    await expect(dialog.getByRole('status')).toHaveText('2 of 3 done; 1 did not work (below).');
    const results = dialog.getByRole('list', { name: 'What happened' });
    await expect(results).toContainText(`TCP listener on 127.0.0.1:${denied} started with auto-reply off: its program (python3 -u -c`);
    await expect(results).toContainText(`TCP listener on 127.0.0.1:${allowed} started, auto-reply program: python3 -u -c`);
    await expect(dialog.getByRole('alert')).toContainText(`TCP listener on 127.0.0.1:${busyPort} did not start: Port ${busyPort} is already in use`);
    await checkAccessibility(app, 'Open workspace results');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(listenerRows(app)).toHaveCount(2);

    // Not allowed: auto-reply off, no process, no output.
    await listenerRows(app).filter({ hasText: `:${denied}` }).click();
    await expect(app.getByRole('main', { name: 'Selected TCP listener' }).getByRole('button', { name: 'Auto-reply: off' })).toBeVisible();
    const quiet = lineClient(denied, 'hello', 2);
    expect((await quiet.done).stdout.trim()).toBe("b''");
    expect(existsSync(markers[0]!)).toBe(false);

    // Allowed: the program runs for a client and answers it.
    const answered = lineClient(allowed, 'hello');
    expect((await answered.done).stdout.trim()).toBe("b'prog-out\\n'");
    expect(existsSync(markers[1]!)).toBe(true);
    expect(existsSync(markers[0]!)).toBe(false);
  } finally {
    await stopProcess(busy.child);
    await rm(dir, { recursive: true, force: true });
  }
});

test('a file that is not a workspace is refused in words, and nothing opens', async ({ app }) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'si-e2e-badws-'));
  try {
    const file = path.join(dir, 'newer.json');
    await writeFile(file, JSON.stringify({ format: 'socket-inspector-workspace', version: 2, name: 'future', savedAt: '2030-01-01T00:00:00Z' }));
    await app.getByRole('button', { name: 'Settings' }).click();
    const chooser = app.waitForEvent('filechooser');
    await app.getByRole('button', { name: 'Open workspace…' }).click();
    await (await chooser).setFiles(file);
    await expect(app.getByRole('region', { name: 'Workspace' }).getByRole('alert')).toContainText('newer.json: This workspace was saved by a newer Socket Inspector (workspace version 2)');
    await expect(app.getByRole('dialog', { name: 'Open workspace' })).toHaveCount(0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
