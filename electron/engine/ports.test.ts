import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { PortEntry } from '../../shared/model';
import {
  decodeProcAddress,
  endProcess,
  findPortHolder,
  formatIPv6,
  listListeningPorts,
  normalizeAddress,
  parseIPv6,
  parseLsof,
  parseNetstat,
  parseProcNet,
  parseTasklist,
} from './ports';

// ---------------------------------------------------------------------------------------------
// Captured samples

const PROC_NET_TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     
   0: 3500007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 18633 1 0000000000000000 100 0 0 10 5                     
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21427 1 0000000000000000 100 0 0 10 0                     
   2: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 88230 1 0000000000000000 100 0 0 10 0                     
   3: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 88231 1 0000000000000000 20 4 30 10 -1                    
   4: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 88232 1 0000000000000000 20 4 30 10 -1                    
   5: 0100007F:D431 0100007F:1F90 06 00000000:00000000 03:00000F81 00000000     0        0 0 3 0000000000000000                                      
   6: 0F02000A:0016 0202000A:E2C4 01 00000000:00000000 02:0009A3E4 00000000     0        0 30512 4 0000000000000000 20 4 31 10 -1                    
`;

const PROC_NET_TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21429 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 19870 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 90011 1 0000000000000000 100 0 0 10 0
   3: 000080FE00000000FF005450B6AC09FE:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 90012 1 0000000000000000 100 0 0 10 0
   4: B80D0120000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 90013 1 0000000000000000 100 0 0 10 0
   5: 00000000000000000000000001000000:0277 00000000000000000000000001000000:A1C2 01 00000000:00000000 02:000A7E1C 00000000     0        0 90020 2 0000000000000000 20 4 26 10 -1
`;

const PROC_NET_UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            
  221: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 18632 2 0000000000000000 0         
  356: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000   104        0 20011 2 0000000000000000 0         
  600: 0F02000A:0044 0202000A:0043 01 00000000:00000000 00:00000000 00000000     0        0 33210 2 0000000000000000 0         
  781: 00000000:0000 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 33900 2 0000000000000000 0         
`;

const PROC_NET_UDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  356: 00000000000000000000000000000000:14E9 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000   104        0 20012 2 0000000000000000 0
  412: 00000000000000000000000001000000:D903 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 20090 2 0000000000000000 0
`;

const LSOF_MACOS = `p312
cmDNSResponder
f5
tIPv4
PUDP
n*:5353
f6
tIPv6
PUDP
n*:5353
f7
tIPv4
PUDP
n*:*
p587
crapportd
f4
tIPv4
PTCP
n*:49152
f5
tIPv6
PTCP
n*:49152
p1433
cnode
f23
tIPv4
PTCP
n127.0.0.1:3000
f24
tIPv6
PTCP
n[::1]:3000
p2001
cControlCe
f9
tIPv4
PTCP
n*:7000
f10
tIPv4
PTCP
n*:7000
p3111
cGoogle Chrome He
f40
tIPv4
PUDP
n192.168.1.23:58621->142.250.74.110:443
f41
tIPv6
PUDP
n[fe80:4::aede:48ff:fe00:1122]:123
`;

const NETSTAT_WINDOWS = [
  '',
  'Active Connections',
  '',
  '  Proto  Local Address          Foreign Address        State           PID',
  '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1044',
  '  TCP    0.0.0.0:445            0.0.0.0:0              LISTENING       4',
  '  TCP    127.0.0.1:5939         0.0.0.0:0              LISTENING       4312',
  '  TCP    0.0.0.0:8080           0.0.0.0:0              ABHÖREN         7788',
  '  TCP    0.0.0.0:50000          0.0.0.0:0              BOUND           900',
  '  TCP    192.168.1.23:52814     20.42.65.84:443        ESTABLISHED     5520',
  '  TCP    127.0.0.1:52001        127.0.0.1:52002        TIME_WAIT       0',
  '  TCP    [::]:135               [::]:0                 LISTENING       1044',
  '  TCP    [::1]:49669            [::]:0                 LISTENING       3688',
  '  TCP    [fe80::1c2e:5f3a:8b1d:9e7c%12]:2869 [::]:0    LISTENING       4',
  '  UDP    0.0.0.0:5353           *:*                                    2148',
  '  UDP    127.0.0.1:1900         *:*                                    5072',
  '  UDP    [::]:5353              *:*                                    2148',
  '  UDP    [fe80::1c2e:5f3a:8b1d:9e7c%12]:1900  *:*                      5072',
  '',
].join('\r\n');

