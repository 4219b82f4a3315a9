// Takes the README's screenshots: the browser host with two listeners, their clients and
// traffic, at each window size the layout is designed for (1400×900, 1280×720, 1024×640).
// docs/screenshot.png is the 1280×720 one; then one of each reading (Lines, Stream, Frames with
// decoders), search, the byte inspector, the export dialog, and an opened capture with its replay
// form, at 1280×720.
// Usage: npm run build && node scripts/screenshots.mjs [outDir]
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { pack } from 'msgpackr';
import { encode as cbor } from 'cbor-x';

const out = process.argv[2] ?? 'docs';
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dataDir = await mkdtemp(path.join(tmpdir(), 'si-shots-'));
const host = spawn(process.execPath, [path.join(root, 'dist/electron/web.cjs'), '--no-open', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
const sockets = [];
let browser;
try {
  const url = await new Promise((resolve, reject) => {
    let text = '';
    host.stdout.on('data', (d) => {
      text += d;
      const m = /(http:\/\/\S+\?token=\S+)/.exec(text);
      if (m) resolve(m[1]);
    });
    host.once('exit', (code) => reject(new Error(`host exited ${code}`)));
  });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, deviceScaleFactor: 1, colorScheme: 'dark' });
  await page.goto(url);
  const startListener = async (port) => {
    await page.getByRole('toolbar', { name: 'New' }).getByRole('button', { name: 'Listen' }).click();
    await page.getByLabel('Listen port').fill(String(port));
    await page.getByRole('button', { name: 'Start listener' }).click();
    await page.getByRole('treeitem', { name: new RegExp(`:${port}`) }).first().waitFor();
  };
  const free = () =>
    new Promise((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
  const p1 = await free();
  const p2 = await free();
  await startListener(p1);
  await startListener(p2);
  for (let i = 0; i < 6; i++) {
    const s = net.connect(i % 2 ? p2 : p1, '127.0.0.1');
    sockets.push(s);
    await new Promise((r) => s.once('connect', r));
    s.write(i === 0 ? 'GET /status HTTP/1.1\r\nHost: localhost\r\n\r\n' : `{"sensor":${i},"temp":${20 + i}.5}\n`);
  }
  await page.waitForTimeout(400);
  for (let i = 0; i < 8; i++) sockets[0].write(Buffer.from(`line ${i}: ${'0123456789abcdef'.repeat(2)}\x00\x01\r\n`));
  await page.getByRole('treeitem').filter({ hasText: 'GET /status' }).first().click();
  await page.getByRole('textbox', { name: 'Message' }).fill('HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.waitForTimeout(300);
  for (const [w, h] of [
    [1400, 900],
    [1280, 720],
    [1024, 640],
  ]) {
    await page.setViewportSize({ width: w, height: h });
    await page.getByRole('radio', { name: 'Text' }).check();
    await page.waitForTimeout(200);
    await page.screenshot({ path: path.join(out, w === 1280 ? 'screenshot.png' : `window-${w}x${h}-text.png`) });
    await page.getByRole('radio', { name: 'Hex dump' }).check();
    await page.waitForTimeout(200);
    await page.screenshot({ path: path.join(out, `window-${w}x${h}-hex.png`) });
  }
  await page.getByRole('radio', { name: 'Text' }).check();

  // Readings of the HTTP conversation: lines (CRLF as a mark), then each direction as a stream.
  await page.setViewportSize({ width: 1280, height: 720 });
  const view = (name) => page.getByRole('radiogroup', { name: 'View' }).getByRole('radio', { name }).check();
  await view('Lines');
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(out, 'view-lines.png') });
  await view('Stream');
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(out, 'view-stream.png') });

  // A binary protocol: 2-byte big-endian length-prefixed MessagePack, CBOR and protobuf messages,
  // with headers split across reads.
  const bin = net.connect(p1, '127.0.0.1');
  sockets.push(bin);
  bin.setNoDelay(true);
  await new Promise((r) => bin.once('connect', r));
  const payloads = [
    pack({ type: 'reading', sensor: 7, values: [20.5, 21, 19.75], ok: true }),
    cbor({ id: 42, name: 'valve-3', open: false }),
    Buffer.from('089601120774657374696e671a03089601', 'hex'),
    pack({ type: 'alarm', sensor: 7, level: 'high' }),
  ];
  const frames = Buffer.concat(payloads.map((p) => Buffer.concat([Buffer.from([p.length >> 8, p.length & 0xff]), p])));
  for (const [a, b] of [[0, 1], [1, 30], [30, frames.length - 5], [frames.length - 5, frames.length]]) {
    bin.write(frames.subarray(a, b));
    await new Promise((r) => setTimeout(r, 80));
  }
  const binRow = () => page.getByRole('treeitem', { level: 2 }).filter({ hasText: `:${bin.localPort}` });
  await binRow().click();
  await view('Frames');
  await page.getByRole('button', { name: /^Framing:/ }).click();
  const form = page.getByRole('form', { name: 'Framing' });
  await form.getByLabel('Frame by').selectOption('length');
  await page.waitForTimeout(200);
  await page.screenshot({ path: path.join(out, 'framing.png') });
  await form.getByRole('button', { name: 'Apply framing' }).click();
  await page.getByLabel('Decode').selectOption('auto');
  await page.getByRole('button', { name: 'Expand frame 1' }).click();
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(out, 'view-frames-decoded.png') });
  await page.getByRole('button', { name: 'Collapse frame 1' }).click();

  // Search every connection for a word, in the JSON clients' lines.
  await page.getByRole('treeitem').filter({ hasText: 'sensor' }).first().click();
  await view('Lines');
  await page.keyboard.press('Control+f');
  const bar = page.getByRole('search', { name: 'Search the traffic' });
  await bar.getByLabel('Find').fill('temp');
  await bar.getByRole('combobox', { name: /^In/ }).selectOption('all');
  await bar.getByRole('button', { name: 'Search', exact: true }).click();
  await bar.getByRole('status').filter({ hasText: /Match \d+ of/ }).waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(out, 'search.png') });
  await page.keyboard.press('Escape');

  // The byte inspector over a frame's bytes in the hex dump.
  await binRow().click();
  await view('Frames');
  await page.getByRole('radio', { name: 'Hex dump' }).check();
  await page.locator('[data-off="2"]').first().click();
  await page.locator('[data-off="9"]').first().click({ modifiers: ['Shift'] });
  await page.getByRole('region', { name: 'Byte inspector' }).getByText('CRC-32').waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(out, 'inspector.png') });

  // Export: the dialog, then the finished job in the Files strip.
  await page.getByRole('treeitem').filter({ hasText: 'GET /status' }).first().click();
  await page.getByRole('main', { name: 'Selected connection' }).getByRole('button', { name: 'Export…' }).click();
  await page.getByRole('dialog', { name: 'Export' }).waitFor();
  await page.waitForTimeout(200);
  await page.screenshot({ path: path.join(out, 'export.png') });
  const download = page.waitForEvent('download');
  await page.getByRole('dialog', { name: 'Export' }).getByRole('button', { name: 'Export', exact: true }).click();
  const file = path.join(dataDir, (await download).suggestedFilename());
  await (await download).saveAs(file);

  // The export opened again: a read-only stream under the file's name, and its Replay form.
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Open capture…' }).click();
  await (await chooser).setFiles(file);
  await page.getByRole('main', { name: 'Selected connection' }).getByText('stream 0 of').waitFor();
  await view('Lines');
  await page.getByRole('main', { name: 'Selected connection' }).getByRole('button', { name: 'Replay…' }).click();
  await page.getByRole('form', { name: 'Replay' }).waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(out, 'replay.png') });
  console.log(`screenshots in ${out}`);
} finally {
  for (const s of sockets) s.destroy();
  await browser?.close();
  host.kill('SIGTERM');
  await new Promise((r) => (host.exitCode !== null ? r() : host.once('exit', r)));
  await rm(dataDir, { recursive: true, force: true });
}
