import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, listenerRows, rowAction, runPython, startListenerFromUi, stopProcess, test } from './fixtures';

/** A Python client that sends a message, reads until EOF (or a line), and prints what it got. */
function client(port: number, send: string, readUntil: 'eof' | 'line' = 'eof') {
  return runPython(
    `
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.settimeout(10)
s.sendall(sys.argv[2].encode().decode('unicode_escape').encode('latin1'))
buf = b''
while True:
    d = s.recv(4096)
    if not d: break
    buf += d
    if sys.argv[3] == 'line' and buf.endswith(b'\\n'): break
print(repr(buf), flush=True)
`,
    [String(port), send, readUntil],
  );
}

async function setListenerReply(app: Page, kind: string) {
  // From the listener's row in the tree: its actions open the listener's Auto-reply editor.
  await rowAction(app, listenerRows(app).first(), 'Auto-reply…');
  const row = app.getByRole('main', { name: 'Selected TCP listener' });
  const form = row.getByRole('form', { name: /^Auto-reply for listener/ });
  await form.getByLabel('Auto-reply').selectOption({ label: kind });
  return { row, form };
}

test('echo: the inspector as an echo server', async ({ app }) => {
  const port = await startListenerFromUi(app);
  const { row, form } = await setListenerReply(app, 'Echo');
  await form.getByRole('button', { name: 'Apply' }).click();
  await expect(row.getByRole('button', { name: 'Auto-reply: echo' })).toBeVisible();
  const peer = client(port, 'ping\\n', 'line');
  try {
    expect((await peer.done).stdout.trim()).toBe("b'ping\\n'");
    const rows = app.getByRole('log', { name: 'Traffic' }).getByRole('row');
    await expect(rows.nth(1)).toContainText('→ auto');
    await expect(rows.nth(1)).toContainText('ping\\n');
  } finally {
    await stopProcess(peer.child);
  }
});

test('fixed reply then close: the client gets ACK! and end of file', async ({ app }) => {
  const port = await startListenerFromUi(app);
  const { form } = await setListenerReply(app, 'Fixed reply');
  await form.getByLabel('Reply', { exact: true }).fill('ACK!');
  await form.getByLabel('Close after reply').check();
  await form.getByRole('button', { name: 'Apply' }).click();
  const peer = client(port, 'hello');
  try {
    expect((await peer.done).stdout.trim()).toBe("b'ACK!'");
  } finally {
    await stopProcess(peer.child);
  }
});

test('rules: a regex group in the reply and a default reply; a bad regex and one that could backtrack without end are refused with the reason', async ({ app }) => {
  const port = await startListenerFromUi(app);
  const { form } = await setListenerReply(app, 'Rules');
  await form.getByLabel('Match for rule 1').selectOption('regex');
  await form.getByLabel('Pattern for rule 1').fill('(');
  await form.getByLabel('Reply for rule 1').fill('Hi {{1}}\\n');
  await form.getByRole('button', { name: 'Apply' }).click();
  await expect(form.getByRole('alert')).toContainText('Rule 1 pattern: not a valid regular expression');
  // Named as the form names it, and marked where it is.
  await expect(form.getByRole('alert')).not.toContainText('responder.rules');
  await expect(form.getByLabel('Pattern for rule 1')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByLabel('Pattern for rule 1')).toBeFocused();
  await form.getByLabel('Pattern for rule 1').fill('(a+)+$');
  await form.getByRole('button', { name: 'Apply' }).click();
  await expect(form.getByRole('alert')).toContainText('catastrophic backtracking');
  await form.getByLabel('Pattern for rule 1').fill('^HELLO (\\w+)');
  await form.getByLabel('Default reply (no rule matched)').fill('what?\\n');
  await form.getByRole('button', { name: 'Apply' }).click();
  await expect(form).toHaveCount(0);
  const a = client(port, 'HELLO world\\n', 'line');
  const b = client(port, 'nonsense\\n', 'line');
  try {
    expect((await a.done).stdout.trim()).toBe("b'Hi world\\n'");
    expect((await b.done).stdout.trim()).toBe("b'what?\\n'");
  } finally {
    await stopProcess(a.child);
    await stopProcess(b.child);
  }
});

test('program responder: a calculator behind a listener answers 2+3 with 5, and its exit code is shown', async ({ app }) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'si-calc-'));
  const calc = path.join(dir, 'calc.py');
  await writeFile(calc, "import sys\nfor line in sys.stdin:\n    print(eval(line), flush=True)\nsys.stderr.write('done\\n')\n");
  const port = await startListenerFromUi(app);
  const { form } = await setListenerReply(app, 'Program');
  await form.getByLabel('Command').fill('python3');
  await form.getByLabel('Arguments').fill(`-u "${calc}"`);
  await form.getByRole('button', { name: 'Apply' }).click();
  const peer = runPython(
    `
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.settimeout(10)
s.sendall(b'2+3\\n')
line = b''
while not line.endswith(b'\\n'):
    d = s.recv(100)
    if not d: break
    line += d
print(repr(line), flush=True)
s.shutdown(socket.SHUT_WR)
while s.recv(100): pass
`,
    [String(port)],
  );
  try {
    expect((await peer.done).stdout.trim()).toBe("b'5\\n'");
    const program = app.getByRole('region', { name: 'Program' });
    await expect(program).toContainText('exited with code 0');
    await expect(program.getByLabel('Program stderr')).toContainText('done');
  } finally {
    await stopProcess(peer.child);
    await rm(dir, { recursive: true, force: true });
  }
});
