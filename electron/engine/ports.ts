import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { endianness } from 'node:os';
import type { PortEntry } from '../../shared/model';

/**
 * Who holds which port. Linux reads /proc directly (no external programs, no privileges needed
 * beyond what /proc shows us); macOS and the other Unixes ask lsof; Windows asks netstat and
 * tasklist. The text parsers are pure functions so each platform's format is tested everywhere.
 */

export type PortProtocol = PortEntry['protocol'];

/** One socket line of /proc/net/{tcp,tcp6,udp,udp6} that we list. */
export interface ProcNetSocket {
  protocol: PortProtocol;
  address: string;
  port: number;
  /** Socket inode, matched against "socket:[inode]" links in /proc/<pid>/fd. 0 when the kernel gave none. */
  inode: number;
  /** Kernel socket state, two hex digits as /proc prints them (0A = LISTEN, 07 = CLOSE, 01 = ESTABLISHED). */
  state: string;
}

const TCP_LISTEN = '0A';
// An unconnected UDP socket is in TCP_CLOSE (07); one that called connect() is ESTABLISHED (01).
// Both hold their local port (another bind to it fails), so both are listed, as lsof and netstat do.
const UDP_BOUND_STATES = new Set(['07', '01']);

// ---------------------------------------------------------------------------------------------
// Addresses

/** RFC 5952 text for 16 bytes: lowercase, longest run of zero groups (two or more) as "::", IPv4-mapped as ::ffff:a.b.c.d. */
export function formatIPv6(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new Error(`an IPv6 address has 16 bytes, not ${bytes.length}`);
  const isMapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isMapped) return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** 16 bytes of an IPv6 literal (with or without "::", with an IPv4 tail or a %zone), or null when it is not one. */
export function parseIPv6(text: string): Uint8Array | null {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const toGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = toGroups(halves[0]!);
  const tail = halves.length === 2 ? toGroups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

function parseIPv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return out.every((n) => n >= 0 && n <= 255) ? out : null;
}

/**
 * One comparable spelling of an address: IPv6 compressed, IPv4-mapped IPv6 as plain IPv4,
 * brackets and zones dropped. Anything that is not an IP literal is returned lowercased.
 */
export function normalizeAddress(address: string): string {
  const s = address.trim().toLowerCase();
  if (parseIPv4(s)) return s;
  const v6 = parseIPv6(s);
  if (!v6) return s;
  const text = formatIPv6(v6);
  return text.startsWith('::ffff:') && text.includes('.') ? text.slice(7) : text;
}

/**
 * /proc prints an address as the raw in-memory 32-bit words in hex, so on a little-endian CPU
 * each group of 8 hex digits is byte-reversed: 0100007F is 127.0.0.1.
 */
export function decodeProcAddress(hex: string, byteOrder: 'LE' | 'BE' = 'LE'): string {
  if (!/^[0-9A-Fa-f]+$/.test(hex) || (hex.length !== 8 && hex.length !== 32)) {
    throw new Error(`not a /proc socket address: ${hex}`);
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let word = 0; word < hex.length / 8; word++) {
    for (let i = 0; i < 4; i++) {
      const src = byteOrder === 'LE' ? 3 - i : i;
      bytes[word * 4 + i] = parseInt(hex.slice(word * 8 + src * 2, word * 8 + src * 2 + 2), 16);
    }
  }
  return bytes.length === 4 ? Array.from(bytes).join('.') : formatIPv6(bytes);
}

// ---------------------------------------------------------------------------------------------
// Parsers (pure)

/**
 * The listening TCP sockets (state 0A) or the bound UDP sockets (local port set) of one
 * /proc/net/{tcp,tcp6,udp,udp6} text. Connections and unbound sockets are left out.
 */
