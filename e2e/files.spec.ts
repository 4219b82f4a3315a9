import AxeBuilder from '@axe-core/playwright';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { connectionRows, expect, freePort, openNewForm, runPython, test, tree } from './fixtures';

/** A calculator server: answers each line "a+b" or "a*b" with the result and a newline. */
const CALCULATOR = `
import socket, sys, threading
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', int(sys.argv[1])))
srv.listen(8)
print('listening', flush=True)
def serve(c):
    buf = b''
    while True:
        d = c.recv(4096)
        if not d:
            break
        buf += d
        while b'\\n' in buf:
            line, buf = buf.split(b'\\n', 1)
            expr = line.decode().strip()
            op = '+' if '+' in expr else '*'
            a, b = (int(x) for x in expr.split(op))
            c.sendall(str(a + b if op == '+' else a * b).encode() + b'\\n')
    c.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
`;

/** A client that sends each line and reads each answer, then prints what it got. */
const CALC_CLIENT = `
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
f = s.makefile('rb')
got = []
for line in sys.argv[2:]:
    s.sendall(line.encode() + b'\\n')
    got.append(f.readline().decode().strip())
print('|'.join(got), flush=True)
s.close()
`;

const TSHARK = spawnSync('tshark', ['--version']).status === 0;

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'si-e2e-files-'));
}

async function startCalculator(): Promise<number> {
  const port = await freePort();
  const server = runPython(CALCULATOR, [String(port)]);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the calculator did not start')), 10_000);
    server.child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return port;
}

/** Connects from the New bar and sends each line from the message box, waiting for each answer. */
async function calculate(app: Page, port: number, lines: Array<[string, string]>): Promise<void> {
  const form = await openNewForm(app, 'New connection');
  await form.getByLabel('Remote host').fill('127.0.0.1');
  await form.getByLabel('Remote port').fill(String(port));
  await form.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(connectionRows(app).last()).toContainText('open');
  await app.getByLabel('Line ending').selectOption('lf');
  const chunks = app.getByRole('table', { name: 'Chunks' }).getByRole('row');
  for (const [i, [question, answer]] of lines.entries()) {
    await app.getByRole('textbox', { name: 'Message' }).fill(question);
    await app.getByRole('textbox', { name: 'Message' }).press('Enter');
    await expect(chunks).toHaveCount(2 * (i + 1));
    await expect(chunks.nth(2 * i + 1)).toContainText(answer);
  }
}

async function exportAs(app: Page, format: RegExp, dir: string): Promise<string> {
  await app.getByRole('main', { name: 'Selected connection' }).getByRole('button', { name: 'Export…' }).click();
  const dialog = app.getByRole('dialog', { name: 'Export' });
  await dialog.getByRole('radio', { name: format }).check();
  const download = app.waitForEvent('download');
  await dialog.getByRole('button', { name: 'Export', exact: true }).click();
  const file = path.join(dir, (await download).suggestedFilename());
  await (await download).saveAs(file);
  return file;
}

/** tshark's Follow TCP Stream, raw: what node 0 (the client) and node 1 sent. */
function follow(file: string): { client: string; server: string } {
  const out = execFileSync('tshark', ['-r', file, '-qz', 'follow,tcp,raw,0'], { encoding: 'utf8' });
  const lines = out.split('\n');
  const body = lines.slice(lines.findIndex((l) => l.startsWith('Node 1:')) + 1);
  let client = '';
  let server = '';
  for (const line of body) {
    if (line.startsWith('=')) break;
    if (!line.trim()) continue;
    const text = Buffer.from(line.trim(), 'hex').toString('latin1');
    if (line.startsWith('\t')) server += text;
    else client += text;
  }
  return { client, server };
}

