import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { connectionRows, expect, listenerRows, openNewForm, runPython, test } from './fixtures';

test('a Unix socket listener: a Python client over AF_UNIX, the stale file of a dead server explained and removed', async ({ app }) => {
  const dir = await mkdtemp('/tmp/si-e2e-unix-');
  const socketPath = path.join(dir, 'app.sock');
  try {
    // A server that died without removing its socket file.
    const dead = runPython('import socket, sys, os\ns = socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\ns.listen()\nos._exit(0)', [socketPath]);
    await dead.done;
    const form = await openNewForm(app, 'New listener');
    await form.getByLabel('Listen on').selectOption('unix');
    await form.getByLabel('Socket path', { exact: true }).fill(socketPath);
    await form.getByRole('button', { name: 'Start listener' }).click();
    const alert = app.getByRole('alert');
    await expect(alert).toContainText('no longer running');
    await alert.getByRole('button', { name: 'Remove the stale file and listen' }).click();
    await expect(listenerRows(app).first()).toContainText(socketPath);

    // The peer is stopped by the fixture when the test ends.
    runPython('import socket, sys, time\ns = socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\ns.sendall(b"hello over unix")\ntime.sleep(30)', [socketPath]);
    const rows = app.getByRole('log', { name: 'Traffic' }).getByRole('row');
    await expect(rows.first()).toContainText('hello over unix');
    // The client is listed under the listener that has the path.
    await expect(connectionRows(app).first()).toContainText('(unnamed client)');
    await expect(connectionRows(app).first()).toContainText('open');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('connect to a Unix socket path, and a missing one is explained', async ({ app }) => {
  const dir = await mkdtemp('/tmp/si-e2e-unix-');
  const socketPath = path.join(dir, 'srv.sock');
  try {
    const form = await openNewForm(app, 'New connection');
    await form.getByLabel('Connect with').selectOption('unix');
    await form.getByLabel('Remote socket path').fill(socketPath);
    await form.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect(app.getByRole('alert')).toContainText(`No socket at ${socketPath}`);
    const server = runPython(
      'import socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\ns.listen()\nprint("ready", flush=True)\nc, _ = s.accept()\nc.sendall(c.recv(100).upper())\nc.close()',
      [socketPath],
    );
    await new Promise<void>((resolve) => server.child.stdout!.once('data', () => resolve()));
    await form.getByRole('button', { name: 'Connect', exact: true }).click();
    await app.getByRole('textbox', { name: 'Message' }).fill('shout');
    await app.getByRole('textbox', { name: 'Message' }).press('Enter');
    await expect(app.getByRole('log', { name: 'Traffic' }).getByRole('row').nth(1)).toContainText('SHOUT');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
