import { fieldLabel } from './field-labels';
import { describe, expect, it } from 'vitest';
import {
  BRIDGE_KEY,
  Channels,
  COMMAND_NAMES,
  commandSchemas,
  isCommandName,
  parseCommand,
  WS_PATH,
  type CommandName,
} from './contract';
import { allMalformedCases, UNKNOWN_COMMAND_NAMES, VALID_INPUTS } from './contract.fixtures';
import { MAX_SEND_BYTES } from './limits';

describe('command names and channels', () => {
  it('recognizes every command name and nothing else', () => {
    for (const name of COMMAND_NAMES) expect(isCommandName(name)).toBe(true);
    for (const name of UNKNOWN_COMMAND_NAMES) expect(isCommandName(name)).toBe(false);
  });

  it('lists each command once, with one schema each', () => {
    expect(new Set(COMMAND_NAMES).size).toBe(COMMAND_NAMES.length);
    expect(Object.keys(commandSchemas).sort()).toEqual([...COMMAND_NAMES].sort());
    expect(Object.keys(VALID_INPUTS).sort()).toEqual([...COMMAND_NAMES].sort());
  });

  it('gives no two IPC channels the same name, all under inspector:', () => {
    const all = Object.values(Channels.engine);
    for (const channel of all) expect(channel).toMatch(/^inspector:engine:[a-z]+$/);
    expect(new Set(all).size).toBe(all.length);
  });

  it('exports a bridge key and a WebSocket path', () => {
    expect(BRIDGE_KEY).toMatch(/^[A-Za-z_$][\w$]*$/);
    expect(WS_PATH.startsWith('/')).toBe(true);
  });
});

