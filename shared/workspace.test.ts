import { describe, expect, it, vi } from 'vitest';
import { commandSchemas, parseCommand } from './contract';
import type { ConnectionInfo, ListenerInfo } from './model';
import {
  buildWorkspace,
  commandLine,
  listenerCommand,
  parseWorkspace,
  planWorkspace,
  relayCommand,
  serializeWorkspace,
  udpCommand,
  workspaceFileName,
  workspaceSchema,
  type Workspace,
  type WorkspaceSource,
} from './workspace';

const base = { startedAt: 1, clientCount: 0, acceptedCount: 0, state: 'listening' as const };

const tcp: ListenerInfo = {
  ...base,
  id: 'L1',
  requestedHost: '127.0.0.1',
  requestedPort: 0,
  address: '127.0.0.1',
  port: 40001,
  family: 'IPv4',
  transport: 'tcp',
  responder: { kind: 'rules', rules: [{ match: 'startsWith', pattern: 'PING', reply: 'PONG\\n', delayMs: 0, close: false }], defaultReply: '', lineFraming: true },
};
const tls: ListenerInfo = {
  ...base,
  id: 'L2',
  requestedHost: '::1',
  requestedPort: 8443,
  address: '::1',
  port: 8443,
  family: 'IPv6',
  transport: 'tls',
  tls: { selfSigned: true, subject: 'CN=localhost', fingerprint256: 'AA', requestClientCert: true },
  halfOpen: { idleSeconds: 30 },
};
const unix: ListenerInfo = {
  ...base,
  id: 'L3',
  requestedHost: '/tmp/app.sock',
  requestedPort: 0,
  address: '/tmp/app.sock',
  port: 0,
  family: 'unix',
  transport: 'unix',
  responder: { kind: 'program', command: 'python3', args: ['-c', 'print("hi there")'], shell: false },
};
const relay: ListenerInfo = {
  ...base,
  id: 'L4',
  requestedHost: 'localhost',
  requestedPort: 9000,
  address: '127.0.0.1',
  port: 9000,
  family: 'IPv4',
  transport: 'tcp',
  relay: { targetHost: 'example.com', targetPort: 80 },
};
const pemTls: ListenerInfo = { ...tls, id: 'L5', port: 9443, requestedPort: 9443, tls: { selfSigned: false, subject: 'CN=app', fingerprint256: 'BB', requestClientCert: false } };

const counters = { bytesIn: 0, bytesOut: 0, chunksIn: 0, chunksOut: 0, droppedBytes: 0, droppedChunks: 0, createdAt: 1 };
const udp: ConnectionInfo = {
  ...counters,
  id: 'U1',
  origin: 'bound',
  transport: 'udp',
  state: 'open',
  local: { address: '0.0.0.0', port: 5353, family: 'IPv4' },
  remote: { address: '(any sender)', port: 0, family: 'IPv4' },
  udp: { broadcast: true, groups: [{ group: '239.255.0.1', iface: '127.0.0.1' }], notStreamed: 0 },
};
const closedUdp: ConnectionInfo = { ...udp, id: 'U2', state: 'closed' };
const client: ConnectionInfo = {
  ...counters,
  id: 'C1',
  origin: 'accepted',
  transport: 'tcp',
  state: 'open',
  listenerId: 'L1',
  remote: { address: '127.0.0.1', port: 50000, family: 'IPv4' },
};

const source: WorkspaceSource = {
  listeners: { L1: tcp, L2: tls, L3: unix, L4: relay, L5: pemTls },
  listenerOrder: ['L1', 'L2', 'L3', 'L4', 'L5'],
  connections: { U1: udp, U2: closedUdp, C1: client },
  connectionOrder: ['U1', 'U2', 'C1'],
  listenerFraming: { L1: { kind: 'delimiter', delimiterHex: '0d0a', maxFrameBytes: 4096 } },
  views: { C1: { mode: 'lines', display: 'hex' }, U1: { mode: 'chunks', display: 'hex' } },
  labels: { L1: 'pinger', U1: 'mdns' },
  settings: { captureBudgetBytes: 64 * 1024 * 1024 },
};

const built = () =>
  buildWorkspace(source, {
    name: 'lab',
    savedAt: new Date('2026-05-01T12:00:00Z'),
    recentTargets: [{ host: '127.0.0.1', port: 8080 }, { path: '/tmp/other.sock' }, { host: 'bad host', port: 1 }],
  });

