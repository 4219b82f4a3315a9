/**
 * For tests that need a real EACCES: run a snippet of engine code as an unprivileged process.
 * As root it runs as "nobody"; as an ordinary user, as that user.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

/** Why such a test cannot run here (not Linux, or port 80 open to everyone), or '' when it can. */
export function unprivilegedSkipReason(): string {
  if (process.platform !== 'linux') return 'needs Linux (/proc and setuid) to run unprivileged';
  const start = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
  return start <= 80 ? `net.ipv4.ip_unprivileged_port_start is ${start}, so port 80 is not privileged on this machine` : '';
}

/** Bundles a TypeScript snippet, runs it unprivileged, and returns what it printed. */
export async function runUnprivileged(source: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'si-unprivileged-'));
  try {
    chmodSync(dir, 0o755);
    const entry = path.join(dir, 'entry.ts');
    const script = path.join(dir, 'entry.cjs');
    writeFileSync(entry, source);
    await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: script, logLevel: 'silent' });
    chmodSync(script, 0o644);
    const run = spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      timeout: 15_000,
      ...(process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}),
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
