import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, listenerRows, openNewForm, runPython, startListenerFromUi, startWebHostProcess, stopProcess, test } from './fixtures';

/** A Python server that accepts one client, counts (and hashes) what it sends until EOF, and prints it. */
const SINK = `
import hashlib, socket
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
h = hashlib.sha256(); n = 0
while True:
    data = conn.recv(1 << 16)
    if not data: break
    h.update(data); n += len(data)
print(n, h.hexdigest(), flush=True)
conn.close()
`;

async function startSink() {
  const sink = runPython(SINK);
  const port = await new Promise<number>((resolve, reject) => {
    sink.child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    sink.child.once('exit', () => reject(new Error('sink exited')));
  });
  return { sink, port };
}

async function connectFromUi(app: Page, port: number) {
  const form = await openNewForm(app, 'New connection');
  await form.getByLabel('Remote host').fill('127.0.0.1');
  await form.getByLabel('Remote port').fill(String(port));
  await form.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(app.getByRole('button', { name: 'Send', exact: true })).toBeEnabled();
}

test('Send file sends the file byte for byte', async ({ app }) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'si-file-'));
  const { sink, port } = await startSink();
  try {
    const bytes = randomBytes(3 * 1024 * 1024 + 123);
    const file = path.join(dir, 'payload.bin');
    await writeFile(file, bytes);
    await connectFromUi(app, port);
    await app.getByLabel('Send file…').setInputFiles(file);
    await expect(app.getByRole('status').filter({ hasText: 'Sent payload.bin' })).toContainText(`${bytes.length.toLocaleString('en-US')} bytes`);
    await app.getByRole('button', { name: 'Close', exact: true }).click();
    const result = await sink.done;
    const [n, sha] = result.stdout.trim().split('\n').at(-1)!.split(' ');
    expect(Number(n)).toBe(bytes.length);
    expect(sha).toBe(createHash('sha256').update(bytes).digest('hex'));
    await expect(app.getByRole('main')).toContainText('out 3.00 MiB');
  } finally {
    await stopProcess(sink.child);
    await rm(dir, { recursive: true, force: true });
  }
});

test('a repeat task runs until Stop, and then sends nothing more', async ({ app }) => {
  const { sink, port } = await startSink();
  try {
    await connectFromUi(app, port);
    await app.getByLabel('Repeat').check();
    await app.getByLabel('Times').fill('');
    await app.getByLabel('Every (ms)').fill('50');
    await app.getByRole('textbox', { name: 'Message' }).fill('tick\\n');
    await app.getByRole('button', { name: 'Send', exact: true }).click();
    const task = app.getByRole('list', { name: 'Tasks' }).getByRole('listitem').first();
    await expect(task).toContainText(/sent \d+\s*running/);
    // The task names its target by its endpoints, not by an internal id.
    await expect(task).toContainText(`to 127.0.0.1:${port}`);
    await expect(task).not.toContainText(/\bC\d+\b/);
    await expect(task).toContainText(/sent ([3-9]|\d\d)/);
    await task.getByRole('button', { name: 'Stop' }).click();
    // The state follows the count ("…until stopped" in the description is not it).
    await expect(task).toContainText(/sent \d+\s*stopped/);
    const sent = Number(/sent (\d+)/.exec((await task.textContent())!)![1]);
    await app.waitForTimeout(300);
    await expect(task).toContainText(`sent ${sent}`);
    await app.getByRole('button', { name: 'Close', exact: true }).click();
    const [n] = (await sink.done).stdout.trim().split('\n').at(-1)!.split(' ');
    expect(Number(n)).toBe(sent * 5);
  } finally {
    await stopProcess(sink.child);
  }
});

test('Send to all clients reaches every client of the listener', async ({ app }) => {
  const port = await startListenerFromUi(app);
  const code = `
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
print('connected', flush=True)
print(s.recv(100).decode(), flush=True)
`;
  const a = runPython(code, [String(port)]);
  const b = runPython(code, [String(port)]);
  try {
    await expect(listenerRows(app).first()).toContainText('2 clients');
    await app.getByRole('textbox', { name: 'Message' }).fill('hello everyone');
    await app.getByRole('button', { name: 'Send to all clients' }).click();
    await expect(app.getByRole('status').filter({ hasText: 'Sent to 2 clients' })).toBeVisible();
    for (const peer of [a, b]) expect((await peer.done).stdout).toContain('hello everyone');
  } finally {
    await stopProcess(a.child);
    await stopProcess(b.child);
  }
});