describe('buildWorkspace', () => {
  it('keeps listeners, relays, UDP sockets, auto-replies, framing, views, names, recent targets and the capture budget', () => {
    const { workspace, notes } = built();
    expect(workspace).toMatchObject({ format: 'socket-inspector-workspace', version: 1, name: 'lab', savedAt: '2026-05-01T12:00:00.000Z', settings: { captureBudgetMiB: 64 } });
    expect(workspace.listeners).toEqual([
      {
        kind: 'tcp',
        host: '127.0.0.1',
        port: 40001,
        responder: tcp.responder,
        name: 'pinger',
        framing: { kind: 'delimiter', delimiterHex: '0d0a', maxFrameBytes: 4096 },
        view: { mode: 'lines', display: 'hex' },
      },
      { kind: 'tcp', host: '::1', port: 8443, tls: { certificate: 'self-signed', requestClientCert: true }, halfOpen: { idleSeconds: 30 } },
      { kind: 'unix', path: '/tmp/app.sock', removeStale: false, responder: unix.responder },
    ]);
    expect(workspace.relays).toEqual([{ host: 'localhost', port: 9000, targetHost: 'example.com', targetPort: 80, timeoutMs: 10_000 }]);
    expect(workspace.udp).toEqual([
      { host: '0.0.0.0', port: 5353, broadcast: true, name: 'mdns', view: { mode: 'chunks', display: 'hex' }, groups: [{ group: '239.255.0.1', iface: '127.0.0.1' }] },
    ]);
    // A target the Connect form would refuse is left out.
    expect(workspace.recentTargets).toEqual([{ host: '127.0.0.1', port: 8080 }, { path: '/tmp/other.sock' }]);
    // A TLS listener whose certificate files the window does not know is named, not saved half.
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('TLS listener on [::1]:9443 is not saved');
  });

  it('keeps a TLS listener\'s certificate files when the page knows them', () => {
    const { workspace, notes } = buildWorkspace(source, { name: 'x', tlsFiles: { L5: { certPath: '/etc/app.pem', keyPath: '/etc/app.key' } } });
    expect(notes).toEqual([]);
    expect(workspace.listeners[3]).toEqual({ kind: 'tcp', host: '::1', port: 9443, tls: { certificate: { certPath: '/etc/app.pem', keyPath: '/etc/app.key' }, requestClientCert: false }, halfOpen: { idleSeconds: 30 } });
  });

  it('round-trips: build, write as JSON, parse, and get the same workspace', () => {
    const { workspace } = built();
    const text = serializeWorkspace(workspace);
    expect(text.endsWith('\n')).toBe(true);
    const parsed = parseWorkspace(text);
    expect(parsed).toEqual({ ok: true, workspace });
  });

  it('makes a workspace every entry of which its command accepts as it is', () => {
    const { workspace } = built();
    for (const l of workspace.listeners) {
      const { command, args } = listenerCommand(l);
      expect(parseCommand(command, args)).toEqual({ ok: true, args });
    }
    for (const r of workspace.relays) expect(parseCommand('startRelay', relayCommand(r))).toMatchObject({ ok: true });
    for (const u of workspace.udp) expect(parseCommand('bindUdp', udpCommand(u))).toEqual({ ok: true, args: { host: '0.0.0.0', port: 5353, broadcast: true } });
  });

  it('saves an empty window as an empty workspace', () => {
    const empty: WorkspaceSource = { listeners: {}, listenerOrder: [], connections: {}, connectionOrder: [], listenerFraming: {}, views: {}, labels: {}, settings: null };
    const { workspace } = buildWorkspace(empty, { name: '  ', savedAt: new Date(0) });
    expect(workspace).toEqual({ format: 'socket-inspector-workspace', version: 1, name: 'workspace', savedAt: '1970-01-01T00:00:00.000Z', listeners: [], relays: [], udp: [], recentTargets: [] });
    expect(parseWorkspace(JSON.stringify(workspace))).toEqual({ ok: true, workspace });
  });
});

