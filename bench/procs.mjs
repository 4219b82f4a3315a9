// Child processes of the bench: every one is tracked and stopped, even when the bench fails
// or is interrupted. Each child leads its own process group, so stopping it by its id also
// stops anything it started (bash → exec node keeps the same id).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH = path.join(ROOT, 'bench');

const children = new Set();
const cleanups = new Set();

function killGroup(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Stops every child still running, at once (used on exit and interrupt). */
export function killAllNow() {
  for (const child of children) killGroup(child, 'SIGKILL');
}

/** Registers an async cleanup (a browser to close, a folder to remove) run on interrupt. */
export function onCleanup(fn) {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

let interrupted = false;
/** True once SIGINT or SIGTERM asked the bench to stop. */
export const wasInterrupted = () => interrupted;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping the bench's processes\n`);
    // SIGTERM first, so the browser host shuts its engine down and removes its files.
    const stopping = [...children].map((child) => stop({ child, exited: new Promise((r) => child.once('exit', r)) }));
    const pending = [...stopping, ...[...cleanups].map((fn) => Promise.resolve().then(fn).catch(() => {}))];
    const force = setTimeout(() => process.exit(130), 5000);
    void Promise.all(pending).finally(() => {
      clearTimeout(force);
      process.exit(130);
    });
  });
}
process.on('exit', killAllNow);

/**
 * Spawns a tracked child whose stdout is read as lines. `raiseFdLimit` runs it through bash
 * with the open-files limit raised (65536 where allowed, else the hard limit).
 */