describe('parseCommand', () => {
  it.each(COMMAND_NAMES.map((name) => [name]))('accepts the well-formed %s input', (name) => {
    const parsed = parseCommand(name as CommandName, VALID_INPUTS[name as CommandName]);
    expect(parsed).toMatchObject({ ok: true });
  });

  it('fills in defaults', () => {
    expect(parseCommand('connect', { host: 'localhost', port: 7 })).toEqual({
      ok: true,
      args: { host: 'localhost', port: 7, timeoutMs: 10_000 },
    });
    expect(parseCommand('stopListener', { listenerId: 'L1' })).toEqual({
      ok: true,
      args: { listenerId: 'L1', closeClients: false },
    });
    expect(parseCommand('getChunks', { connectionId: 'C1' })).toEqual({
      ok: true,
      args: { connectionId: 'C1', fromSeq: 0, limit: 10_000 },
    });
  });

  it('takes a TLS client\'s trusted CA file, trimmed, and refuses an empty one', () => {
    expect(parseCommand('connect', { host: 'localhost', port: 443, tls: { caPath: '  /etc/ca.pem ' } })).toEqual({
      ok: true,
      args: { host: 'localhost', port: 443, timeoutMs: 10_000, tls: { verify: true, alpn: [], caPath: '/etc/ca.pem' } },
    });
    expect(parseCommand('connect', { host: 'localhost', port: 443, tls: {} })).toMatchObject({ ok: true, args: { tls: { verify: true, alpn: [] } } });
    expect(parseCommand('connect', { host: 'localhost', port: 443, tls: { caPath: '  ' } })).toMatchObject({ ok: false, message: 'Trusted CA file: Enter the trusted CA file', field: 'tls.caPath' });
    expect(parseCommand('connect', { host: 'localhost', port: 443, tls: { caPath: 7 } })).toMatchObject({ ok: false });
  });

  it('accepts IPv4, IPv6 (bracketed or not) and host names, and unwraps brackets', () => {
    const good = ['127.0.0.1', '::1', '::', '1::', '1:2:3:4:5:6:7:8', '::ffff:127.0.0.1', '64:ff9b::192.0.2.33', 'fe80::1%lo0'];
    for (const host of [...good, 'localhost', 'example.com', 'my_host.local.']) {
      expect(parseCommand('startListener', { host, port: 0 })).toMatchObject({ ok: true, args: { host } });
    }
    expect(parseCommand('startListener', { host: '[::1]', port: 0 })).toMatchObject({ ok: true, args: { host: '::1' } });
    expect(parseCommand('startListener', { host: ' 127.0.0.1 ', port: 0 })).toMatchObject({
      ok: true,
      args: { host: '127.0.0.1' },
    });
  });

  it('accepts the edges of the port ranges', () => {
    for (const port of [0, 1, 65535]) expect(parseCommand('startListener', { host: '::1', port }).ok).toBe(true);
    for (const port of [1, 65535]) expect(parseCommand('connect', { host: '::1', port }).ok).toBe(true);
  });

  it('accepts a Node Buffer as bytes', () => {
    expect(parseCommand('send', { connectionId: 'C1', data: Buffer.from('hi') }).ok).toBe(true);
  });

  it('treats absent arguments as none: getSnapshot accepts them, other commands name a missing field', () => {
    for (const input of [undefined, null]) {
      for (const name of COMMAND_NAMES) {
        const parsed = parseCommand(name, input);
        const required = Object.keys(VALID_INPUTS[name]).filter((f) => !parseCommand(name, { ...VALID_INPUTS[name], [f]: undefined }).ok);
        if (required.length === 0) {
          expect(parsed.ok).toBe(true);
        } else {
          expect(parsed).toMatchObject({ ok: false, code: 'INVALID_INPUT' });
          if (!parsed.ok) for (const field of required) expect(parsed.message).toContain(`${fieldLabel([field])}:`);
        }
      }
    }
  });

  const cases = allMalformedCases();

  it('has malformed cases for every command', () => {
    for (const name of COMMAND_NAMES) expect(cases.filter((c) => c.command === name).length).toBeGreaterThanOrEqual(8);
  });

  it.each(cases.map((c) => [c.command, c.label, c] as const))('refuses %s with %s', (_name, _label, c) => {
    const parsed = parseCommand(c.command, c.input);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.code).toBe('INVALID_INPUT');
    if (c.field !== undefined) {
      // The field at fault is the one the form marks; the message names it in words.
      expect(parsed.field?.split('.')[0]).toBe(c.field);
      expect(parsed.message).toMatch(/^[A-Z][^:.]*: /);
      expect(parsed.message).not.toMatch(/\w+\.\d+\.\w+:/);
    } else expect(parsed.message).toContain(c.names);
    for (const field of c.innocent) expect(parsed.message).not.toContain(field);
  });

  it('names the reason, not only the field', () => {
    const msg = (name: CommandName, input: unknown) => {
      const parsed = parseCommand(name, input);
      return parsed.ok ? '' : parsed.message;
    };
    expect(msg('startListener', { host: '127.0.0.1', port: 65536 })).toMatch(/^Port: .*0 to 65535/);
    expect(msg('connect', { host: '127.0.0.1', port: 0 })).toMatch(/^Port: .*1 to 65535/);
    expect(msg('startListener', { host: 'has space', port: 1 })).toMatch(/^Address: .*without spaces/);
    expect(msg('startListener', { host: '', port: 1 })).toMatch(/^Address: Enter a host/);
    expect(msg('startListener', { host: 'a'.repeat(300), port: 1 })).toMatch(/^Address: Host is too long/);
    expect(msg('closeConnection', { connectionId: 'C1', mode: 'bogus' })).toBe('Mode: mode must be "end" or "reset"');
    expect(msg('send', { connectionId: 'C1', data: [1, 2] })).toBe('Message: data must be bytes');
    expect(msg('getSnapshot', { bogus: 1 })).toBe('unexpected field "bogus"');
    expect(msg('startListener', 'x')).toMatch(/expected object/);
    expect(msg('connect', { host: '127.0.0.1:80', port: 80 })).toBe(
      'Address: Host must be an IP address (127.0.0.1, ::1) or a host name (localhost), without a port (put the port in the Port field)',
    );
  });

  it('takes up to MAX_SEND_BYTES in one command, and refuses more with the sizes and what to do instead', () => {
    const most = new Uint8Array(MAX_SEND_BYTES);
    for (const [name, args] of [
      ['send', { connectionId: 'C1' }],
      ['broadcast', { listenerId: 'L1' }],
      ['startRepeat', { target: { connectionId: 'C1' }, intervalMs: 0 }],
      ['sendUdp', { connectionId: 'C1', host: '127.0.0.1', port: 9 }],
      ['relayInject', { connectionId: 'C1', direction: 'c2s' }],
    ] as const) {
      expect(parseCommand(name, { ...args, data: most }).ok, name).toBe(true);
      const parsed = parseCommand(name, { ...args, data: new Uint8Array(MAX_SEND_BYTES + 1) });
      expect(parsed.ok, name).toBe(false);
      if (parsed.ok) continue;
      expect(parsed.message).toBe('Message: data is too large to send at once (1,048,577 bytes; 1,048,576 at most): send a file for more, it goes in pieces');
    }
    // Not bytes at all is said once, without a size.
    expect(parseCommand('send', { connectionId: 'C1', data: 'text' })).toMatchObject({ ok: false, message: 'Message: data must be bytes' });
  });

  it('reports every bad field of one input', () => {
    const parsed = parseCommand('connect', { host: '', port: 'x', timeoutMs: 1, extra: true });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toContain('Address:');
    expect(parsed.message).toContain('Port:');
    expect(parsed.message).toContain('Timeout:');
    expect(parsed.message).toContain('"extra"');
    // The first field at fault is named for the form to mark.
    expect(parsed.field).toBe('host');
  });
});