export function parseProcNet(text: string, protocol: PortProtocol, byteOrder: 'LE' | 'BE' = 'LE'): ProcNetSocket[] {
  const isTcp = protocol === 'tcp' || protocol === 'tcp6';
  const out: ProcNetSocket[] = [];
  for (const line of text.split('\n')) {
    // "  0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000  0 12345 1 ..."
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^\d+:$/.test(f[0]!)) continue;
    const local = f[1]!;
    const state = f[3]!.toUpperCase();
    const colon = local.lastIndexOf(':');
    if (colon < 0) continue;
    const port = parseInt(local.slice(colon + 1), 16);
    if (!Number.isFinite(port) || port === 0) continue;
    if (isTcp ? state !== TCP_LISTEN : !UDP_BOUND_STATES.has(state)) continue;
    let address: string;
    try {
      address = decodeProcAddress(local.slice(0, colon), byteOrder);
    } catch {
      continue;
    }
    const inode = Number(f[9]);
    out.push({ protocol, address, port, inode: Number.isFinite(inode) ? inode : 0, state });
  }
  return out;
}

/**
 * `lsof -nP -iTCP -sTCP:LISTEN -iUDP -F pcPtn` output: one field per line, a letter then the
 * value. "p" starts a process (its "c" follows), "f" starts a file within it, and the file's
 * "t" (IPv4/IPv6), "P" (TCP/UDP) and "n" (local[->remote]) follow.
 */
export function parseLsof(text: string): PortEntry[] {
  const out: PortEntry[] = [];
  const seen = new Set<string>();
  let pid: number | undefined;
  let command: string | undefined;
  let file: { type?: string; proto?: string; name?: string } | undefined;

  const flush = () => {
    if (!file || pid === undefined || !file.name || !file.proto) return;
    const proto = file.proto.toUpperCase();
    if (proto !== 'TCP' && proto !== 'UDP') return;
    // Remote part of a connected socket: "10.0.0.5:5353->10.0.0.1:53".
    const local = file.name.split('->')[0]!.replace(/\s*\(.*\)$/, '');
    const colon = local.lastIndexOf(':');
    if (colon < 0) return;
    const port = Number(local.slice(colon + 1));
    if (!Number.isInteger(port) || port <= 0) return;
    let host = local.slice(0, colon);
    const v6 = file.type === 'IPv6' || host.startsWith('[');
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    if (host === '*') host = v6 ? '::' : '0.0.0.0';
    else if (v6) {
      const zone = host.indexOf('%');
      const bytes = parseIPv6(zone >= 0 ? host.slice(0, zone) : host);
      if (bytes) host = formatIPv6(bytes) + (zone >= 0 ? host.slice(zone) : '');
    }
    const protocol: PortProtocol = `${proto === 'TCP' ? 'tcp' : 'udp'}${v6 ? '6' : ''}` as PortProtocol;
    // The same socket shows once per descriptor (dup, fork); once per process is enough.
    const key = `${protocol} ${host} ${port} ${pid}`;
    if (seen.has(key)) return;
    seen.add(key);
    const entry: PortEntry = { protocol, address: host, port, pid };
    if (command !== undefined) entry.process = command;
    out.push(entry);
  };

  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') continue;
    const tag = line[0];
    const value = line.slice(1);
    switch (tag) {
      case 'p':
        flush();
        file = undefined;
        pid = Number(value);
        command = undefined;
        break;
      case 'c':
        command = value;
        break;
      case 'f':
        flush();
        file = {};
        break;
      case 't':
        file = file ?? {};
        file.type = value;
        break;
      case 'P':
        file = file ?? {};
        file.proto = value;
        break;
      case 'n':
        file = file ?? {};
        file.name = value;
        break;
      default:
        break;
    }
  }
  flush();
  return sortEntries(out);
}

/**
 * `netstat -ano` output on Windows: TCP rows in the listening state and every UDP row. The
 * state word is translated on some Windows languages, so a TCP row whose foreign address is
 * 0.0.0.0:0 or [::]:0 also counts as listening.
 */