const TASKLIST_WINDOWS = [
  '"System Idle Process","0","Services","0","8 K"',
  '"System","4","Services","0","9,172 K"',
  '"svchost.exe","1044","Services","0","12,040 K"',
  '"node.exe","4312","Console","1","48,220 K"',
  '"My ""quoted"", app.exe","7788","Console","1","1,000 K"',
  '',
].join('\r\n');

describe('address decoding', () => {
  it('reads /proc addresses as little-endian 32-bit words, IPv4 and IPv6', () => {
    expect(decodeProcAddress('0100007F')).toBe('127.0.0.1');
    expect(decodeProcAddress('00000000')).toBe('0.0.0.0');
    expect(decodeProcAddress('7F000001', 'BE')).toBe('127.0.0.1');
    expect(decodeProcAddress('00000000000000000000000001000000')).toBe('::1');
    expect(decodeProcAddress('00000000000000000000000000000000')).toBe('::');
    expect(decodeProcAddress('0000000000000000FFFF00000100007F')).toBe('::ffff:127.0.0.1');
    expect(decodeProcAddress('000080FE00000000FF005450B6AC09FE')).toBe('fe80::5054:ff:fe09:acb6');
    expect(() => decodeProcAddress('0100007')).toThrow();
  });

  it('compresses IPv6 as RFC 5952 says', () => {
    const v6 = (s: string) => formatIPv6(parseIPv6(s)!);
    expect(v6('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(v6('2001:DB8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1'); // tie: the first run
    expect(v6('1:0:0:1:0:0:0:1')).toBe('1:0:0:1::1'); // the longest run
    expect(v6('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1'); // one zero group stays
    expect(v6('fe80::')).toBe('fe80::');
    expect(v6('::ffff:7f00:1')).toBe('::ffff:127.0.0.1');
    expect(parseIPv6('1::2::3')).toBeNull();
    expect(parseIPv6('localhost')).toBeNull();
    expect(normalizeAddress('[::FFFF:127.0.0.1]')).toBe('127.0.0.1');
    expect(normalizeAddress('0:0::1')).toBe('::1');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
  });
});

describe('parsers', () => {
  it('parseProcNet keeps TCP listeners only, with inode', () => {
    expect(parseProcNet(PROC_NET_TCP, 'tcp')).toEqual([
      { protocol: 'tcp', address: '127.0.0.53', port: 53, inode: 18633, state: '0A' },
      { protocol: 'tcp', address: '0.0.0.0', port: 22, inode: 21427, state: '0A' },
      { protocol: 'tcp', address: '127.0.0.1', port: 8080, inode: 88230, state: '0A' },
    ]);
    expect(parseProcNet(PROC_NET_TCP6, 'tcp6').map((s) => [s.address, s.port, s.inode])).toEqual([
      ['::', 22, 21429],
      ['::1', 631, 19870],
      ['::ffff:127.0.0.1', 8081, 90011],
      ['fe80::5054:ff:fe09:acb6', 8082, 90012],
      ['2001:db8::1', 443, 90013],
    ]);
  });

  it('parseProcNet keeps UDP sockets bound to a port, connected or not', () => {
    expect(parseProcNet(PROC_NET_UDP, 'udp')).toEqual([
      { protocol: 'udp', address: '127.0.0.53', port: 53, inode: 18632, state: '07' },
      { protocol: 'udp', address: '0.0.0.0', port: 5353, inode: 20011, state: '07' },
      { protocol: 'udp', address: '10.0.2.15', port: 68, inode: 33210, state: '01' },
    ]);
    expect(parseProcNet(PROC_NET_UDP6, 'udp6')).toEqual([
      { protocol: 'udp6', address: '::', port: 5353, inode: 20012, state: '07' },
      { protocol: 'udp6', address: '::1', port: 55555, inode: 20090, state: '07' },
    ]);
    expect(parseProcNet('', 'udp')).toEqual([]);
  });

  it('parseLsof reads processes and their sockets, one entry per socket and process', () => {
    expect(parseLsof(LSOF_MACOS)).toEqual<PortEntry[]>([
      { protocol: 'udp6', address: 'fe80:4::aede:48ff:fe00:1122', port: 123, pid: 3111, process: 'Google Chrome He' },
      { protocol: 'tcp', address: '127.0.0.1', port: 3000, pid: 1433, process: 'node' },
      { protocol: 'tcp6', address: '::1', port: 3000, pid: 1433, process: 'node' },
      { protocol: 'udp', address: '0.0.0.0', port: 5353, pid: 312, process: 'mDNSResponder' },
      { protocol: 'udp6', address: '::', port: 5353, pid: 312, process: 'mDNSResponder' },
      { protocol: 'tcp', address: '0.0.0.0', port: 7000, pid: 2001, process: 'ControlCe' },
      { protocol: 'tcp', address: '0.0.0.0', port: 49152, pid: 587, process: 'rapportd' },
      { protocol: 'tcp6', address: '::', port: 49152, pid: 587, process: 'rapportd' },
      { protocol: 'udp', address: '192.168.1.23', port: 58621, pid: 3111, process: 'Google Chrome He' },
    ]);
    expect(parseLsof('')).toEqual([]);
  });

  it('parseNetstat keeps listening TCP (in any language) and every UDP row', () => {
    expect(parseNetstat(NETSTAT_WINDOWS)).toEqual<PortEntry[]>([
      { protocol: 'tcp', address: '0.0.0.0', port: 135, pid: 1044 },
      { protocol: 'tcp6', address: '::', port: 135, pid: 1044 },
      { protocol: 'tcp', address: '0.0.0.0', port: 445, pid: 4 },
      { protocol: 'udp', address: '127.0.0.1', port: 1900, pid: 5072 },
      { protocol: 'udp6', address: 'fe80::1c2e:5f3a:8b1d:9e7c%12', port: 1900, pid: 5072 },
      { protocol: 'tcp6', address: 'fe80::1c2e:5f3a:8b1d:9e7c%12', port: 2869, pid: 4 },
      { protocol: 'udp', address: '0.0.0.0', port: 5353, pid: 2148 },
      { protocol: 'udp6', address: '::', port: 5353, pid: 2148 },
      { protocol: 'tcp', address: '127.0.0.1', port: 5939, pid: 4312 },
      { protocol: 'tcp', address: '0.0.0.0', port: 8080, pid: 7788 },
      { protocol: 'tcp6', address: '::1', port: 49669, pid: 3688 },
    ]);
  });

  it('parseTasklist maps pids to image names, quotes and commas included', () => {
    const names = parseTasklist(TASKLIST_WINDOWS);
    expect(names.size).toBe(5);
    expect(names.get(0)).toBe('System Idle Process');
    expect(names.get(4)).toBe('System');
    expect(names.get(4312)).toBe('node.exe');
    expect(names.get(7788)).toBe('My "quoted", app.exe');
    expect(parseTasklist('INFO: No tasks are running which match the specified criteria.\r\n').size).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Real processes

const isLinux = process.platform === 'linux';
const isRoot = process.getuid?.() === 0;

// Every process a test starts is ended after it, pass or fail.
const children: ChildProcess[] = [];
const strayPids: number[] = [];
afterEach(async () => {
  for (const pid of strayPids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.all(
    children.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
});

interface PyPorts {
  pid: number;
  tcp?: number;
  udp?: number;
  tcp6?: number;
  udp6?: number;
  mapped?: number;
  child?: number;
}

const PY_HOLDER = String.raw`
import json, os, signal, socket, sys, time
opts = sys.argv[1:]
if 'ignore-term' in opts:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
keep = []
out = {'pid': os.getpid()}
def bind(key, family, kind, host):
    s = socket.socket(family, kind)
    s.bind((host, 0))
    if kind == socket.SOCK_STREAM:
        s.listen()
    keep.append(s)
    out[key] = s.getsockname()[1]
if 'fork' in opts:
    # The child holds the port; this parent never waits for it, so it stays a zombie after it ends.
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(r)
        bind('tcp', socket.AF_INET, socket.SOCK_STREAM, '127.0.0.1')
        os.write(w, json.dumps(out).encode())
        os.close(w)
        while True:
            time.sleep(3600)
    os.close(w)
    data = json.loads(os.read(r, 4096).decode())
    out['child'] = child
    out['tcp'] = data['tcp']
else:
    bind('tcp', socket.AF_INET, socket.SOCK_STREAM, '127.0.0.1')
    bind('udp', socket.AF_INET, socket.SOCK_DGRAM, '127.0.0.1')
    if 'v6' in opts:
        bind('tcp6', socket.AF_INET6, socket.SOCK_STREAM, '::1')
        bind('udp6', socket.AF_INET6, socket.SOCK_DGRAM, '::1')
        bind('mapped', socket.AF_INET6, socket.SOCK_STREAM, '::ffff:127.0.0.1')
print(json.dumps(out), flush=True)
while True:
    time.sleep(3600)
`;

/** A python3 that holds loopback ports and prints them, then sleeps until signalled. */
function startHolder(...opts: string[]): Promise<{ child: ChildProcess; ports: PyPorts }> {
  const child = spawn('python3', ['-c', PY_HOLDER, ...opts], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        const ports = JSON.parse(out.slice(0, nl)) as PyPorts;
        if (ports.child) strayPids.push(ports.child);
        resolve({ child, ports });
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`python3 exited (${code}) before holding its ports: ${err}`)));
  });
}

function comm(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}

function find(entries: PortEntry[], protocol: PortEntry['protocol'], port: number): PortEntry | undefined {
  return entries.find((e) => e.protocol === protocol && e.port === port);
}

function canListen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function canBindUdp(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}

describe.skipIf(!isLinux)('listListeningPorts and findPortHolder on this machine', () => {
  it('lists a python listener and UDP socket with its pid and name', async () => {
    const { child, ports } = await startHolder();
    const name = comm(child.pid!);
    expect(name.startsWith('python')).toBe(true);

    const started = performance.now();
    const entries = await listListeningPorts();
    const took = performance.now() - started;
    expect(took).toBeLessThan(5_000);

    expect(find(entries, 'tcp', ports.tcp!)).toEqual({ protocol: 'tcp', address: '127.0.0.1', port: ports.tcp, pid: child.pid, process: name });
    expect(find(entries, 'udp', ports.udp!)).toEqual({ protocol: 'udp', address: '127.0.0.1', port: ports.udp, pid: child.pid, process: name });
    // Sorted by port, and every entry either has an owner or says it is hidden.
    expect(entries.map((e) => e.port)).toEqual([...entries.map((e) => e.port)].sort((a, b) => a - b));
    for (const e of entries) expect(e.pid !== undefined || e.ownerHidden === true).toBe(true);

    expect(await findPortHolder(ports.tcp!)).toEqual({ pid: child.pid, name });
    expect(await findPortHolder(ports.tcp!, '127.0.0.1')).toEqual({ pid: child.pid, name });
    expect(await findPortHolder(ports.tcp!, '::ffff:127.0.0.1')).toEqual({ pid: child.pid, name });
    // A wildcard bind on that port collides with it; another loopback address or ::1 does not.
    expect(await findPortHolder(ports.tcp!, '0.0.0.0')).toEqual({ pid: child.pid, name });
    expect(await findPortHolder(ports.tcp!, '127.0.0.2')).toBeNull();
    expect(await findPortHolder(ports.tcp!, '::1')).toBeNull();
  });

  it('lists IPv6 listeners on ::1 and IPv4-mapped addresses', async () => {
    const { child, ports } = await startHolder('v6');
    const name = comm(child.pid!);
    const entries = await listListeningPorts();
    expect(find(entries, 'tcp6', ports.tcp6!)).toEqual({ protocol: 'tcp6', address: '::1', port: ports.tcp6, pid: child.pid, process: name });
    expect(find(entries, 'udp6', ports.udp6!)).toEqual({ protocol: 'udp6', address: '::1', port: ports.udp6, pid: child.pid, process: name });
    expect(find(entries, 'tcp6', ports.mapped!)).toEqual({
      protocol: 'tcp6',
      address: '::ffff:127.0.0.1',
      port: ports.mapped,
      pid: child.pid,
      process: name,
    });
    expect(await findPortHolder(ports.tcp6!, '::1')).toEqual({ pid: child.pid, name });
    expect(await findPortHolder(ports.tcp6!, '0:0:0:0:0:0:0:1')).toEqual({ pid: child.pid, name });
    expect(await findPortHolder(ports.tcp6!, '127.0.0.1')).toBeNull();
    expect(await findPortHolder(ports.mapped!, '127.0.0.1')).toEqual({ pid: child.pid, name });
  });

  it('answers null for a port nobody listens on, and for UDP-only ports', async () => {
    const { ports } = await startHolder();
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    expect(await findPortHolder(free)).toBeNull();
    expect(await findPortHolder(ports.udp!, '127.0.0.1')).toBeNull();
    expect(await findPortHolder(0)).toBeNull();
    expect(await findPortHolder(70000)).toBeNull();
  });
});

// The owner of another user's socket is invisible to an unprivileged reader. As root we read as
// "nobody"; as an ordinary user there is no other user's socket we could create to look at.
const hiddenSkip = !isLinux ? 'needs Linux' : !isRoot ? 'needs root to start a process as another user' : '';
const bundleDir = mkdtempSync(path.join(tmpdir(), 'si-ports-'));
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

describe('another user', () => {
  it.skipIf(hiddenSkip !== '')(
    `lists another user's socket as hidden and may not signal it ${hiddenSkip && `(skipped: ${hiddenSkip})`}`,
    async () => {
      const { child, ports } = await startHolder();
      chmodSync(bundleDir, 0o755);
      const entry = path.join(bundleDir, 'entry.ts');
      const script = path.join(bundleDir, 'look.cjs');
      writeFileSync(
        entry,
        `import { endProcess, findPortHolder, listListeningPorts } from ${JSON.stringify(path.resolve(__dirname, 'ports'))};
(async () => {
  const entries = await listListeningPorts();
  const holder = await findPortHolder(${ports.tcp});
  let signalError = '';
  try { await endProcess(${child.pid}, 'SIGTERM', 100); } catch (e) { signalError = (e as Error).message; }
  console.log(JSON.stringify({ entries, holder, signalError }));
})();`,
      );
      await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: script, logLevel: 'silent' });
      chmodSync(script, 0o644);
      const looker = spawn(process.execPath, [script], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(looker);
      let out = '';
      let err = '';
      looker.stdout!.on('data', (d) => (out += d));
      looker.stderr!.on('data', (d) => (err += d));
      const code = await new Promise<number | null>((resolve) => looker.once('exit', resolve));
      expect(code, err).toBe(0);
      const seen = JSON.parse(out) as { entries: PortEntry[]; holder: unknown; signalError: string };
      expect(find(seen.entries, 'tcp', ports.tcp!)).toEqual({ protocol: 'tcp', address: '127.0.0.1', port: ports.tcp, ownerHidden: true });
      expect(find(seen.entries, 'udp', ports.udp!)).toEqual({ protocol: 'udp', address: '127.0.0.1', port: ports.udp, ownerHidden: true });
      expect(seen.holder).toBeNull();
      expect(seen.signalError).toBe(`Not allowed to signal pid ${child.pid} (owned by another user)`);
      expect(child.exitCode).toBeNull();
      expect(child.signalCode).toBeNull();
    },
  );
});

describe.skipIf(!isLinux)('endProcess', () => {
  it('SIGTERM ends a process that honours it, and its ports become free', async () => {
    const { child, ports } = await startHolder();
    expect(await canListen(ports.tcp!)).toBe(false);
    const started = performance.now();
    expect(await endProcess(child.pid!, 'SIGTERM')).toEqual({ pid: child.pid, exited: true });
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(await canListen(ports.tcp!)).toBe(true);
    expect(await canBindUdp(ports.udp!)).toBe(true);
    expect(await findPortHolder(ports.tcp!)).toBeNull();
  });

  it('reports a process that ignores SIGTERM as still running, and SIGKILL ends it', async () => {
    const { child, ports } = await startHolder('ignore-term');
    const started = performance.now();
    expect(await endProcess(child.pid!, 'SIGTERM', 500)).toEqual({ pid: child.pid, exited: false });
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(450);
    expect(waited).toBeLessThan(1_500);
    expect((await findPortHolder(ports.tcp!))?.pid).toBe(child.pid);
    expect(await endProcess(child.pid!, 'SIGKILL', 500)).toEqual({ pid: child.pid, exited: true });
    expect(await canListen(ports.tcp!)).toBe(true);
  });

  it('counts a process that ended but was never reaped by its parent as exited', async () => {
    const { ports } = await startHolder('fork');
    const holder = await findPortHolder(ports.tcp!);
    expect(holder?.pid).toBe(ports.child);
    expect(await endProcess(ports.child!, 'SIGTERM', 1_000)).toEqual({ pid: ports.child, exited: true });
    expect(readFileSync(`/proc/${ports.child}/stat`, 'utf8')).toMatch(/\) Z /);
    expect(await canListen(ports.tcp!)).toBe(true);
  });

  it('says plainly when no process has that pid', async () => {
    const gone = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((resolve) => gone.once('exit', resolve));
    await expect(endProcess(gone.pid!, 'SIGTERM')).rejects.toThrow(`No process has pid ${gone.pid}`);
  });

  it('refuses init, this process and pids that are not pids', async () => {
    await expect(endProcess(1, 'SIGKILL')).rejects.toThrow(/Refusing to signal pid 1/);
    await expect(endProcess(0, 'SIGKILL')).rejects.toThrow(/Refusing/);
    await expect(endProcess(-1, 'SIGKILL')).rejects.toThrow(/Refusing/);
    await expect(endProcess(1.5, 'SIGKILL')).rejects.toThrow(/Refusing/);
    await expect(endProcess(Number.NaN, 'SIGKILL')).rejects.toThrow(/Refusing/);
    await expect(endProcess(process.pid, 'SIGTERM')).rejects.toThrow(/this app itself/);
  });
});