export function start(command, args, { raiseFdLimit = false, cwd = ROOT, name = path.basename(command) } = {}) {
  if (interrupted) throw new Error('interrupted');
  let cmd = command;
  let argv = args;
  if (raiseFdLimit) {
    const quoted = [command, ...args].map((a) => `'${String(a).replace(/'/g, `'\\''`)}'`).join(' ');
    cmd = 'bash';
    argv = ['-c', `ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec ${quoted}`];
  }
  const child = spawn(cmd, argv, { cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  children.add(child);
  const proc = {
    name,
    child,
    pid: child.pid,
    lines: [],
    stderr: '',
    exited: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        children.delete(child);
        proc.exitedAt = performance.timeOrigin + performance.now();
        resolve({ code, signal });
      });
      child.once('error', (err) => {
        children.delete(child);
        proc.stderr += String(err);
        resolve({ code: -1, signal: null });
      });
    }),
    waiters: [],
  };
  let buffered = '';
  child.stdout.on('data', (d) => {
    buffered += d.toString();
    let i;
    while ((i = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      proc.lines.push(line);
      for (const w of [...proc.waiters]) w();
    }
  });
  child.stderr.on('data', (d) => {
    proc.stderr = (proc.stderr + d.toString()).slice(-8000);
  });
  child.stdin.on('error', () => {});
  return proc;
}

/** Waits for a stdout line that `match` accepts (a RegExp or a predicate on parsed JSON). */
export function waitLine(proc, match, timeoutMs, what = 'a line') {
  const test = (line) => {
    if (match instanceof RegExp) return match.exec(line);
    try {
      const obj = JSON.parse(line);
      if (obj && obj.event === 'error') throw Object.assign(new Error(`${proc.name}: ${obj.message}`), { peerError: true });
      return match(obj) ? obj : null;
    } catch (err) {
      if (err.peerError) throw err;
      return null;
    }
  };
  return new Promise((resolve, reject) => {
    let seen = 0;
    const check = () => {
      try {
        for (; seen < proc.lines.length; seen++) {
          const hit = test(proc.lines[seen]);
          if (hit) return done(null, hit);
        }
      } catch (err) {
        return done(err);
      }
      return undefined;
    };
    const timer = setTimeout(() => done(new Error(`${proc.name} printed no ${what} in ${Math.round(timeoutMs / 1000)} s\n${proc.stderr}`)), timeoutMs);
    const onExit = () => {
      check();
      done(new Error(`${proc.name} exited before ${what}:\n${proc.stderr}`));
    };
    void proc.exited.then(onExit);
    function done(err, value) {
      clearTimeout(timer);
      proc.waiters = proc.waiters.filter((w) => w !== check);
      if (err) reject(err);
      else resolve(value);
    }
    proc.waiters.push(check);
    check();
  });
}

/** Stops a child (SIGTERM, then SIGKILL after 3 s) and waits for it. */
export async function stop(proc) {
  if (!proc) return;
  const { child } = proc;
  if (child.exitCode === null && child.signalCode === null) {
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
    await proc.exited;
    clearTimeout(timer);
  }
}

/** Runs `node bench/peer.mjs MODE ...`. */
export function peer(mode, args = {}, options = {}) {
  const argv = [path.join(BENCH, 'peer.mjs'), mode];
  for (const [k, v] of Object.entries(args)) argv.push(`--${k}`, String(v));
  return start(process.execPath, argv, { name: `peer ${mode}`, ...options });
}

/** A running browser host: the built dist/electron/web.cjs with its own data folder. */
export async function startHost({ raiseFdLimit = false, nodeArgs = [] } = {}) {
  const web = path.join(ROOT, 'dist/electron/web.cjs');
  if (!existsSync(web)) throw new Error('dist/electron/web.cjs is missing: run npm run build (npm run bench does)');
  if (interrupted) throw new Error('interrupted');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'si-bench-data-'));
  const removeDir = onCleanup(() => rm(dataDir, { recursive: true, force: true }));
  const proc = start(process.execPath, [...nodeArgs, web, '--no-open', '--port', '0', '--data-dir', dataDir], { raiseFdLimit, name: 'browser host' });
  proc.dataDir = dataDir;
  proc.close = async () => {
    await stop(proc);
    await rm(dataDir, { recursive: true, force: true });
    removeDir();
  };
  try {
    const m = await waitLine(proc, /Socket Inspector is running at (http:\/\/\S+\?token=\S+)/, 20_000, 'URL');
    proc.url = m[1];
  } catch (err) {
    await proc.close();
    throw err;
  }
  return proc;
}

/** VmRSS, VmHWM (peak resident set) and the open-files limit of a process, in bytes / count. */
export function procStatus(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  let nofile = NaN;
  try {
    nofile = Number(/^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1] ?? NaN);
  } catch {
    // limits unreadable: leave NaN
  }
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), nofile };
}

/**
 * CPU time a process has used so far (user + system, its own threads; not its children), in
 * seconds, from /proc/PID/stat. Fields 14 and 15 count clock ticks (100 per second on Linux).
 */
export function procCpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** The kernel's TCP sockets (/proc/net/tcp and tcp6), one row each: addresses, state, queue, inode. */
export function tcpTable() {
  const rows = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [laddr, lport] = f[1].split(':');
      const [, rport] = f[2].split(':');
      const [, rxq] = f[4].split(':');
      rows.push({ laddr, lport: parseInt(lport, 16), rport: parseInt(rport, 16), state: f[3], rxQueue: parseInt(rxq, 16), inode: f[9] });
    }
  }
  return rows;
}

/** True while something listens on 127.0.0.1:port (read from /proc/net/tcp, without connecting). */
export function isListening(port) {
  return tcpTable().some((r) => r.state === '0A' && r.lport === port);
}

/** Waits (bounded) until something listens on the port. */
export async function waitListening(port, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (isListening(port)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs / 1000} s`);
}

/** TCP listen-queue overflow counters (TcpExt ListenOverflows, ListenDrops) for diagnosis. */
export function listenDrops() {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const i = lines.findIndex((l) => l.startsWith('TcpExt:'));
    const keys = lines[i].split(/\s+/);
    const vals = lines[i + 1].split(/\s+/);
    return { overflows: Number(vals[keys.indexOf('ListenOverflows')]), drops: Number(vals[keys.indexOf('ListenDrops')]) };
  } catch {
    return { overflows: NaN, drops: NaN };
  }
}

/** Finds a program on PATH. */
export function which(name) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return null;
}
