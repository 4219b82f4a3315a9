// Takes docs/screenshot.png of the running app for the README: a listener with a Python client
// that sends text and binary, an outgoing connection, and a message sent to it.
// Usage: npm run build && node scripts/screenshot.mjs
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

const host = spawn(process.execPath, ['dist/electron/web.cjs', '--no-open', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
let browser;
let client;
try {
  const url = await new Promise((resolve, reject) => {
    host.stdout.on('data', (d) => {
      const m = /(http:\/\/\S+)/.exec(String(d));
      if (m) resolve(m[1]);
    });
    host.once('exit', () => reject(new Error('browser host exited')));
  });
  browser = await chromium.launch({
    executablePath: existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(url);
  await page.getByLabel('Listen port').fill('0');
  await page.getByRole('button', { name: 'Start listener' }).click();
  const row = page.getByRole('list', { name: 'Listeners' }).getByRole('listitem').first();
  await row.waitFor();
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(await row.textContent())[1]);
  client = spawn('python3', ['-c', `
import socket, sys, time
s = socket.create_connection(('127.0.0.1', ${port}))
for msg in (b'GET /status HTTP/1.1\\r\\nHost: device\\r\\n\\r\\n', b'{"temp": 21.5, "unit": "C"}\\n', bytes([0x02, 0x10, 0x00, 0xff, 0x7e, 0x03]), b'PING\\n'):
    s.sendall(msg); time.sleep(0.25)
time.sleep(30)
`], { stdio: 'ignore' });
  const log = page.getByRole('log', { name: 'Traffic' });
  await log.getByRole('row').nth(3).waitFor();
  await page.getByRole('textbox', { name: 'Message' }).fill('PONG\\n');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await log.getByRole('row').nth(4).waitFor();
  await page.getByLabel('Remote port').fill(String(port));
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByRole('list', { name: 'Connections' }).getByRole('listitem').nth(2).waitFor();
  await page.getByRole('list', { name: 'Connections' }).getByRole('listitem').first().getByRole('button').click();
  await log.getByRole('row').nth(4).waitFor();
  await page.screenshot({ path: 'docs/screenshot.png' });
  console.log('wrote docs/screenshot.png');
} finally {
  await browser?.close();
  client?.kill('SIGKILL');
  host.kill('SIGTERM');
}
