/**
 * Scenarios that run the same against every host: the browser host (web.spec.ts) and the
 * desktop app under the stand-in Electron (desktop.spec.ts). Each takes the app's page.
 */
import net from 'node:net';
import type { Page } from '@playwright/test';
import { connectionRows, expect, freePort, listenerRows, openNewForm, runPython, startListenerFromUi, stopProcess } from './fixtures';

const THREE_WRITES = `
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
for word in (b'one', b'two', b'three'):
    s.sendall(word)
    time.sleep(0.4)
s.close()
`;

const ECHO_SERVER = `
import socket, sys
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
while True:
    data = conn.recv(65536)
    if not data:
        break
    conn.sendall(data)
conn.close()
`;

/** Three writes of a client become three chunks, in order; its close closes the connection. */
export async function threeWritesBecomeThreeChunks(app: Page): Promise<void> {
  const port = await startListenerFromUi(app);
  const client = runPython(THREE_WRITES, [String(port)]);
  try {
    const log = app.getByRole('log', { name: 'Traffic' });
    const rows = log.getByRole('row');
    await expect(rows).toHaveCount(3);
    await expect(rows.nth(0)).toContainText('one');
    await expect(rows.nth(1)).toContainText('two');
    await expect(rows.nth(2)).toContainText('three');
    for (const i of [0, 1, 2]) await expect(rows.nth(i)).toContainText('← in');
    await expect(rows.nth(2)).toContainText('5 B');
    const result = await client.done;
    expect(result.code, result.stderr).toBe(0);
    // The client finished and closed: by default our side closes too.
    const connections = connectionRows(app);
    await expect(connections).toHaveCount(1);
    await expect(connections.first()).not.toContainText('half-closed');
    await expect(connections.first()).toContainText('in 11 B');
    await expect(app.getByRole('main', { name: 'Selected connection' })).toContainText('closed (peer closed first)');
  } finally {
    await stopProcess(client.child);
  }
}

/** Connect to an echo server, send text and hex, see the echo, close. */
export async function echoRoundTrip(app: Page): Promise<void> {
  const server = runPython(ECHO_SERVER);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      server.child.once('exit', () => reject(new Error('echo server exited')));
    });
    const form = await openNewForm(app, 'New connection');
    await form.getByLabel('Remote host').fill('127.0.0.1');
    await form.getByLabel('Remote port').fill(String(port));
    await form.getByRole('button', { name: 'Connect', exact: true }).click();
    const connection = connectionRows(app).first();
    await expect(connection).toContainText('open');
    await expect(connection).toHaveAttribute('aria-selected', 'true');
    // The form closed and keyboard focus went to the new connection's row.
    await expect(form).toBeHidden();
    await expect(connection).toBeFocused();

    await app.getByRole('textbox', { name: 'Message' }).fill('hello\\tworld');
    await app.getByRole('textbox', { name: 'Message' }).press('Enter');
    const rows = app.getByRole('log', { name: 'Traffic' }).getByRole('row');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toContainText('→ out');
    await expect(rows.nth(0)).toContainText('hello\\tworld');
    await expect(rows.nth(1)).toContainText('← in');
    await expect(rows.nth(1)).toContainText('hello\\tworld');
    await expect(rows.nth(1)).toContainText('11 B');
    await expect(app.getByRole('textbox', { name: 'Message' })).toHaveValue('');

    // Hex input with a line ending, then the hex dump view.
    await app.getByLabel('Hex input').check();
    await app.getByLabel('Line ending').selectOption('crlf');
    await app.getByRole('textbox', { name: 'Message' }).fill('48 69');
    await app.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(rows).toHaveCount(4);
    await expect(rows.nth(3)).toContainText('Hi\\r\\n');
    await app.getByRole('radio', { name: 'Hex dump' }).check();
    await expect(rows.nth(3)).toContainText('48 69 0d 0a');
    // Offsets are stream offsets: the echoed "hello\tworld" came in first, 11 bytes.
    await expect(rows.nth(3)).toContainText('0000000b');

    // Closing sends FIN; the echo server closes in turn.
    await app.getByRole('button', { name: 'Close', exact: true }).click();
    await expect(connection).toContainText(/(?<!half-)closed/);
    expect((await server.done).code).toBe(0);
  } finally {
    await stopProcess(server.child);
  }
}

/** A refused connection is explained beside Connect, and nothing else stops working. */
export async function refusedIsExplained(app: Page): Promise<void> {
  const port = await freePort();
  const form = await openNewForm(app, 'New connection');
  await form.getByLabel('Remote host').fill('127.0.0.1');
  await form.getByLabel('Remote port').fill(String(port));
  await form.getByRole('button', { name: 'Connect', exact: true }).click();
  const alert = app.getByRole('alert');
  await expect(alert).toContainText(`nothing is listening at 127.0.0.1:${port}`);
  await expect(alert).toContainText('ECONNREFUSED');
  // Nothing else stopped working: a listener still starts.
  await startListenerFromUi(app);
}

/** A port in use is explained, and other listeners keep working. */
export async function portInUseIsExplained(app: Page): Promise<void> {
  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
  const port = (holder.address() as net.AddressInfo).port;
  try {
    const form = await openNewForm(app, 'New listener');
    await form.getByLabel('Listen address').fill('127.0.0.1');
    await form.getByLabel('Listen port').fill(String(port));
    await form.getByRole('button', { name: 'Start listener' }).click();
    await expect(app.getByRole('alert')).toContainText(`Port ${port} is already in use`);
    await expect(app.getByRole('alert')).toContainText('EADDRINUSE');
    await expect(listenerRows(app)).toHaveCount(0);
    const free = await startListenerFromUi(app, '127.0.0.1', '0');
    expect(free).not.toBe(port);
    await expect(app.getByRole('alert')).toHaveCount(0);
  } finally {
    await new Promise<void>((r) => holder.close(() => r()));
  }
}

