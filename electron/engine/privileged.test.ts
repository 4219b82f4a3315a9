import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

// A real EACCES needs an unprivileged process. As root we run the engine as "nobody"; as an
// ordinary user we run it as ourselves. Where ports below 1024 are open to everyone, there is
// no error to explain.
const unprivilegedStart = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
const isRoot = process.getuid?.() === 0;
const skipReason =
  process.platform !== 'linux'
    ? 'needs Linux (/proc and setuid) to run the engine unprivileged'
    : unprivilegedStart <= 80
      ? `net.ipv4.ip_unprivileged_port_start is ${unprivilegedStart}, so port 80 is not privileged on this machine`
      : '';

const dir = mkdtempSync(path.join(tmpdir(), 'si-eacces-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('privileged ports', () => {
  it.skipIf(skipReason !== '')(`explains EACCES when an unprivileged user listens on port 80 ${skipReason && `(skipped: ${skipReason})`}`, async () => {
    chmodSync(dir, 0o755);
    const script = path.join(dir, 'listen80.cjs');
    const entry = path.join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `import { Engine } from ${JSON.stringify(path.resolve(__dirname, 'engine'))};
const engine = new Engine();
engine.startListener({ host: '127.0.0.1', port: 80 }).then(async (r) => {
  console.log(JSON.stringify(r));
  await engine.shutdown();
});`,
    );
    await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: script, logLevel: 'silent' });
    chmodSync(script, 0o644);
    const run = spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      timeout: 15_000,
      ...(isRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim());
    expect(result.ok).toBe(false);
    expect(result.code).toBe('EACCES');
    expect(result.message).toContain('ports below 1024');
    expect(result.hint).toContain('1024 or above');
  });
});
