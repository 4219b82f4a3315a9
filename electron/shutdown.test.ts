import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundle, killChildren, runNode } from './testing/node-child';

/*
 * A real process that serves a socket and captures bytes, as the browser host does. Its stop()
 * waits for its server to close, and a client of its own that never leaves keeps that from ever
 * happening: the case in which shutdown used to hang for good.
 */
const SERVER = `
import net from 'node:net';
import { CaptureStore, ConnectionCapture } from ${JSON.stringify(path.join(import.meta.dirname, 'engine/capture'))};
import { exitOnSignals } from ${JSON.stringify(path.join(import.meta.dirname, 'shutdown'))};

const store = new CaptureStore(1 << 20);
const capture = new ConnectionCapture('C1');
store.add(capture, { connectionId: 'C1', seq: 0, direction: 'in', time: Date.now(), size: 5, data: new Uint8Array(5) });
const server = net.createServer(() => {});
server.listen(0, '127.0.0.1', () => {
  const hang = process.env.HANG === '1';
  if (hang) net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  exitOnSignals({
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    deadlineMs: Number(process.env.DEADLINE_MS),
    report: (message) => process.stderr.write(message + '\\n'),
  });
  setTimeout(() => console.log('ready ' + store.directory), hang ? 200 : 0);
});
`;

let dir: string;
let script: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'si-shutdown-test-'));
  writeFileSync(path.join(dir, 'server.ts'), SERVER);
  script = path.join(dir, 'server.cjs');
  await bundle(path.join(dir, 'server.ts'), script);
});

afterEach(() => killChildren());

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startServer(env: Record<string, string>) {
  const run = runNode(script, [], { env: { ...process.env, ...env } });
  const folder = (await run.waitFor(/ready (\S+)/))[1]!;
  expect(existsSync(folder)).toBe(true);
  return { ...run, folder };
}

describe('exitOnSignals', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s: a stop that finishes exits 0 at once, and the capture folder is gone', async (signal) => {
    const server = await startServer({ DEADLINE_MS: '3000' });
    server.child.kill(signal);
    const exit = await server.exited();
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.afterMs).toBeLessThan(1000);
    expect(existsSync(server.folder)).toBe(false);
  });

  it('a stop that hangs is cut off at the deadline with code 1, and the capture folder is still removed', async () => {
    const server = await startServer({ DEADLINE_MS: '1500', HANG: '1' });
    server.child.kill('SIGTERM');
    const exit = await server.exited();
    expect(exit).toMatchObject({ code: 1, signal: null });
    expect(exit.afterMs).toBeGreaterThanOrEqual(1400);
    expect(exit.afterMs).toBeLessThan(3000);
    expect(server.output()).toContain('Did not stop within 1.5 s of SIGTERM: exiting anyway.');
    expect(existsSync(server.folder)).toBe(false);
  });

  it('a second Ctrl+C exits at once with 130, during a stop that hangs', async () => {
    const server = await startServer({ DEADLINE_MS: '10000', HANG: '1' });
    server.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 500));
    expect(server.child.exitCode).toBeNull();
    server.child.kill('SIGINT');
    const exit = await server.exited();
    expect(exit).toMatchObject({ code: 130, signal: null });
    expect(exit.afterMs).toBeLessThan(1000);
    expect(server.output()).toContain('SIGINT again: exiting now.');
    expect(existsSync(server.folder)).toBe(false);
  });
});
