import net from 'node:net';
import { formatBytes } from '../shared/format';
import { MAX_CLIENT_MESSAGE_BYTES, MAX_SEND_BYTES } from '../shared/limits';
import { connectionRows, expect, listenerRows, openNewForm, startListenerFromUi, test } from './fixtures';
import { echoRoundTrip, portInUseIsExplained, refusedIsExplained, threeWritesBecomeThreeChunks } from './scenarios';

test('a listener shows each of three client writes as its own chunk', ({ app }) => threeWritesBecomeThreeChunks(app));

test('connect to an echo server, send a message, and see the echo', ({ app }) => echoRoundTrip(app));

test('a refused connection is explained beside the Connect button', ({ app }) => refusedIsExplained(app));

test('a port already in use is explained, and other listeners keep working', ({ app }) => portInUseIsExplained(app));

test('bad input is refused in place and nothing is sent', async ({ app }) => {
  // An invalid port never reaches the engine.
  const listen = await openNewForm(app, 'New listener');
  await listen.getByLabel('Listen port').fill('70000');
  await listen.getByRole('button', { name: 'Start listener' }).click();
  await expect(app.getByRole('alert')).toContainText('Listen port: 70000 is out of range');
  await expect(app.getByRole('alert')).toContainText('Port must be a whole number from 0 to 65535');
  // The field at fault is marked and has the cursor.
  await expect(listen.getByLabel('Listen port')).toHaveAttribute('aria-invalid', 'true');
  await expect(listen.getByLabel('Listen port')).toBeFocused();
  await app.getByRole('button', { name: 'Dismiss error' }).click();

  const port = await startListenerFromUi(app);
  const connect = await openNewForm(app, 'New connection');
  await connect.getByLabel('Remote host').fill('127.0.0.1');
  await connect.getByLabel('Remote port').fill(String(port));
  await connect.getByRole('button', { name: 'Connect', exact: true }).click();
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
  await expect(page.getByRole('toolbar', { name: 'New' })).toBeVisible();
  await startListenerFromUi(page);
  expect(page.url()).not.toContain(token);
  expect(new URL(page.url()).searchParams.has('token')).toBe(false);
  expect(await page.evaluate(() => window.location.href)).not.toContain('token');

  // The history entry holds the URL without it: leave and come back.
  await page.goto('about:blank');
  await page.goBack();
  expect(page.url()).not.toContain(token);
  expect(new URL(page.url()).pathname).toBe('/');
  await expect(listenerRows(page)).toHaveCount(1);

  // A reload connects with the token this tab kept.
  await page.reload();
  await expect(listenerRows(page)).toHaveCount(1);
  await startListenerFromUi(page);
  await expect(listenerRows(page)).toHaveCount(2);
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
    await expect(connectionRows(app)).toHaveCount(1);
    const message = app.getByRole('textbox', { name: 'Message' });
    // One byte over the most a send carries: the host refuses it with the reason.
    await message.fill('a'.repeat(MAX_SEND_BYTES + 1));
    await message.press('Enter');
    await expect(app.getByRole('alert')).toContainText('data is too large to send at once (1,048,577 bytes; 1,048,576 at most)');
    // Far over: the page does not even send it, and says why.
    await message.fill('a'.repeat(MAX_SEND_BYTES + 200_000));
    await message.press('Enter');
    await expect(app.getByRole('alert')).toContainText(`more than the ${formatBytes(MAX_CLIENT_MESSAGE_BYTES)} one message may carry`);
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
