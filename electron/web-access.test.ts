import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { accessNotice, certificateNames, hostLiteral, isLoopbackHost, needsHttps, reachableHosts, type Interfaces } from './web-access';

/** A machine with loopback, one LAN interface with IPv4, a ULA and a link-local IPv6 address. */
const MACHINE: Interfaces = {
  lo: [
    { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' },
    { address: '::1', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', family: 'IPv6', mac: '00:00:00:00:00:00', internal: true, cidr: '::1/128', scopeid: 0 },
  ],
  eth0: [
    { address: '192.168.1.20', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '192.168.1.20/24' },
    { address: 'fd00::2', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: 'fd00::2/64', scopeid: 0 },
    { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: 'fe80::1/64', scopeid: 2 },
  ] satisfies NetworkInterfaceInfo[],
};

describe('needsHttps', () => {
  it.each(['0.0.0.0', '::', '[::]', '0:0:0:0:0:0:0:0', '192.168.1.20', '10.0.0.1', 'fd00::2', 'fe80::1%eth0', 'myhost.lan', 'example.com', '::ffff:192.168.1.20'])(
    '%s is beyond loopback: HTTPS',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
      expect(needsHttps(host)).toBe(true);
      expect(needsHttps(host, true)).toBe(false);
    },
  );

  it.each(['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LocalHost', 'localhost.'])(
    '%s is this machine only: plain HTTP',
    (host) => {
      expect(isLoopbackHost(host)).toBe(true);
      expect(needsHttps(host)).toBe(false);
      expect(needsHttps(host, true)).toBe(false);
    },
  );
});

describe('reachableHosts', () => {
  it('0.0.0.0: every IPv4 address of the machine, loopback first', () => {
    expect(reachableHosts('0.0.0.0', MACHINE)).toEqual(['127.0.0.1', '192.168.1.20']);
  });

  it('::: every address, without link-local ones a browser cannot put in a URL', () => {
    expect(reachableHosts('::', MACHINE)).toEqual(['127.0.0.1', '::1', '192.168.1.20', 'fd00::2']);
    expect(reachableHosts('::', MACHINE).map(hostLiteral)).toEqual(['127.0.0.1', '[::1]', '192.168.1.20', '[fd00::2]']);
  });

  it('any other bind: its own address', () => {
    expect(reachableHosts('192.168.1.20', MACHINE)).toEqual(['192.168.1.20']);
    expect(reachableHosts('[FD00:0::2]', MACHINE)).toEqual(['fd00::2']);
    expect(reachableHosts('myhost.lan', MACHINE)).toEqual(['myhost.lan']);
  });
});

describe('certificateNames', () => {
  it('names where the host is reached and the machine', () => {
    expect(certificateNames('0.0.0.0', MACHINE, 'Build-Box')).toEqual(['127.0.0.1', '192.168.1.20', 'build-box']);
    expect(certificateNames('192.168.1.20', MACHINE, 'build-box.local.')).toEqual(['192.168.1.20', 'build-box.local']);
    // A machine name that cannot go in a certificate is left out rather than failing the start.
    expect(certificateNames('192.168.1.20', MACHINE, "Jo's laptop")).toEqual(['192.168.1.20']);
  });
});

describe('accessNotice', () => {
  it('on loopback: the URL, and no warning', () => {
    const notice = accessNotice({ bindHost: '127.0.0.1', urls: ['http://127.0.0.1:5000/?token=T'] });
    expect(notice.stdout).toBe('Socket Inspector is running at http://127.0.0.1:5000/?token=T\n');
    expect(notice.stderr).toBe('');
  });

  it('beyond loopback over HTTPS: every URL, the fingerprint, and what the token grants', () => {
    const notice = accessNotice({
      bindHost: '0.0.0.0',
      urls: ['https://127.0.0.1:5000/?token=T', 'https://192.168.1.20:5000/?token=T'],
      fingerprint256: 'AB:CD:EF',
      user: 'ada',
    });
    expect(notice.stdout.split('\n')[0]).toBe('Socket Inspector is running at https://127.0.0.1:5000/?token=T');
    expect(notice.stdout).toContain('and https://192.168.1.20:5000/?token=T\n');
    expect(notice.stdout).toContain('SHA-256 fingerprint:\n  AB:CD:EF\n');
    expect(notice.stderr).toMatch(/run programs as ada, end processes, open connections from this machine and read everything captured/);
    expect(notice.stderr).not.toMatch(/plain HTTP/);
  });

  it('beyond loopback with --insecure-http: says the token crosses the network unencrypted', () => {
    const notice = accessNotice({ bindHost: '192.168.1.20', urls: ['http://192.168.1.20:5000/?token=T'] });
    expect(notice.stdout).not.toMatch(/fingerprint/);
    expect(notice.stderr).toMatch(/plain HTTP on 192\.168\.1\.20 \(--insecure-http\)/);
    expect(notice.stderr).toMatch(/run programs as this user, end processes/);
  });
});
