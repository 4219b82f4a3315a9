import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect, listenerRows, openNewForm, startListenerFromUi, stopProcess, test } from './fixtures';

const OPENSSL = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));

async function startTlsListener(app: import('@playwright/test').Page): Promise<number> {
  const form = await openNewForm(app, 'New listener');
  await form.getByLabel('Listen on').selectOption('tls');
  await expect(form.getByLabel('Certificate', { exact: true })).toHaveValue('self-signed');
  return startListenerFromUi(app);
}

test('a self-signed TLS listener: verification refuses it with the reason and shows the chain; without verification it connects and shows the handshake', async ({ app }) => {
  const port = await startTlsListener(app);
  await expect(listenerRows(app).first()).toContainText('TLS');
  // The listener's certificate: shown in words, with its SHA-256 fingerprint to copy.
  const detail = app.getByRole('main', { name: 'Selected TLS listener' });
  await expect(detail).toContainText('self-signed');
  await expect(detail).toContainText(/SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
  await expect(detail.getByRole('button', { name: 'Copy fingerprint' })).toBeVisible();

  const connect = await openNewForm(app, 'New connection');
  await connect.getByLabel('Connect with').selectOption('tls');
  await connect.getByLabel('Remote host').fill('127.0.0.1');
  await connect.getByLabel('Remote port').fill(String(port));
  await connect.getByLabel('Server name (SNI)').fill('localhost');
  await connect.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(app.getByRole('alert').first()).toContainText(/self-signed/i);
  const tls = app.getByRole('region', { name: 'TLS' });
  await tls.getByText(/Certificate chain/).click();
  await expect(tls.getByRole('list', { name: 'Certificate chain' })).toContainText('SHA-256');
  await expect(tls.getByRole('list', { name: 'Certificate chain' })).toContainText('localhost');

  await connect.getByLabel('Verify certificate').uncheck();
  await connect.getByLabel('ALPN protocols').fill('http/1.1');
  await connect.getByRole('button', { name: 'Connect', exact: true }).click();
  const header = app.getByRole('main', { name: 'Selected connection' });
  await expect(header.getByRole('region', { name: 'TLS' })).toContainText(/TLSv1\.[23]/);
  await expect(header.getByRole('region', { name: 'TLS' })).toContainText('certificate not verified');
  await app.getByRole('textbox', { name: 'Message' }).fill('over tls');
  await app.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(app.getByRole('log', { name: 'Traffic' }).getByRole('row').first()).toContainText('over tls');
});

test('openssl s_client talks to a TLS listener; the traffic view shows the decrypted bytes', async ({ app }) => {
  test.skip(!OPENSSL, 'openssl is not installed, so there is no real TLS peer to use');
  const port = await startTlsListener(app);
  const client = spawn(OPENSSL!, ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    client.stdin!.write('hello from openssl\n');
    const rows = app.getByRole('log', { name: 'Traffic' }).getByRole('row');
    await expect(rows.first()).toContainText('hello from openssl\\n');
    await expect(app.getByRole('main').getByRole('region', { name: 'TLS' })).toContainText(/TLSv1\.[23]/);
  } finally {
    client.stdin!.end();
    await stopProcess(client);
  }
});