export function parseNetstat(text: string): PortEntry[] {
  const out: PortEntry[] = [];
  for (const raw of text.split('\n')) {
    const f = raw.trim().split(/\s+/);
    const proto = f[0]?.toUpperCase();
    if (proto !== 'TCP' && proto !== 'UDP') continue;
    // TCP: proto local foreign state pid. UDP: proto local foreign pid (no state).
    const local = f[1];
    const foreign = f[2];
    const pidText = f[f.length - 1];
    if (!local || !foreign || !pidText || !/^\d+$/.test(pidText)) continue;
    if (proto === 'TCP') {
      if (f.length < 5) continue;
      const state = f[3]!.toUpperCase();
      const foreignIdle = /^(0\.0\.0\.0|\[::\]):0$/.test(foreign);
      if (state !== 'LISTENING' && !(foreignIdle && state !== 'ESTABLISHED' && state !== 'BOUND')) continue;
    }
    const colon = local.lastIndexOf(':');
    if (colon < 0) continue;
    const port = Number(local.slice(colon + 1));
    if (!Number.isInteger(port) || port <= 0) continue;
    let host = local.slice(0, colon);
    const v6 = host.startsWith('[');
    if (v6) {
      host = host.slice(1, -1);
      const zone = host.indexOf('%');
      const bytes = parseIPv6(zone >= 0 ? host.slice(0, zone) : host);
      if (bytes) host = formatIPv6(bytes) + (zone >= 0 ? host.slice(zone) : '');
    } else if (host === '*') {
      host = '0.0.0.0';
    }
    const protocol = `${proto === 'TCP' ? 'tcp' : 'udp'}${v6 ? '6' : ''}` as PortProtocol;
    out.push({ protocol, address: host, port, pid: Number(pidText) });
  }
  return sortEntries(out);
}

/** `tasklist /FO CSV /NH`: image name by pid. */
export function parseTasklist(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const raw of text.split('\n')) {
    const cells = parseCsvLine(raw.replace(/\r$/, ''));
    if (cells.length < 2) continue;
    const pid = Number(cells[1]);
    if (!/^\d+$/.test(cells[1]!.trim()) || !Number.isInteger(pid)) continue;
    names.set(pid, cells[0]!);
  }
  return names;
}

function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  while (i < line.length) {
    let cell = '';
    if (line[i] === '"') {
      i++;
      while (i < line.length) {
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        cell += line[i++];
      }
      while (i < line.length && line[i] !== ',') i++;
    } else {
      while (i < line.length && line[i] !== ',') cell += line[i++];
    }
    cells.push(cell);
    i++; // the comma
  }
  return cells;
}

const PROTOCOL_ORDER: Record<PortProtocol, number> = { tcp: 0, tcp6: 1, udp: 2, udp6: 3 };

function sortEntries(entries: PortEntry[]): PortEntry[] {
  return entries.sort(
    (a, b) =>
      a.port - b.port ||
      PROTOCOL_ORDER[a.protocol] - PROTOCOL_ORDER[b.protocol] ||
      (a.address < b.address ? -1 : a.address > b.address ? 1 : 0) ||
      (a.pid ?? Infinity) - (b.pid ?? Infinity),
  );
}

// ---------------------------------------------------------------------------------------------
// Linux: /proc

/** At most this many /proc reads in flight: enough to overlap, few enough to leave libuv's small thread pool to the rest of the app. */
const PROC_CONCURRENCY = 16;

