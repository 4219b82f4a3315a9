import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { explainError, type ErrorContext } from './errors';

function osError(code: string, message = `${code}: from the OS`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

const connectTo = (host: string, port: number): ErrorContext => ({ op: 'connect', host, port });
const listenOn = (host: string, port: number): ErrorContext => ({ op: 'listen', host, port });

describe('explainError with synthetic errors', () => {
  it('ECONNREFUSED: nothing is listening there', () => {
    const info = explainError(osError('ECONNREFUSED'), connectTo('127.0.0.1', 9));
    expect(info.code).toBe('ECONNREFUSED');
    expect(info.message).toBe('Connection refused: nothing is listening at 127.0.0.1:9.');
    expect(info.hint).toMatch(/port number.*server is running.*firewall/);
    expect(explainError(osError('ECONNREFUSED'), connectTo('::1', 9)).message).toContain('at [::1]:9');
  });

  it('EADDRINUSE: the port is held by another program', () => {
    const info = explainError(osError('EADDRINUSE'), listenOn('127.0.0.1', 8080));
    expect(info.code).toBe('EADDRINUSE');
    expect(info.message).toContain('Port 8080 is already in use on 127.0.0.1');
    expect(info.message).toContain('another program');
    expect(info.hint).toContain('port 0');
  });

  it('EACCES on a port below 1024 explains privileged ports', () => {
    const info = explainError(osError('EACCES'), listenOn('0.0.0.0', 80));
    expect(info.code).toBe('EACCES');
    expect(info.message).toContain('ports below 1024 (here 80) are privileged');
    expect(info.hint).toContain('1024');
    expect(info.hint).toContain('8080 instead of 80');
    expect(info.hint).toContain('CAP_NET_BIND_SERVICE');
  });

  it('EACCES on port 8080 is plain permission denied, without the privileged-port story', () => {
    const info = explainError(osError('EACCES'), listenOn('127.0.0.1', 8080));
    expect(info.code).toBe('EACCES');
    expect(info.message).toBe('Permission denied while trying to listen on 127.0.0.1:8080.');
    expect(info.message).not.toContain('1024');
    expect(info.hint).toContain('firewall');
  });

  it('EACCES while connecting to port 80 is not about privileged ports', () => {
    const info = explainError(osError('EACCES'), connectTo('10.0.0.1', 80));
    expect(info.message).toBe('Permission denied while trying to reach 10.0.0.1:80.');
  });

  it('EACCES on port 0 (any free port) is not about privileged ports', () => {
    expect(explainError(osError('EACCES'), listenOn('127.0.0.1', 0)).message).not.toContain('1024');
  });

  it('EPERM is explained like EACCES and keeps its own code', () => {
    const low = explainError(osError('EPERM'), listenOn('::', 443));
    expect(low.code).toBe('EPERM');
    expect(low.message).toContain('ports below 1024 (here 443)');
    const other = explainError(osError('EPERM'), connectTo('192.0.2.1', 5000));
    expect(other.code).toBe('EPERM');
    expect(other.message).toBe('Permission denied while trying to reach 192.0.2.1:5000.');
  });

  it('ENOTFOUND: the name does not resolve', () => {
    const info = explainError(osError('ENOTFOUND'), connectTo('nowhere.invalid', 80));
    expect(info.code).toBe('ENOTFOUND');
    expect(info.message).toBe('Host "nowhere.invalid" was not found: the name does not resolve to any address.');
    expect(info.hint).toContain('127.0.0.1');
  });

  it('EAI_AGAIN: the name server did not answer', () => {
    const info = explainError(osError('EAI_AGAIN'), connectTo('example.com', 80));
    expect(info.code).toBe('EAI_AGAIN');
    expect(info.message).toContain('Could not look up "example.com"');
    expect(info.message).toContain('name server did not answer');
    expect(info.hint).toContain('DNS');
  });

  it('ETIMEDOUT: no answer in time', () => {
    const info = explainError(osError('ETIMEDOUT'), connectTo('192.0.2.1', 22));
    expect(info.code).toBe('ETIMEDOUT');
    expect(info.message).toBe('Timed out connecting to 192.0.2.1:22: no answer came back in time.');
    expect(info.hint).toContain('raise the timeout');
  });

  it('ECONNRESET: the peer sent RST', () => {
    const info = explainError(osError('ECONNRESET'), { op: 'socket', host: '127.0.0.1', port: 7000 });
    expect(info.code).toBe('ECONNRESET');
    expect(info.message).toContain('reset by the peer (127.0.0.1:7000)');
    expect(info.message).toContain('RST');
    const noHost = explainError(osError('ECONNRESET'), { op: 'socket' });
    expect(noHost.message).toMatch(/^The connection was reset by the peer: /);
  });

  it('EPIPE: the peer already closed', () => {
    const info = explainError(osError('EPIPE'), { op: 'send', host: '127.0.0.1', port: 7000 });
    expect(info.code).toBe('EPIPE');
    expect(info.message).toBe('Could not send: the peer has already closed the connection.');
    expect(info.hint).toContain('Reconnect');
  });

  it('EADDRNOTAVAIL: no interface has that address', () => {
    const info = explainError(osError('EADDRNOTAVAIL'), listenOn('10.9.8.7', 5000));
    expect(info.code).toBe('EADDRNOTAVAIL');
    expect(info.message).toBe('Address 10.9.8.7 is not available on this machine: no network interface has it.');
    expect(info.hint).toContain('127.0.0.1');
  });

  it('EHOSTUNREACH and ENETUNREACH: no route', () => {
    for (const code of ['EHOSTUNREACH', 'ENETUNREACH']) {
      const info = explainError(osError(code), connectTo('203.0.113.9', 443));
      expect(info.code).toBe(code);
      expect(info.message).toBe('No route to 203.0.113.9:443: the network cannot reach that host.');
    }
  });

  it('EAFNOSUPPORT: the address family is not supported', () => {
    const info = explainError(osError('EAFNOSUPPORT'), listenOn('::1', 0));
    expect(info.code).toBe('EAFNOSUPPORT');
    expect(info.message).toContain('address family of ::1');
    expect(info.hint).toContain('IPv4');
  });

  it('an unknown code keeps the OS message', () => {
    const info = explainError(osError('EWEIRD', 'something odd happened'), connectTo('127.0.0.1', 1234));
    expect(info.code).toBe('EWEIRD');
    expect(info.message).toBe('Socket error at 127.0.0.1:1234: something odd happened');
  });

  it('an error without a code, or not an Error at all, is still explained', () => {
    const plain = explainError(new Error('no code here'), { op: 'socket' });
    expect(plain.code).toBe('UNKNOWN');
    expect(plain.message).toBe('Socket error at that address: no code here');
    expect(explainError(osError('ECONNREFUSED'), { op: 'connect' }).message).toBe(
      'Connection refused: nothing is listening at that address.',
    );
    expect(explainError(null, { op: 'socket' })).toMatchObject({ code: 'UNKNOWN' });
    expect(explainError(undefined, { op: 'socket' })).toMatchObject({ code: 'UNKNOWN' });
    expect(explainError('text thrown', { op: 'socket' }).message).toContain('text thrown');
    expect(explainError({ code: 42 }, { op: 'socket' }).code).toBe('UNKNOWN');
  });

  it('gives every known code a hint', () => {
    const codes = [
      'ECONNREFUSED',
      'EADDRINUSE',
      'EACCES',
      'EPERM',
      'ENOTFOUND',
      'EAI_AGAIN',
      'ETIMEDOUT',
      'ECONNRESET',
      'EPIPE',
      'EADDRNOTAVAIL',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'EAFNOSUPPORT',
    ];
    for (const code of codes) {
      const info = explainError(osError(code), connectTo('127.0.0.1', 1));
      expect(info.code).toBe(code);
      expect(info.hint, code).toBeTruthy();
      expect(info.message, code).not.toContain('from the OS');
    }
  });
});

describe('explainError by meaning, not by platform', () => {
  // libuv gives the same code everywhere; the errno number and the words differ by platform.
  const PLATFORMS: { code: string; linux: [number, string]; macos: [number, string]; windows: [number, string] }[] = [
    { code: 'ECONNREFUSED', linux: [-111, 'connect ECONNREFUSED 127.0.0.1:9'], macos: [-61, 'connect ECONNREFUSED 127.0.0.1:9'], windows: [-4078, 'connect ECONNREFUSED 127.0.0.1:9'] },
    { code: 'ECONNRESET', linux: [-104, 'read ECONNRESET'], macos: [-54, 'read ECONNRESET'], windows: [-4077, 'read ECONNRESET'] },
    { code: 'ETIMEDOUT', linux: [-110, 'connect ETIMEDOUT 192.0.2.1:22'], macos: [-60, 'connect ETIMEDOUT 192.0.2.1:22'], windows: [-4039, 'connect ETIMEDOUT 192.0.2.1:22'] },
    { code: 'EHOSTUNREACH', linux: [-113, 'connect EHOSTUNREACH 203.0.113.9:443'], macos: [-65, 'connect EHOSTUNREACH 203.0.113.9:443'], windows: [-4074, 'connect EHOSTUNREACH'] },
    { code: 'EADDRINUSE', linux: [-98, 'listen EADDRINUSE: address already in use'], macos: [-48, 'listen EADDRINUSE: address already in use'], windows: [-4091, 'listen EADDRINUSE: address already in use'] },
  ];
  for (const { code, linux, macos, windows } of PLATFORMS) {
    it(`${code} reads the same on Linux, macOS and Windows`, () => {
      const ctx = code === 'EADDRINUSE' ? listenOn('127.0.0.1', 8080) : connectTo('127.0.0.1', 9);
      const explain = ([errno, message]: [number, string]) => explainError(Object.assign(new Error(message), { code, errno }), ctx);
      const onLinux = explain(linux);
      expect(explain(macos)).toEqual(onLinux);
      expect(explain(windows)).toEqual(onLinux);
      expect(onLinux.hint).toBeTruthy();
    });
  }

  it('EADDRNOTAVAIL while connecting is about the local end, not a missing interface', () => {
    const info = explainError(osError('EADDRNOTAVAIL'), connectTo('0.0.0.0', 8080));
    expect(info.message).toBe('Could not connect to 0.0.0.0:8080: this machine could not give the connection a local address.');
    expect(info.hint).toContain('run out of local ports');
    expect(explainError(osError('EADDRNOTAVAIL'), listenOn('10.9.8.7', 5000)).message).toContain('no network interface has it');
  });

  it('ETIMEDOUT on an open connection is not a connect timeout', () => {
    const info = explainError(osError('ETIMEDOUT'), { op: 'socket', host: '192.0.2.1', port: 22 });
    expect(info.message).toBe('The connection to 192.0.2.1:22 timed out: the peer stopped acknowledging what was sent.');
    expect(info.hint).toContain('Reconnect');
    expect(explainError(osError('ETIMEDOUT'), connectTo('192.0.2.1', 22)).message).toMatch(/^Timed out connecting to/);
  });

  it('reads the message of an error that is not an Error here (another realm, or rebuilt after crossing a process boundary)', () => {
    expect(explainError({ code: 'EWEIRD', message: 'from elsewhere' }, connectTo('127.0.0.1', 1)).message).toBe('Socket error at 127.0.0.1:1: from elsewhere');
  });

  describe('Unix socket paths', () => {
    const long = `/tmp/${'a'.repeat(150)}.sock`;
    const max = process.platform === 'linux' ? 107 : 103;

    it('ENAMETOOLONG: the path is too long', () => {
      const info = explainError(osError('ENAMETOOLONG'), { op: 'listen', path: long });
      expect(info.message).toBe(`The socket path ${long} is too long (160 bytes): Unix sockets allow about ${max}.`);
    });

    it.skipIf(process.platform === 'win32')('EINVAL for a path longer than a socket address holds: too long', () => {
      const info = explainError(osError('EINVAL', `listen EINVAL: invalid argument ${long}`), { op: 'listen', path: long });
      expect(info.code).toBe('EINVAL');
      expect(info.message).toContain('is too long (160 bytes)');
      expect(info.hint).toContain('shorter path');
    });

    it('EINVAL for a short path is not called too long', () => {
      const info = explainError(osError('EINVAL', 'listen EINVAL: invalid argument /tmp/a.sock'), { op: 'listen', path: '/tmp/a.sock' });
      expect(info.code).toBe('EINVAL');
      expect(info.message).not.toContain('too long');
      expect(info.message).toBe('Socket error at /tmp/a.sock: listen EINVAL: invalid argument /tmp/a.sock');
    });
  });
});

describe('explainError with real loopback errors', () => {
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()))));
  });

  function listen(port: number): Promise<net.Server> {
    const server = net.createServer();
    servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port }, () => resolve(server));
    });
  }

  it('explains a real ECONNREFUSED', async () => {
    const probe = await listen(0);
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const socket = net.connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    const err = await new Promise<Error>((resolve) => socket.once('error', resolve));
    const info = explainError(err, connectTo('127.0.0.1', port));
    expect(info.code).toBe('ECONNREFUSED');
    expect(info.message).toContain(`nothing is listening at 127.0.0.1:${port}`);
  });

  it('explains a real EADDRINUSE', async () => {
    const first = await listen(0);
    const port = (first.address() as net.AddressInfo).port;
    const err = await listen(port).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).not.toBeNull();
    const info = explainError(err, listenOn('127.0.0.1', port));
    expect(info.code).toBe('EADDRINUSE');
    expect(info.message).toContain(`Port ${port} is already in use on 127.0.0.1`);
  });
});