test.describe('Keep, share and replay', () => {
  test.skip(!TSHARK, 'tshark is not installed (Debian package tshark): the exported pcapng cannot be checked');

  test('a conversation exported as pcapng reads the same in tshark, opens again as a read-only connection, and replays as client and as server', async ({ app }) => {
    const dir = tempDir();
    try {
      const port = await startCalculator();
      await calculate(app, port, [
        ['1+2', '3'],
        ['10*10', '100'],
      ]);
      const file = await exportAs(app, /^pcapng/, dir);
      expect(path.extname(file)).toBe('.pcapng');
      expect(follow(file)).toEqual({ client: '1+2\n10*10\n', server: '3\n100\n' });

      // Open it again, from the top bar's Open capture.
      const chooser = app.waitForEvent('filechooser');
      await app.getByRole('button', { name: 'Open capture…' }).click();
      await (await chooser).setFiles(file);
      const files = app.getByRole('region', { name: 'Files' });
      await expect(files).toContainText('Opened: 1 stream, 4 chunks');
      const group = tree(app).getByRole('treeitem', { name: new RegExp(path.basename(file).replace(/\./g, '\\.')) });
      await expect(group).toBeVisible();
      const detail = app.getByRole('main', { name: 'Selected connection' });
      await expect(detail).toContainText('stream 0 of');
      const rows = app.getByRole('table', { name: 'Chunks' }).getByRole('row');
      await expect(rows).toHaveCount(4);
      await expect(rows.nth(1)).toContainText('3\\n');
      // Read-only: nothing to send, nothing to close.
      await expect(app.getByRole('textbox', { name: 'Message' })).toHaveCount(0);
      await expect(detail.getByRole('button', { name: 'Reset' })).toHaveCount(0);

      // Replay as client against a fresh calculator: the same answers come back.
      const fresh = await startCalculator();
      await detail.getByRole('button', { name: 'Replay…' }).click();
      const replay = app.getByRole('form', { name: 'Replay' });
      await replay.getByLabel('Server port').fill(String(fresh));
      await replay.getByLabel('Timing').selectOption('fast');
      await replay.getByRole('button', { name: 'Start replay' }).click();
      // The replay's own connection is selected; its traffic is captured like any other.
      const replayed = app.getByRole('table', { name: 'Chunks' }).getByRole('row');
      await expect(replayed).toHaveCount(4, { timeout: 15_000 });
      await expect(replayed.nth(1)).toContainText('3\\n');
      await expect(replayed.nth(3)).toContainText('100\\n');
      await expect(app.getByRole('listitem', { name: /^Replay of C\d+ as client/ })).toContainText('done');

      // Replay as server: a Python client asks the same and gets the captured answers.
      // The opened stream: closed, to the first calculator (the live connection to it is still open).
      await connectionRows(app).filter({ hasText: String(port) }).filter({ hasText: 'closed' }).click();
      await expect(detail).toContainText('stream 0 of');
      await detail.getByRole('button', { name: 'Replay…' }).click();
      await replay.getByRole('radio', { name: /^Server/ }).check();
      await replay.getByRole('button', { name: 'Start replay' }).click();
      const listener = app.getByRole('main', { name: /^Selected/ });
      await expect(listener).toContainText('127.0.0.1:');
      const heading = await listener.innerText();
      const served = Number(/127\.0\.0\.1:(\d+)/.exec(heading)?.[1]);
      expect(served).toBeGreaterThan(0);
      const asked = runPython(CALC_CLIENT, [String(served), '1+2', '10*10']);
      expect((await asked.done).stdout.trim()).toBe('3|100');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('NDJSON and transcript exports, a damaged capture dropped on the window, Clear capture, and no accessibility violations', async ({ app }) => {
    const dir = tempDir();
    try {
      const port = await startCalculator();
      await calculate(app, port, [['6*7', '42']]);
      const ndjson = fs.readFileSync(await exportAs(app, /^NDJSON/, dir), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(ndjson.map((l) => l.type)).toEqual(['connection', 'chunk', 'chunk']);
      expect(ndjson.slice(1).map((l) => [l.direction, Buffer.from(l.data, 'base64').toString()])).toEqual([
        ['out', '6*7\n'],
        ['in', '42\n'],
      ]);
      const transcript = fs.readFileSync(await exportAs(app, /^Transcript/, dir), 'utf8');
      expect(transcript).toMatch(/→ out #0 offset 0, 4 bytes\n {2}6\*7\\n/);
      expect(transcript).toMatch(/← in  #1 offset 0, 3 bytes\n {2}42\\n/);

      // The export dialog passes axe.
      await app.getByRole('main', { name: 'Selected connection' }).getByRole('button', { name: 'Export…' }).click();
      const scan = await new AxeBuilder({ page: app }).include('[role="dialog"][aria-label="Export"]').analyze();
      expect(scan.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
      await app.getByRole('dialog', { name: 'Export' }).getByRole('button', { name: 'Cancel' }).click();

      // A truncated pcapng dropped on the window: what is there is read, the rest explained.
      const whole = fs.readFileSync(await exportAs(app, /^pcapng/, dir));
      const cut = whole.subarray(0, whole.length - 20);
      await app.evaluate((bytes) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], 'cut.pcapng'));
        window.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, cancelable: true }));
        window.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, cancelable: true }));
      }, [...cut]);
      const files = app.getByRole('region', { name: 'Files' });
      const job = files.getByRole('group', { name: 'Open cut.pcapng' });
      await expect(job).toContainText('Opened: 1 stream, 1 chunk from');
      await job.getByText(/notes?$/).click();
      await expect(job).toContainText('The file is damaged');

      // Clear capture: the rows go, the counters stay, new traffic is recorded.
      await connectionRows(app).filter({ hasText: String(port) }).first().click();
      const detail = app.getByRole('main', { name: 'Selected connection' });
      await detail.getByRole('button', { name: 'Clear capture' }).click();
      await expect(detail.getByRole('status')).toContainText('Cleared 7 B');
      await expect(detail).toContainText('out 4 B');
      await app.getByRole('textbox', { name: 'Message' }).fill('2+2');
      await app.getByRole('textbox', { name: 'Message' }).press('Enter');
      await expect(app.getByRole('table', { name: 'Chunks' }).getByRole('row').filter({ hasText: '4\\n' })).toHaveCount(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