function limiter(max: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    // A finishing task hands its slot straight to the next waiter, so the count never overshoots.
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

const PROC_NET_FILES: Array<[PortProtocol, string]> = [
  ['tcp', '/proc/net/tcp'],
  ['tcp6', '/proc/net/tcp6'],
  ['udp', '/proc/net/udp'],
  ['udp6', '/proc/net/udp6'],
];

async function readProcSockets(protocols: PortProtocol[]): Promise<ProcNetSocket[]> {
  const order = endianness();
  const lists = await Promise.all(
    PROC_NET_FILES.filter(([p]) => protocols.includes(p)).map(async ([protocol, file]) => {
      try {
        return parseProcNet(await readFile(file, 'utf8'), protocol, order);
      } catch (err) {
        // A kernel without IPv6 has no tcp6/udp6.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && protocol.endsWith('6')) return [];
        throw new Error(`Cannot read ${file} to list ports: ${(err as Error).message}`);
      }
    }),
  );
  return lists.flat();
}

/**
 * The pid holding each wanted socket inode, found through the "socket:[inode]" links in
 * /proc/<pid>/fd. Processes we may not look into (another user's, or gone meanwhile) are
 * skipped. When several processes share a socket (a forked server), the lowest pid wins: it is
 * usually the parent that opened it.
 */
async function findInodeOwners(wanted: Set<number>): Promise<Map<number, number>> {
  const owners = new Map<number, number>();
  if (wanted.size === 0) return owners;
  const run = limiter(PROC_CONCURRENCY);
  let pids: number[];
  try {
    pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return owners;
  }
  await Promise.all(
    pids.map(async (pid) => {
      const dir = `/proc/${pid}/fd`;
      let fds: string[];
      try {
        fds = await run(() => readdir(dir));
      } catch {
        return; // EACCES, or the process ended
      }
      await Promise.all(
        fds.map(async (fd) => {
          let target: string;
          try {
            target = await run(() => readlink(`${dir}/${fd}`));
          } catch {
            return;
          }
          if (!target.startsWith('socket:[')) return;
          const inode = Number(target.slice(8, -1));
          if (!wanted.has(inode)) return;
          const prev = owners.get(inode);
          if (prev === undefined || pid < prev) owners.set(inode, pid);
        }),
      );
    }),
  );
  return owners;
}

async function processNames(pids: Iterable<number>): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  const run = limiter(PROC_CONCURRENCY);
  await Promise.all(
    [...new Set(pids)].map(async (pid) => {
      try {
        names.set(pid, (await run(() => readFile(`/proc/${pid}/comm`, 'utf8'))).replace(/\n$/, ''));
      } catch {
        // gone meanwhile; the pid alone still says who it was
      }
    }),
  );
  return names;
}

async function linuxPorts(protocols: PortProtocol[], keep?: (s: ProcNetSocket) => boolean): Promise<PortEntry[]> {
  let sockets = await readProcSockets(protocols);
  if (keep) sockets = sockets.filter(keep);
  const owners = await findInodeOwners(new Set(sockets.map((s) => s.inode).filter((i) => i > 0)));
  const names = await processNames(owners.values());
  return sortEntries(
    sockets.map((s) => {
      const entry: PortEntry = { protocol: s.protocol, address: s.address, port: s.port };
      const pid = owners.get(s.inode);
      if (pid === undefined) {
        entry.ownerHidden = true;
      } else {
        entry.pid = pid;
        const name = names.get(pid);
        if (name !== undefined) entry.process = name;
      }
      return entry;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Other platforms: external programs

function run(file: string, args: string[], okExitCodes: number[] = [0]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 64 * 1024 * 1024, windowsHide: true, timeout: 15_000 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new Error(`Listing ports needs ${file}, which was not found on this system`));
      if (typeof code === 'number' && okExitCodes.includes(code)) return resolve(stdout);
      const detail = String(stderr).trim().split('\n')[0] || err.message;
      reject(new Error(`${file} failed while listing ports: ${detail}`));
    });
  });
}

async function lsofPorts(): Promise<PortEntry[]> {
  // lsof exits 1 when it found nothing to report.
  return parseLsof(await run('lsof', ['-nP', '-iTCP', '-sTCP:LISTEN', '-iUDP', '-F', 'pcPtn'], [1]));
}

async function windowsPorts(): Promise<PortEntry[]> {
  const [netstat, tasklist] = await Promise.all([
    run('netstat', ['-ano']),
    run('tasklist', ['/FO', 'CSV', '/NH']).catch(() => ''),
  ]);
  const names = parseTasklist(tasklist);
  return parseNetstat(netstat).map((e) => {
    const name = e.pid === undefined ? undefined : names.get(e.pid);
    return name === undefined ? e : { ...e, process: name };
  });
}

