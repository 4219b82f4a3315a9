import type { Page } from '@playwright/test';
import { expect, openNewForm, runPython, test, tree } from './fixtures';

/** Binds a UDP socket from the New bar; returns its row in the tree and its port. */
async function bindUdp(app: Page) {
  const form = await openNewForm(app, 'New UDP socket');
  await form.getByLabel('UDP bind address').fill('127.0.0.1');
  await form.getByLabel('UDP bind port').fill('0');
  await form.getByRole('button', { name: 'Bind UDP socket' }).click();
  const item = tree(app).getByRole('treeitem', { name: /UDP socket/ }).first();
  await expect(item).toContainText('UDP');
  return { item, port: Number(/127\.0\.0\.1:(\d+)/.exec((await item.innerText())!)![1]) };
}

test('UDP: one row per datagram with its sender; reply to the sender of a datagram from the UI', async ({ app }) => {
  const { port } = await bindUdp(app);

  const peer = runPython(
    `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
s.settimeout(20)
print(s.getsockname()[1], flush=True)
for m in (b'one', b'two two', b'three three three'):
    s.sendto(m, ('127.0.0.1', int(sys.argv[1])))
data, _ = s.recvfrom(65535)
print(repr(data), flush=True)
`,
    [String(port)],
  );
  const peerPort = await new Promise<number>((resolve) => peer.child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  const rows = app.getByRole('log', { name: 'Traffic' }).getByRole('row');
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toContainText(`from 127.0.0.1:${peerPort}`);
  await expect(rows.nth(0)).toContainText('3 B');
  await expect(rows.nth(2)).toContainText('three three three');

  await rows.nth(1).getByRole('button', { name: /^Expand chunk/ }).click();
  await rows.nth(1).getByRole('button', { name: 'Reply to this sender' }).click();
  await expect(app.getByLabel('Destination port')).toHaveValue(String(peerPort));
  // The cursor is where the reply is typed.
  await expect(app.getByRole('textbox', { name: 'Message' })).toBeFocused();
  await app.getByRole('textbox', { name: 'Message' }).fill('pong');
  await app.getByRole('button', { name: 'Send datagram' }).click();
  expect((await peer.done).stdout).toContain("b'pong'");
  await expect(rows.nth(3)).toContainText(`to 127.0.0.1:${peerPort}`);
});

test('UDP: a datagram too large for UDP is refused with the limit', async ({ app }) => {
  await bindUdp(app);
  await app.getByLabel('Destination port').fill('9');
  await app.getByLabel('Hex input').check();
  await app.getByRole('textbox', { name: 'Message' }).fill('00'.repeat(70_000));
  await app.getByRole('button', { name: 'Send datagram' }).click();
  await expect(app.getByRole('alert')).toContainText('65,507');
});

test('UDP: traffic grouped by peer', async ({ app }) => {
  const { port } = await bindUdp(app);
  const code = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
for i in range(int(sys.argv[2])):
    s.sendto(b'%s #%d' % (sys.argv[3].encode(), i), ('127.0.0.1', int(sys.argv[1])))
print(s.getsockname()[1], flush=True)
`;
  const a = runPython(code, [String(port), '2', 'alpha']);
  const b = runPython(code, [String(port), '3', 'beta']);
  const aPort = Number((await a.done).stdout.trim());
  const bPort = Number((await b.done).stdout.trim());
  const rows = app.getByRole('log', { name: 'Traffic' }).getByRole('row');
  await expect(rows).toHaveCount(5);
  await app.getByLabel('Peer').selectOption(`127.0.0.1:${bPort}`);
  await expect(rows).toHaveCount(3);
  for (const i of [0, 1, 2]) await expect(rows.nth(i)).toContainText('beta');
  await app.getByLabel('Peer').selectOption(`127.0.0.1:${aPort}`);
  await expect(rows).toHaveCount(2);
  await app.getByLabel('Peer').selectOption('');
  await expect(rows).toHaveCount(5);
});