describe('parseWorkspace', () => {
  const good = (): Record<string, unknown> => JSON.parse(serializeWorkspace(built().workspace)) as Record<string, unknown>;

  it('fills in what a hand-written file leaves out', () => {
    const parsed = parseWorkspace(JSON.stringify({ format: 'socket-inspector-workspace', version: 1, name: 'min', savedAt: '2026-01-01', listeners: [{ kind: 'tcp', host: '[::1]', port: 7000, responder: { kind: 'echo' } }] }));
    expect(parsed).toEqual({
      ok: true,
      workspace: { format: 'socket-inspector-workspace', version: 1, name: 'min', savedAt: '2026-01-01', listeners: [{ kind: 'tcp', host: '::1', port: 7000, responder: { kind: 'echo' } }], relays: [], udp: [], recentTargets: [] },
    });
  });

  it('says where bad JSON breaks, by line and column', () => {
    const parsed = parseWorkspace('{\n  "format": "socket-inspector-workspace",\n  "version": 1,,\n}');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toMatch(/^The file is not valid JSON \(line 3, column 16: /);
    expect(parsed.message).not.toMatch(/position/);
    const cut = parseWorkspace('{"format": "socket-inspector-workspace", "ver');
    expect(cut).toMatchObject({ ok: false, message: expect.stringMatching(/^The file is not valid JSON \(line 1, column \d+: /) });
    expect(parseWorkspace('  \n')).toEqual({ ok: false, message: expect.stringMatching(/^The file is empty/) });
  });

  it('says when the file is not a workspace', () => {
    expect(parseWorkspace('[1, 2]')).toEqual({ ok: false, message: expect.stringContaining('not a Socket Inspector workspace: the file holds a list') });
    expect(parseWorkspace('{"snippets": [], "history": []}')).toEqual({ ok: false, message: expect.stringContaining('it has no "format" field') });
    expect(parseWorkspace(JSON.stringify({ ...good(), format: 'pcapng' }))).toEqual({
      ok: false,
      message: 'This is not a Socket Inspector workspace: its "format" is "pcapng", where a workspace says "socket-inspector-workspace".',
    });
  });

  it('says when a newer version saved it, before looking at anything else', () => {
    expect(parseWorkspace(JSON.stringify({ ...good(), version: 2, listeners: 'whatever' }))).toEqual({
      ok: false,
      message: 'This workspace was saved by a newer Socket Inspector (workspace version 2); this one opens version 1. Update Socket Inspector to open it.',
    });
    expect(parseWorkspace(JSON.stringify({ ...good(), version: '1' }))).toEqual({ ok: false, message: expect.stringContaining('no version this Socket Inspector knows ("1"') });
  });

  it('names a bad field as the forms name it, and the entry it is in', () => {
    const w = good();
    (w.listeners as Array<Record<string, unknown>>)[1]!.port = 99999;
    expect(parseWorkspace(JSON.stringify(w))).toEqual({ ok: false, message: 'This workspace cannot be opened: Listener 2 ([::1]:99999): Port must be a whole number from 0 to 65535.' });

    const r = good();
    (r.relays as Array<Record<string, unknown>>)[0]!.targetPort = 0;
    expect(parseWorkspace(JSON.stringify(r))).toMatchObject({ ok: false, message: expect.stringContaining('Relay 1 (localhost:9000): Target port: Port must be a whole number from 1 to 65535') });

    const rule = good();
    const responder = (rule.listeners as Array<Record<string, { rules: Array<Record<string, unknown>> }>>)[0]!.responder!;
    responder.rules[0]!.match = 'regex';
    responder.rules[0]!.pattern = '(';
    expect(parseWorkspace(JSON.stringify(rule))).toMatchObject({ ok: false, message: expect.stringContaining('Listener 1 (127.0.0.1:40001): Rule 1 pattern: not a valid regular expression') });

    const extra = good();
    (extra.udp as Array<Record<string, unknown>>)[0]!.colour = 'red';
    expect(parseWorkspace(JSON.stringify(extra))).toMatchObject({ ok: false, message: expect.stringContaining('UDP socket 1 (0.0.0.0:5353): unexpected field "colour"') });

    const kind = good();
    (kind.listeners as Array<Record<string, unknown>>)[0]!.kind = 'sctp';
    expect(parseWorkspace(JSON.stringify(kind))).toMatchObject({ ok: false, message: expect.stringContaining('Listener 1 (127.0.0.1:40001): kind must be "tcp" (TCP or TLS) or "unix"') });

    const budget = good();
    budget.settings = { captureBudgetMiB: 0 };
    expect(parseWorkspace(JSON.stringify(budget))).toMatchObject({ ok: false, message: expect.stringContaining('Capture budget must be at least 1 MiB') });
  });

  it('lists the first three problems and counts the rest', () => {
    const w = good();
    w.listeners = Array.from({ length: 5 }, () => ({ kind: 'tcp', host: '127.0.0.1', port: -1 }));
    const parsed = parseWorkspace(JSON.stringify(w));
    expect(parsed).toMatchObject({ ok: false, message: expect.stringMatching(/Listener 1 .*; Listener 2 .*; Listener 3 .*; and 2 more problems\.$/) });
  });
});

describe('planWorkspace', () => {
  it('lists what opening would start, and flags every Program auto-reply', () => {
    const w: Workspace = {
      ...built().workspace,
      listeners: [
        ...built().workspace.listeners,
        { kind: 'tcp', host: '127.0.0.1', port: 7001, responder: { kind: 'program', command: 'sh', args: ['-c', 'cat; echo done'], shell: true } },
      ],
    };
    const plan = planWorkspace(w);
    expect(plan.items.map((i) => `${i.kind} ${i.address}`)).toEqual([
      'TCP listener 127.0.0.1:40001',
      'TLS listener [::1]:8443',
      'Unix socket listener /tmp/app.sock',
      'TCP listener 127.0.0.1:7001',
      'Relay localhost:9000 → example.com:80',
      'UDP socket 0.0.0.0:5353',
    ]);
    expect(plan.programs).toBe(2);
    expect(plan.items.filter((i) => i.program).map((i) => i.program)).toEqual([
      { commandLine: `python3 -c 'print("hi there")'`, shell: false },
      { commandLine: `sh -c 'cat; echo done'`, shell: true },
    ]);
    expect(plan.items[0]).toMatchObject({ name: 'pinger', autoReply: '1 rule per line', details: ['framing: CRLF-delimited', 'opens in Lines, hex dump'] });
    expect(plan.items[0]!.program).toBeUndefined();
    expect(plan.items[1]!.details).toEqual(['self-signed certificate', 'asks clients for certificates', 'half-open, idle limit 30 s']);
    expect(plan.items[5]!.details).toEqual(['broadcast allowed', 'joins 239.255.0.1 on 127.0.0.1', 'opens in Chunks, hex dump']);
    expect(plan).toMatchObject({ recentTargets: 2, captureBudgetMiB: 64 });
  });

  it('quotes a command line as a shell would need it', () => {
    expect(commandLine({ command: 'python3', args: ['-u', '/tmp/my calc.py', "it's", ''] })).toBe(`python3 -u '/tmp/my calc.py' 'it'\\''s' ''`);
  });
});

describe('workspace files and the saved state', () => {
  it('makes a file name of any workspace name', () => {
    expect(workspaceFileName('lab')).toBe('lab.json');
    expect(workspaceFileName('a/b:c*?')).toBe('a-b-c--.json');
    expect(workspaceFileName(' .. ')).toBe('workspace.json');
  });

  it('is checked by setSaved, whichever module loads first', () => {
    const { workspace } = built();
    expect(commandSchemas.setSaved.safeParse({ snippets: [], history: [], workspace }).success).toBe(true);
    const bad = { ...workspace, listeners: [{ kind: 'tcp', host: '127.0.0.1', port: 70000 }] };
    expect(parseCommand('setSaved', { snippets: [], history: [], workspace: bad })).toMatchObject({ ok: false, message: expect.stringContaining('Port must be a whole number from 0 to 65535') });
    expect(workspaceSchema.safeParse(workspace).success).toBe(true);
  });

  it.each([['./contract'], ['./workspace'], ['./model']])('loads when %s is imported first (the two modules refer to each other)', async (first) => {
    vi.resetModules();
    await import(first);
    const contract = await import('./contract');
    const ws = await import('./workspace');
    const { workspace } = built();
    expect(contract.commandSchemas.setSaved.safeParse({ snippets: [], history: [], workspace }).success).toBe(true);
    expect(ws.parseWorkspace(ws.serializeWorkspace(workspace))).toEqual({ ok: true, workspace });
  });
});
