import { connectionRows, expect, listenerRows, openNewForm, rowAction, runPython, startListenerFromUi, stopProcess, test } from './fixtures';

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
  const listeners = listenerRows(app);
  const connections = connectionRows(app);
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
  await listeners.first().click();
  await expect(app.getByRole('main', { name: 'Selected TCP listener' })).toContainText('3 accepted');
  // One closed connection, from its header.
  await connections.first().click();
  await expect(app.getByRole('main', { name: 'Selected connection' })).toContainText('closed (peer closed first)');
  await app.getByRole('main', { name: 'Selected connection' }).getByRole('button', { name: 'Remove', exact: true }).click();
  await expect(connections).toHaveCount(2);
  await expect(app.getByText('1 closed removed')).toBeVisible();
  // One more with the keyboard: Delete on a closed row removes it.
  await connections.first().focus();
  await app.keyboard.press('Delete');
  await expect(connections).toHaveCount(1);
  await expect(app.getByText('2 closed removed')).toBeVisible();
  // The rest, from the listener row's actions.
  await rowAction(app, listeners.first(), 'Remove closed (1)');
  await expect(connections).toHaveCount(0);
  await expect(app.getByText('3 closed removed')).toBeVisible();
  await listeners.first().click();
  await expect(app.getByRole('main', { name: 'Selected TCP listener' })).toContainText('3 accepted');
  await expect(app.getByRole('navigation', { name: 'Connections' }).getByRole('button', { name: 'Remove closed' })).toHaveAttribute('aria-disabled', 'true');
});

test('Keep connections half-open: the client that finished can still be sent to, and is closed when idle', async ({ app }) => {
  const form = await openNewForm(app, 'New listener');
  await form.getByLabel('Keep connections half-open when the client finishes sending').check();
  await form.getByLabel('Idle limit (s)').fill('2');
  const port = await startListenerFromUi(app);
  const listeners = listenerRows(app);
  await expect(app.getByRole('main', { name: 'Selected TCP listener' })).toContainText('half-open, idle limit 2 s');
  const c = runPython(FINISHER, [String(port)]);
  try {
    const connections = connectionRows(app);
    await expect(connections.first()).toContainText('half-closed (peer sent FIN)');
    await expect(listeners.first()).toContainText('0 clients');
    await app.getByRole('textbox', { name: 'Message' }).fill('still here');
    await app.getByRole('button', { name: 'Send', exact: true }).click();
    expect((await c.done).stdout.trim()).toBe("b'still here'");
    await expect(app.getByRole('main', { name: 'Selected connection' })).toContainText('closed after 2 s idle while half-open');
  } finally {
    await stopProcess(c.child);
  }
});

test('an idle limit that is not a number of seconds is refused in place', async ({ app }) => {
  const form = await openNewForm(app, 'New listener');
  await form.getByLabel('Keep connections half-open when the client finishes sending').check();
  await form.getByLabel('Idle limit (s)').fill('soon');
  await form.getByRole('button', { name: 'Start listener' }).click();
  await expect(form.getByRole('alert')).toContainText('Idle limit must be a whole number of seconds');
  await expect(listenerRows(app)).toHaveCount(0);
});