test('saved messages send with one click and survive a restart; Up and Down walk the history', async ({ app, host }) => {
  const { sink, port } = await startSink();
  let second: Awaited<ReturnType<typeof startWebHostProcess>> | undefined;
  try {
    await connectFromUi(app, port);
    const message = app.getByRole('textbox', { name: 'Message' });
    await message.fill('PING\\r\\n');
    await app.getByRole('button', { name: 'Save message…' }).click();
    await app.getByLabel('Name', { exact: true }).fill('ping');
    await app.getByRole('button', { name: 'Save', exact: true }).click();
    await app.getByRole('button', { name: 'Send saved message ping' }).click();
    const rows = app.getByRole('log', { name: 'Traffic' }).getByRole('row');
    await expect(rows.first()).toContainText('PING\\r\\n');

    await message.fill('one');
    await message.press('Enter');
    await message.fill('two');
    await message.press('Enter');
    await expect(rows).toHaveCount(3);
    await message.press('ArrowUp');
    await expect(message).toHaveValue('two');
    await message.press('ArrowUp');
    await expect(message).toHaveValue('one');
    await message.press('ArrowDown');
    await expect(message).toHaveValue('two');

    // A new host on the same data folder still has the saved message and the history.
    await stopProcess(host.child);
    second = await startWebHostProcess(host.dataDir);
    await app.goto(second.url);
    await startListenerFromUi(app);
    const peer = runPython(`import socket, sys, time\ns = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\ntime.sleep(30)`, [
      String(Number(/127\.0\.0\.1:(\d+)/.exec((await listenerRows(app).first().innerText())!)![1])),
    ]);
    try {
      await expect(app.getByRole('button', { name: 'Send saved message ping' })).toBeVisible();
      await app.getByRole('textbox', { name: 'Message' }).press('ArrowUp');
      await expect(app.getByRole('textbox', { name: 'Message' })).toHaveValue('two');
    } finally {
      await stopProcess(peer.child);
    }
  } finally {
    await stopProcess(sink.child);
    await stopProcess(second?.child);
  }
});

test('a damaged saved-messages file is kept aside and reported above the saved messages; saving works again', async ({ app, host }) => {
  const { sink, port } = await startSink();
  let second: Awaited<ReturnType<typeof startWebHostProcess>> | undefined;
  try {
    await stopProcess(host.child);
    await writeFile(path.join(host.dataDir, 'saved.json'), '{"snippets": [{"name": "cut off');
    second = await startWebHostProcess(host.dataDir);
    await app.goto(second.url);
    await connectFromUi(app, port);

    const warning = app.getByRole('alert').filter({ hasText: 'Saved messages could not be loaded' });
    await expect(warning).toContainText('is damaged (it is not valid JSON');
    await expect(warning).toContainText(/It was kept as saved\.json\.corrupt-\S+, and saved messages start empty\./);
    const kept = (await readdir(host.dataDir)).filter((n) => n.startsWith('saved.json.corrupt-'));
    expect(kept).toHaveLength(1);

    await app.getByRole('textbox', { name: 'Message' }).fill('PING');
    await app.getByRole('button', { name: 'Save message…' }).click();
    await app.getByLabel('Name', { exact: true }).fill('ping');
    await app.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(app.getByRole('button', { name: 'Send saved message ping' })).toBeVisible();
    // The page shows the saved message at once; the host writes the file when its command runs.
    const file = path.join(host.dataDir, 'saved.json');
    await expect.poll(() => readFile(file, 'utf8').then(() => true, () => false), { timeout: 10_000 }).toBe(true);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { snippets: { name: string }[]; warning?: string };
    expect(saved.snippets.map((s) => s.name)).toEqual(['ping']);
    expect(saved.warning).toBeUndefined();
    expect(await readFile(path.join(host.dataDir, kept[0]!), 'utf8')).toBe('{"snippets": [{"name": "cut off');

    await warning.getByRole('button', { name: 'Dismiss error' }).click();
    await expect(warning).toHaveCount(0);
  } finally {
    await stopProcess(sink.child);
    await stopProcess(second?.child);
  }
});

test('a port held by another program names it; the ports view lists it; ending it after confirmation frees the port', async ({ app }) => {
  const holder = runPython(`
import socket, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(60)
`);
  try {
    const port = await new Promise<number>((resolve) => holder.child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    const pid = holder.child.pid!;
    const form = await openNewForm(app, 'New listener');
    await form.getByLabel('Listen address').fill('127.0.0.1');
    await form.getByLabel('Listen port').fill(String(port));
    await form.getByRole('button', { name: 'Start listener' }).click();
    const alert = form.getByRole('alert');
    await expect(alert).toContainText(new RegExp(`Port ${port} is already in use: it is held by python[\\d.]*, pid ${pid}`));

    await alert.getByRole('button', { name: 'Show ports' }).click();
    const ports = app.getByRole('dialog', { name: 'Ports' });
    await expect(ports.getByLabel('Filter ports')).toHaveValue(String(port));
    const row = ports.getByRole('row').filter({ hasText: String(pid) });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('TCP');
    await expect(row).toContainText('python');
    await ports.getByRole('button', { name: 'Close ports view' }).click();

    await alert.getByRole('button', { name: new RegExp(`^End python[\\d.]* \\(pid ${pid}\\)`) }).click();
    await alert.getByRole('button', { name: 'End process' }).click();
    await expect(alert.getByRole('status')).toContainText('has exited');
    expect((await holder.done).code).not.toBe(0);
    // The port is free: the listener can start at once, from the same place.
    await alert.getByRole('button', { name: `Start the listener on port ${port} now` }).click();
    await expect(listenerRows(app)).toContainText(`127.0.0.1:${port}`);
  } finally {
    await stopProcess(holder.child);
  }
});