// ---------------------------------------------------------------------------------------------
// Public API

/** Every listening TCP socket and bound UDP socket on this machine, with owner pid and process name where visible. */
export async function listListeningPorts(): Promise<PortEntry[]> {
  if (process.platform === 'linux') return linuxPorts(['tcp', 'tcp6', 'udp', 'udp6']);
  if (process.platform === 'win32') return windowsPorts();
  return lsofPorts();
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/**
 * How well a listening socket explains a failed bind to `wanted`: 2 for the same address, 1 for
 * a wildcard overlapping it (either side), 0 for no conflict. A non-IP name (localhost) is not
 * resolved here, so every listener on the port counts.
 */
function overlap(entryAddress: string, wanted: string | undefined): number {
  if (wanted === undefined) return 1;
  const a = normalizeAddress(entryAddress);
  const w = normalizeAddress(wanted);
  if (a === w) return 2;
  const wIsIp = parseIPv4(w) !== null || parseIPv6(w) !== null;
  if (!wIsIp) return 1;
  const aIsV4 = parseIPv4(a) !== null;
  const wIsV4 = parseIPv4(w) !== null;
  // "::" takes IPv4 too on a dual-stack socket, which is the default.
  if (a === '::' || w === '::') return 1;
  if (isWildcard(a) || isWildcard(w)) return aIsV4 === wIsV4 ? 1 : 0;
  return 0;
}

/** The process holding a listening TCP port (optionally on a given local address), or null when unknown. */
export async function findPortHolder(port: number, address?: string): Promise<{ pid: number; name: string } | null> {
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return null;
  const entries =
    process.platform === 'linux'
      ? await linuxPorts(['tcp', 'tcp6'], (s) => s.port === port)
      : (await listListeningPorts()).filter((e) => e.port === port && (e.protocol === 'tcp' || e.protocol === 'tcp6'));
  const ranked = entries
    .map((e) => ({ e, score: overlap(e.address, address) }))
    .filter((r) => r.score > 0 && r.e.pid !== undefined)
    .sort((a, b) => b.score - a.score || a.e.pid! - b.e.pid!);
  const best = ranked[0]?.e;
  if (!best || best.pid === undefined) return null;
  return { pid: best.pid, name: best.process ?? `pid ${best.pid}` };
}

/** A zombie has released its sockets and will never run again; only its parent's wait() is missing. */
async function isZombie(pid: number): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ..." where comm may itself contain ") ".
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

async function isGone(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists (perhaps a new process reusing the pid) but is not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  return isZombie(pid);
}

/** Sends a signal to a process; waits up to waitMs (default 2000) to see whether it exits. */
export async function endProcess(
  pid: number,
  signal: 'SIGTERM' | 'SIGKILL',
  waitMs = 2000,
): Promise<{ pid: number; exited: boolean }> {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`Refusing to signal pid ${pid}: not a process that can be ended`);
  if (pid === process.pid) throw new Error(`Refusing to signal pid ${pid}: that is this app itself`);
  if (signal !== 'SIGTERM' && signal !== 'SIGKILL') throw new Error(`Unsupported signal ${String(signal)}`);
  try {
    process.kill(pid, signal);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') throw new Error(`No process has pid ${pid}`);
    if (code === 'EPERM') throw new Error(`Not allowed to signal pid ${pid} (owned by another user)`);
    throw new Error(`Could not signal pid ${pid}: ${(err as Error).message}`);
  }
  const deadline = Date.now() + Math.max(0, waitMs);
  for (;;) {
    if (await isGone(pid)) return { pid, exited: true };
    const left = deadline - Date.now();
    if (left <= 0) return { pid, exited: false };
    await new Promise((resolve) => setTimeout(resolve, Math.min(25, left)));
  }
}
