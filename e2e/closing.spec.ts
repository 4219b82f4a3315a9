import { expect, runPython, startListenerFromUi, stopProcess, test } from './fixtures';

/** A client that sends a line, finishes (FIN), and then reads until the server closes. */
const FINISHER = `
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.sendall(b'bye\\n')
s.shutdown(socket.SHUT_WR)
got = b''
while True:
    d = s.recv(100)
    if not d: break
    got += d
print(repr(got), flush=True)
`;

test('a client that finishes sending is closed by default; Remove closed forgets it and the totals say so', async ({ app }) => {
  const port = await startListenerFromUi(app);
  const listeners = app.getByRole('list', { name: 'Listeners' }).getByRole('listitem');
  const connections = app.getByRole('list', { name: 'Connections' }).getByRole('listitem');
  for (let i = 0; i < 3; i++) {
    const c = runPython(FINISHER, [String(port)]);
    try {
      expect((await c.done).stdout.trim()).toBe("b''");
    } finally {
      await stopProcess(c.child);
    }
  }
  await expect(connections).toHaveCount(3);
  for (const i of [0, 1, 2]) await expect(connections.nth(i)).not.toContainText('half-closed');
  await expect(listeners.first()).toContainText('0 clients');
  await expect(listeners.first()).toContainText('3 accepted');
  // One closed connection, from its header.
  await connections.first().getByRole('button').click();
  await expect(app.getByRole('main', { name: 'Selected connection' })).toContainText('closed (peer closed first)');
  await app.getByRole('main', { name: 'Selected connection' }).getByRole('button', { name: 'Remove', exact: true }).click();
  await expect(connections).toHaveCount(2);
  await expect(app.getByText('1 closed removed')).toBeVisible();
  // The rest, from the listener's row.
  await listeners.first().getByRole('button', { name: 'Remove closed' }).click();
  await expect(connections).toHaveCount(0);
  await expect(app.getByText('3 closed removed')).toBeVisible();
  await expect(listeners.first()).toContainText('3 accepted');
  await expect(app.getByRole('button', { name: 'Remove closed' })).toBeDisabled();
});

test('Keep connections half-open: the client that finished can still be sent to, and is closed when idle', async ({ app }) => {
  await app.getByLabel('Keep connections half-open when the client finishes sending').check();
  await app.getByLabel('Idle limit (s)').fill('2');
  const port = await startListenerFromUi(app);
  const listeners = app.getByRole('list', { name: 'Listeners' }).getByRole('listitem');
  await expect(listeners.first()).toContainText('half-open, idle limit 2 s');
  const c = runPython(FINISHER, [String(port)]);
  try {
    const connections = app.getByRole('list', { name: 'Connections' }).getByRole('listitem');
    await expect(connections.first()).toContainText('half-closed (peer sent FIN)');
    await expect(listeners.first()).toContainText('0 clients');
    await app.getByLabel('Message').fill('still here');
    await app.getByRole('button', { name: 'Send', exact: true }).click();
    expect((await c.done).stdout.trim()).toBe("b'still here'");
    await expect(app.getByRole('main', { name: 'Selected connection' })).toContainText('closed after 2 s idle while half-open');
  } finally {
    await stopProcess(c.child);
  }
});

test('an idle limit that is not a number of seconds is refused in place', async ({ app }) => {
  await app.getByLabel('Keep connections half-open when the client finishes sending').check();
  await app.getByLabel('Idle limit (s)').fill('soon');
  await app.getByRole('button', { name: 'Start listener' }).click();
  await expect(app.getByRole('alert')).toContainText('Idle limit must be a whole number of seconds');
  await expect(app.getByRole('list', { name: 'Listeners' }).getByRole('listitem')).toHaveCount(0);
});
