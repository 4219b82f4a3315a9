import { describe, expect, it } from 'vitest';
import type { ConnectionInfo, ListenerInfo } from '../../../../shared/model';
import { buildTree, moveFocus, type TreeInput } from './tree';

function listener(id: string, port: number, extra: Partial<ListenerInfo> = {}): ListenerInfo {
  return {
    id,
    requestedHost: '127.0.0.1',
    requestedPort: port,
    address: '127.0.0.1',
    port,
    family: 'IPv4',
    transport: 'tcp',
    state: 'listening',
    startedAt: 0,
    clientCount: 0,
    acceptedCount: 0,
    ...extra,
  };
}

function conn(id: string, extra: Partial<ConnectionInfo>): ConnectionInfo {
  return {
    id,
    origin: 'accepted',
    transport: 'tcp',
    local: { address: '127.0.0.1', port: 5000, family: 'IPv4' },
    remote: { address: '127.0.0.1', port: 40000 + Number(id.slice(1)), family: 'IPv4' },
    state: 'open',
    createdAt: 0,
    droppedBytes: 0,
    droppedChunks: 0,
    bytesIn: 0,
    bytesOut: 0,
    chunksIn: 0,
    chunksOut: 0,
    ...extra,
  } as ConnectionInfo;
}

function input(over: Partial<TreeInput> = {}): TreeInput {
  const connections: Record<string, ConnectionInfo> = {
    C1: conn('C1', { listenerId: 'L1' }),
    C2: conn('C2', { listenerId: 'L2', state: 'closed', firstLine: 'GET / HTTP/1.1' }),
    C3: conn('C3', { origin: 'outgoing', remote: { address: '127.0.0.1', port: 8080, family: 'IPv4' } }),
    C4: conn('C4', { origin: 'bound', transport: 'udp', remote: { address: '', port: 0, family: 'IPv4' } }),
    C5: conn('C5', { listenerId: 'L1' }),
    C6: conn('C6', { listenerId: 'L9', local: { address: '127.0.0.1', port: 7000, family: 'IPv4' } }),
  };
  return {
    listenerOrder: ['L1', 'L2'],
    listeners: { L1: listener('L1', 5000), L2: listener('L2', 6000, { transport: 'tls' }) },
    connectionOrder: ['C1', 'C2', 'C3', 'C4', 'C5', 'C6'],
    connections,
    labels: {},
    collapsed: new Set(),
    filter: '',
    ...over,
  };
}

describe('the connections tree', () => {
  it('puts clients under their listener, stopped listeners, UDP sockets and outgoing connections in their places', () => {
    const rows = buildTree(input());
    expect(rows.map((r) => `${r.level}:${r.key}`)).toEqual(['1:L1', '2:C1', '2:C5', '1:L2', '2:C2', '1:L9', '2:C6', '1:C4', '1:outgoing', '2:C3']);
    expect(rows[5]).toMatchObject({ kind: 'stopped-listener', where: '127.0.0.1:7000 (stopped)' });
    expect(rows[0]).toMatchObject({ childCount: 2, expanded: true });
  });

  it('hides a collapsed parent’s children', () => {
    const rows = buildTree(input({ collapsed: new Set(['L1']) }));
    expect(rows.map((r) => r.key).slice(0, 2)).toEqual(['L1', 'L2']);
    expect(rows[0]).toMatchObject({ expanded: false, childCount: 2 });
  });

  it('filters by port, state, label, transport and first line; a matching parent keeps its children', () => {
    expect(buildTree(input({ filter: '40005' })).map((r) => r.key)).toEqual(['L1', 'C5']);
    expect(buildTree(input({ filter: 'closed' })).map((r) => r.key)).toEqual(['L2', 'C2']);
    expect(buildTree(input({ filter: 'get /' })).map((r) => r.key)).toEqual(['L2', 'C2']);
    expect(buildTree(input({ filter: 'udp' })).map((r) => r.key)).toEqual(['C4']);
    expect(buildTree(input({ filter: 'tls' })).map((r) => r.key)).toEqual(['L2', 'C2']);
    expect(buildTree(input({ filter: 'billing', labels: { C1: 'Billing client' } })).map((r) => r.key)).toEqual(['L1', 'C1']);
    expect(buildTree(input({ filter: ':5000 listener' })).map((r) => r.key)).toEqual(['L1', 'C1', 'C5']);
    expect(buildTree(input({ filter: 'nothing-like-this' }))).toEqual([]);
    // Quotes keep words together: "1.1" alone would match every address.
    expect(buildTree(input({ filter: '"http/1.1"' })).map((r) => r.key)).toEqual(['L2', 'C2']);
    expect(buildTree(input({ filter: '"http / get"' }))).toEqual([]);
    // A filter opens collapsed parents: what matches is never hidden.
    expect(buildTree(input({ filter: '40005', collapsed: new Set(['L1']) })).map((r) => r.key)).toEqual(['L1', 'C5']);
  });

  it('moves focus with the arrow keys: down, up, into a parent and back to it', () => {
    const rows = buildTree(input());
    expect(moveFocus(rows, 0, 'ArrowDown')).toBe(1);
    expect(moveFocus(rows, 0, 'ArrowUp')).toBe(0);
    expect(moveFocus(rows, 2, 'ArrowLeft')).toBe(0);
    expect(moveFocus(rows, 0, 'ArrowRight')).toBe(1);
    expect(moveFocus(rows, 0, 'End')).toBe(rows.length - 1);
    expect(moveFocus(rows, 4, 'Home')).toBe(0);
    expect(moveFocus(rows, 0, 'x')).toBeNull();
  });
});
