import type { Page } from '@playwright/test';
import { expect, listenerRows, openNewForm, runPython, test } from './fixtures';

const ECHO_SERVER = `
import socket
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', 0))
srv.listen()
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
while True:
    d = c.recv(65536)
    if not d: break
    c.sendall(d)
c.close()
`;

async function startRelay(app: Page, targetPort: number): Promise<number> {
  const form = await openNewForm(app, 'New relay');
  await form.getByLabel('Target host').fill('127.0.0.1');
  await form.getByLabel('Target port').fill(String(targetPort));
  await form.getByRole('button', { name: 'Start relay' }).click();
  // A relay is listed with its port and its Stop like any listener.
  const row = listenerRows(app).filter({ hasText: 'relay to' });
  await expect(row).toContainText(`relay to 127.0.0.1:${targetPort}`);
  return Number(/127\.0\.0\.1:(\d+)/.exec((await row.innerText())!)![1]);
}

test('relay: a Python client and echo server through the relay, both directions in one timeline; pause holds and resume releases in order; inject reaches the right side', async ({ app }) => {
  const server = runPython(ECHO_SERVER);
  const target = await new Promise<number>((resolve) => server.child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  const relayPort = await startRelay(app, target);
  const client = runPython(
    `
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.settimeout(20)
def read(n):
    got = b''
    while len(got) < n:
        d = s.recv(100)
        if not d: break
        got += d
    return got
s.sendall(b'ping')
print(repr(read(4)), flush=True)
time.sleep(2.5)
s.sendall(b'later')
print(repr(read(5 + 8)), flush=True)
`,
    [String(relayPort)],
  );
  const rows = app.getByRole('log', { name: 'Traffic' }).getByRole('row');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText('c→s');
  await expect(rows.nth(0)).toContainText('ping');
  await expect(rows.nth(1)).toContainText('s→c');
  // Hold what the server sends back, then release it.
  const s2c = app.getByRole('group', { name: 'Server → client' });
  await s2c.getByRole('button', { name: 'Pause' }).click();
  await expect(s2c).toContainText('paused');
  await expect(rows).toHaveCount(4, { timeout: 10_000 });
  await expect(s2c).toContainText('5 B queued');
  await app.getByLabel('Inject into').selectOption('s2c');
  await app.getByRole('textbox', { name: 'Message' }).fill('injected');
  await app.getByRole('button', { name: 'Inject' }).click();
  await s2c.getByRole('button', { name: 'Resume' }).click();
  const out = (await client.done).stdout.trim().split('\n');
  expect(out).toEqual(["b'ping'", "b'laterinjected'"]);
});

test('relay: a target that is down is explained on the pair, which closes; Inject is disabled', async ({ app }) => {
  const dead = runPython("import socket\ns = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1], flush=True); s.close()");
  const deadPort = Number((await dead.done).stdout.trim());
  const relayPort = await startRelay(app, deadPort);
  const client = runPython("import socket, sys\ns = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\nprint(repr(s.recv(10)), flush=True)", [String(relayPort)]);
  expect((await client.done).stdout.trim()).toBe("b''");
  await expect(app.getByRole('main').getByRole('alert')).toContainText('could not reach its target');
  await expect(app.getByRole('main').getByRole('region', { name: 'Relay' })).toContainText('could not connect');
  await expect(app.getByRole('main', { name: 'Selected connection' })).toContainText('The relay could not reach its target');
  await expect(app.getByRole('button', { name: 'Inject' })).toBeDisabled();
  await expect(app.getByText('Nothing to inject into: this pair has no target.')).toBeVisible();
});
