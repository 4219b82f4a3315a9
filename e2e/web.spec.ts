import net from 'node:net';
import { MAX_SEND_BYTES } from '../shared/limits';
import { expect, freePort, runPython, startListenerFromUi, stopProcess, test } from './fixtures';

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

test('a listener shows each of three client writes as its own chunk', async ({ app }) => {
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
    const connections = app.getByRole('list', { name: 'Connections' }).getByRole('listitem');
    await expect(connections).toHaveCount(1);
    await expect(connections.first()).not.toContainText('half-closed');
    await expect(connections.first()).toContainText('in 11 B');
    await expect(app.getByRole('main', { name: 'Selected connection' })).toContainText('closed (peer closed first)');
  } finally {
    await stopProcess(client.child);
  }
});

test('connect to an echo server, send a message, and see the echo', async ({ app }) => {
  const server = runPython(ECHO_SERVER);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      server.child.once('exit', () => reject(new Error('echo server exited')));
    });
    await app.getByLabel('Remote host').fill('127.0.0.1');
    await app.getByLabel('Remote port').fill(String(port));
    await app.getByRole('button', { name: 'Connect' }).click();
    const connection = app.getByRole('list', { name: 'Connections' }).getByRole('listitem').first();
    await expect(connection).toContainText('open');
    await expect(connection.getByRole('button')).toHaveAttribute('aria-current', 'true');

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
    await expect(rows.nth(3)).toContainText('00000000');

    // Closing sends FIN; the echo server closes in turn.
    await app.getByRole('button', { name: 'Close', exact: true }).click();
    await expect(connection).toContainText(/(?<!half-)closed/);
    expect((await server.done).code).toBe(0);
  } finally {
    await stopProcess(server.child);
  }
});

test('a refused connection is explained beside the Connect button', async ({ app }) => {
  const port = await freePort();
  await app.getByLabel('Remote host').fill('127.0.0.1');
  await app.getByLabel('Remote port').fill(String(port));
  await app.getByRole('button', { name: 'Connect' }).click();
  const alert = app.getByRole('alert');
  await expect(alert).toContainText(`nothing is listening at 127.0.0.1:${port}`);
  await expect(alert).toContainText('ECONNREFUSED');
  // Nothing else stopped working: a listener still starts.
  await startListenerFromUi(app);
});

test('a port already in use is explained, and other listeners keep working', async ({ app }) => {
  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
  const port = (holder.address() as net.AddressInfo).port;
  try {
    await app.getByLabel('Listen address').fill('127.0.0.1');
    await app.getByLabel('Listen port').fill(String(port));
    await app.getByRole('button', { name: 'Start listener' }).click();
    await expect(app.getByRole('alert')).toContainText(`Port ${port} is already in use`);
    await expect(app.getByRole('alert')).toContainText('EADDRINUSE');
    await expect(app.getByRole('list', { name: 'Listeners' }).getByRole('listitem')).toHaveCount(0);
    const free = await startListenerFromUi(app, '127.0.0.1', '0');
    expect(free).not.toBe(port);
    await expect(app.getByRole('alert')).toHaveCount(0);
  } finally {
    await new Promise<void>((r) => holder.close(() => r()));
  }
});

test('bad input is refused in place and nothing is sent', async ({ app }) => {
  // An invalid port never reaches the engine.
  await app.getByLabel('Listen port').fill('70000');
  await app.getByRole('button', { name: 'Start listener' }).click();
  await expect(app.getByRole('alert')).toContainText('Port must be a whole number from 0 to 65535');
  await app.getByRole('button', { name: 'Dismiss error' }).click();

  const port = await startListenerFromUi(app);
  await app.getByLabel('Remote host').fill('127.0.0.1');
  await app.getByLabel('Remote port').fill(String(port));
  await app.getByRole('button', { name: 'Connect' }).click();
  const message = app.getByRole('textbox', { name: 'Message' });
  await expect(app.getByRole('button', { name: 'Send', exact: true })).toBeEnabled();

  await message.fill('bad \\q escape');
  await message.press('Enter');
  await expect(app.getByRole('alert')).toContainText('Unknown escape \\q at position 5');
  await expect(message).toHaveValue('bad \\q escape');

  await app.getByLabel('Hex input').check();
  await message.fill('48 6');
  await app.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(app.getByRole('alert')).toContainText('odd number');

  // Nothing went out on the selected connection.
  await expect(app.getByRole('log', { name: 'Traffic' }).getByRole('row')).toHaveCount(0);
  await expect(app.getByRole('main')).toContainText('out 0 B');
});

test('the access token leaves the address bar and the history, and a reload in the same tab still connects', async ({ page, host, context }) => {
  const token = new URL(host.url).searchParams.get('token')!;
  expect(token.length).toBeGreaterThan(16);
  await page.goto(host.url);
  await expect(page.getByRole('button', { name: 'Start listener' })).toBeVisible();
  await startListenerFromUi(page);
  expect(page.url()).not.toContain(token);
  expect(new URL(page.url()).searchParams.has('token')).toBe(false);
  expect(await page.evaluate(() => window.location.href)).not.toContain('token');

  // The history entry holds the URL without it: leave and come back.
  await page.goto('about:blank');
  await page.goBack();
  expect(page.url()).not.toContain(token);
  expect(new URL(page.url()).pathname).toBe('/');
  await expect(page.getByRole('list', { name: 'Listeners' }).getByRole('listitem')).toHaveCount(1);

  // A reload connects with the token this tab kept.
  await page.reload();
  await expect(page.getByRole('list', { name: 'Listeners' }).getByRole('listitem')).toHaveCount(1);
  await startListenerFromUi(page);
  await expect(page.getByRole('list', { name: 'Listeners' }).getByRole('listitem')).toHaveCount(2);
  expect(page.url()).not.toContain(token);

  // The address without the token is worth nothing in another tab.
  const other = await context.newPage();
  try {
    await other.goto(page.url());
    await expect(other.getByRole('alert')).toContainText('This page needs its access token');
  } finally {
    await other.close();
  }
});

test('a message too large for one send is refused in place, and the page stays connected', async ({ app }) => {
  const port = await startListenerFromUi(app);
  const client = net.connect({ host: '127.0.0.1', port });
  let received = 0;
  client.on('data', (d: Buffer) => (received += d.byteLength));
  client.on('error', () => {});
  try {
    await expect(app.getByRole('list', { name: 'Connections' }).getByRole('listitem')).toHaveCount(1);
    const message = app.getByRole('textbox', { name: 'Message' });
    // One byte over the most a send carries: the host refuses it with the reason.
    await message.fill('a'.repeat(MAX_SEND_BYTES + 1));
    await message.press('Enter');
    await expect(app.getByRole('alert')).toContainText('data is too large to send at once (1,048,577 bytes; 1,048,576 at most)');
    // Far over: the page does not even send it, and says why.
    await message.fill('a'.repeat(MAX_SEND_BYTES + 200_000));
    await message.press('Enter');
    await expect(app.getByRole('alert')).toContainText('more than the 1.40 MiB one message may carry');
    // The most a send carries goes through, and so does what comes after.
    await message.fill('b'.repeat(MAX_SEND_BYTES));
    await message.press('Enter');
    await expect(message).toHaveValue('');
    await message.fill('after');
    await message.press('Enter');
    await expect.poll(() => received).toBe(MAX_SEND_BYTES + 5);
    await expect(app.getByRole('main')).toContainText('out 1.00 MiB');
  } finally {
    client.destroy();
  }
});
