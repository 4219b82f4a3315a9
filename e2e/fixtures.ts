import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect, type Locator, type Page } from '@playwright/test';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A running browser host (the built `dist/electron/web.cjs`), stopped after the test. */
export interface WebHostProcess {
  url: string;
  child: ChildProcess;
  dataDir: string;
}

/** Starts the browser host on a free loopback port and waits for the URL line it prints. */
export async function startWebHostProcess(dataDir?: string): Promise<WebHostProcess> {
  const args = [path.join(ROOT, 'dist/electron/web.cjs'), '--no-open', '--port', '0'];
  // Each test gets its own data folder, so saved messages never leak between tests or runs.
  const dir = dataDir ?? (await mkdtemp(path.join(tmpdir(), 'si-e2e-data-')));
  args.push('--data-dir', dir);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`browser host printed no URL in 15 s:\n${output}`)), 15_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /(http:\/\/\S+\?token=\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`browser host exited with ${code}:\n${output}`));
    });
  });
  return { url, child, dataDir: dir };
}

/** Stops a child process and waits for it, killing it if it lingers. */
export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/**
 * Every peer process a test starts. The fixture below kills what is left when the test ends,
 * even when a timeout cut the test off before its own finally blocks ran.
 */
const peers = new Set<ChildProcess>();

/** Runs a Python program (python3) as a real peer; stdout is collected. */
export function runPython(code: string, args: string[] = []): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn('python3', ['-c', code, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  peers.add(child);
  child.once('exit', () => peers.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.once('error', (err) => resolve({ code: -1, stdout, stderr: stderr + String(err) }));
  });
  return { child, done };
}

/** A loopback TCP port that nothing listens on (bound, read, and released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** The four New forms, by the name of the New bar button that opens each. */
export type NewFormName = 'New listener' | 'New connection' | 'New UDP socket' | 'New relay';

/** The New bar's button for each form. */
const NEW_BUTTONS: Record<NewFormName, string> = { 'New listener': 'Listen', 'New connection': 'Connect', 'New UDP socket': 'UDP', 'New relay': 'Relay' };

/** Opens a New form from the New bar (unless it is open already) and returns it. */
export async function openNewForm(page: Page, name: NewFormName): Promise<Locator> {
  const button = page.getByRole('toolbar', { name: 'New' }).getByRole('button', { name: NEW_BUTTONS[name], exact: true });
  if ((await button.getAttribute('aria-expanded')) !== 'true') await button.click();
  const form = page.getByRole('dialog', { name });
  await expect(form).toBeVisible();
  return form;
}

/** The connections tree. */
export function tree(page: Page): Locator {
  return page.getByRole('tree', { name: 'Connections' });
}

/** Rows of connections under a parent (a listener's clients, relay pairs, outgoing connections). */
export function connectionRows(page: Page): Locator {
  return tree(page).getByRole('treeitem', { level: 2 });
}

/** Rows of running listeners and relays (each has its own Stop button). */
export function listenerRows(page: Page): Locator {
  return tree(page)
    .getByRole('treeitem', { level: 1 })
    .filter({ has: page.getByRole('button', { name: /^Stop / }) });
}

/** Picks an action from a tree row's actions menu. */
export async function rowAction(page: Page, row: Locator, action: string): Promise<void> {
  await row.getByRole('button', { name: /^Actions for / }).click();
  await page.getByRole('menu').getByRole('menuitem', { name: action, exact: true }).click();
}

/** Sets the capture budget in Settings, waits for the engine to confirm it as `shown`, and closes Settings. */
export async function setCaptureBudget(page: Page, mib: number, shown: string): Promise<void> {
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByLabel('Capture budget (MiB)').fill(String(mib));
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Capture budget is now ${shown}` })).toBeVisible();
  await page.keyboard.press('Escape');
}

/** Starts a listener from the UI and returns the port its row in the tree shows. */
export async function startListenerFromUi(page: Page, host = '127.0.0.1', port = '0'): Promise<number> {
  const before = await listenerRows(page).count();
  const form = await openNewForm(page, 'New listener');
  await form.getByLabel('Listen address').fill(host);
  await form.getByLabel('Listen port').fill(port);
  await form.getByRole('button', { name: 'Start listener' }).click();
  await expect(listenerRows(page)).toHaveCount(before + 1);
  const item = listenerRows(page).last();
  await expect(item).toContainText(`${host.includes(':') ? `[${host}]` : host}:`);
  const text = (await item.innerText()) ?? '';
  const m = /:(\d+)/.exec(text.slice(text.indexOf(host.includes(':') ? `[${host}]` : host)));
  if (!m) throw new Error(`no port in listener row: ${text}`);
  return Number(m[1]);
}

/** Each test gets its own browser host process and a page opened at its URL. */
export const test = base.extend<{ host: WebHostProcess; app: Page; reapPeers: void }>({
  reapPeers: [
    async ({}, use) => {
      await use();
      await Promise.all([...peers].map((child) => stopProcess(child)));
    },
    { auto: true },
  ],
  host: async ({}, use) => {
    const host = await startWebHostProcess();
    try {
      await use(host);
    } finally {
      await stopProcess(host.child);
      await rm(host.dataDir, { recursive: true, force: true });
    }
  },
  app: async ({ page, host }, use) => {
    await page.goto(host.url);
    await expect(page.getByRole('toolbar', { name: 'New' })).toBeVisible();
    await use(page);
  },
});

export { expect };
