import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connectionRows, expect, runPython, setCaptureBudget, startListenerFromUi, stopProcess, test } from './fixtures';

test('past the capture budget the view says how many bytes earlier were not kept, and counters stay exact', async ({ app }) => {
  await setCaptureBudget(app, 1, '1.00 MiB');

  const port = await startListenerFromUi(app);
  // 48 writes of 64 KiB (3 MiB) with pauses, so each is its own read.
  const client = runPython(
    `
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
for i in range(48):
    s.sendall(bytes([i]) * 65536)
    time.sleep(0.01)
s.close()
`,
    [String(port)],
  );
  try {
    expect((await client.done).code).toBe(0);
    const main = app.getByRole('main');
    await expect(main).toContainText('in 3.00 MiB');
    const log = app.getByRole('log', { name: 'Traffic' });
    const marker = log.getByRole('row').filter({ hasText: 'bytes earlier not kept' });
    await log.evaluate((el) => (el.scrollTop = 0));
    await expect(marker).toBeVisible();
    const text = (await marker.textContent()) ?? '';
    const dropped = Number(/([\d,]+) bytes earlier not kept/.exec(text)![1]!.replace(/,/g, ''));
    // More than 2 MiB had to go; what is kept fits the 1 MiB budget.
    expect(dropped).toBeGreaterThan(2 * 1024 * 1024);
    expect(dropped).toBeLessThan(3 * 1024 * 1024);
    const list = connectionRows(app).first();
    await expect(list).toContainText('in 3.00 MiB');
  } finally {
    await stopProcess(client.child);
  }
});

test('a large chunk shows a preview; expanding it fetches all its bytes, and Save writes them exactly', async ({ app }) => {
  const port = await startListenerFromUi(app);
  const client = runPython(
    `
import socket, sys, time, hashlib
payload = bytes((i * 7 + 3) % 256 for i in range(20000))
print(hashlib.sha256(payload).hexdigest(), flush=True)
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.sendall(payload)
time.sleep(0.5)
s.close()
`,
    [String(port)],
  );
  try {
    const result = await client.done;
    expect(result.code, result.stderr).toBe(0);
    const sha = result.stdout.trim();
    const log = app.getByRole('log', { name: 'Traffic' });
    // One read may deliver it all, or a few; the first row is at most a preview.
    const first = log.getByRole('row').first();
    await expect(first).toContainText('more');
    await expect(app.getByRole('main')).toContainText('in 19.5 KiB');

    const rows = await log.getByRole('row').count();
    const hash = createHash('sha256');
    for (let i = 0; i < rows; i++) {
      const row = log.getByRole('row').nth(i);
      await row.getByRole('button', { name: /^Expand chunk/ }).click();
      await expect(row).toContainText(/Chunk \d+: [\d,]+ bytes/);
      const downloadPromise = app.waitForEvent('download');
      await row.getByRole('button', { name: 'Save' }).click();
      const download = await downloadPromise;
      hash.update(await readFile((await download.path())!));
      await row.getByRole('button', { name: /^Collapse chunk/ }).click();
    }
    expect(hash.digest('hex')).toBe(sha);
  } finally {
    await stopProcess(client.child);
  }
});

test('the traffic view follows new rows, stops when scrolled up, and offers Jump to latest', async ({ app }) => {
  const port = await startListenerFromUi(app);
  const client = runPython(
    `
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for i in range(200):
    s.sendall(b'line %03d\\n' % i)
    time.sleep(0.004)
time.sleep(60)
`,
    [String(port)],
  );
  try {
    const log = app.getByRole('log', { name: 'Traffic' });
    await expect(app.getByRole('main')).toContainText('in 1.76 KiB');
    // Following: the newest row is in view.
    await expect(log.getByRole('row').filter({ hasText: 'line 199' })).toBeVisible();
    await expect(app.getByRole('button', { name: 'Jump to latest' })).toHaveCount(0);
    await log.hover();
    await app.mouse.wheel(0, -3000);
    await expect(app.getByRole('button', { name: 'Jump to latest' })).toBeVisible();
    await expect(log.getByRole('row').filter({ hasText: 'line 199' })).toHaveCount(0);
    await app.getByRole('button', { name: 'Jump to latest' }).click();
    await expect(log.getByRole('row').filter({ hasText: 'line 199' })).toBeVisible();
    await expect(app.getByRole('button', { name: 'Jump to latest' })).toHaveCount(0);
  } finally {
    await stopProcess(client.child);
  }
});

test('after a reload the page shows what the engine kept, fetched page by page', async ({ app }) => {
  const port = await startListenerFromUi(app);
  const client = runPython(
    `
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
for i in range(600):
    s.sendall(b'row %04d|' % i)
    time.sleep(0.001)
time.sleep(60)
`,
    [String(port)],
  );
  try {
    await expect(app.getByRole('main')).toContainText('in 5.27 KiB');
    const before = (await app.getByRole('main').textContent())!;
    const chunks = Number(/in 5\.27 KiB · ([\d,]+) chunks/.exec(before)![1]!.replace(/,/g, ''));
    await app.reload();
    await connectionRows(app).first().click();
    const log = app.getByRole('log', { name: 'Traffic' });
    await expect(app.getByText(`${chunks.toLocaleString('en-US')} chunks`, { exact: true })).toBeVisible();
    // The newest rows are fetched and shown, then the oldest when scrolled to the top.
    await expect(log.getByRole('row').last()).toContainText('row 0599|');
    await log.evaluate((el) => (el.scrollTop = 0));
    await expect(log.getByRole('row').first()).toContainText('row 0000|');
    await expect(log.getByText(/loading chunk/)).toHaveCount(0);
  } finally {
    await stopProcess(client.child);
  }
});
