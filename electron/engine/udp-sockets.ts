/**
 * Bound UDP sockets, kept as connection records: each datagram in or out is a chunk with its
 * peer; sends name their destination; multicast groups are joined and left.
 */
import type { CommandArgs } from '../../shared/contract';
import type { ConnectionInfo } from '../../shared/model';
import { fail, ok, type ErrorInfo, type Result } from '../../shared/result';
import type { EngineCore } from './engine-core';
import type { Endings } from './endings';
import { family, newConnectionInfo, newEntryState, type ConnectionEntry, type Io } from './entries';
import { explainError } from './errors';
import { UdpEndpoint } from './udp';

export class UdpSockets {
  constructor(
    private readonly core: EngineCore,
    private readonly endings: Endings,
  ) {}

  async bindUdp({ host, port, broadcast }: CommandArgs<'bindUdp'>): Promise<Result<ConnectionInfo>> {
    if (this.core.closed) return fail({ code: 'SHUT_DOWN', message: 'The engine is shutting down.' });
    let entry: ConnectionEntry | undefined;
    let endpoint: UdpEndpoint;
    try {
      endpoint = await UdpEndpoint.bind(
        { host, port, broadcast },
        {
          onDatagram: (data, from) => {
            if (entry) this.core.record(entry, 'in', data, false, { address: from.address, port: from.port, family: from.family });
          },
          onError: (error) => {
            if (!entry) return;
            entry.info.error = error;
            this.core.emit({ type: 'connection-updated', connection: { ...entry.info } });
          },
          onClose: () => {
            if (entry) this.endings.onClose(entry);
          },
        },
      );
    } catch (err) {
      const info = (err as { info?: ErrorInfo }).info;
      return fail(info ?? explainError(err, { op: 'listen', host, port }));
    }
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      void endpoint.close();
    };
    const io: Io = {
      get destroyed() {
        return closed;
      },
      write: (_data, done) => done(new Error('a UDP socket needs a destination')),
      end: close,
      destroy: close,
      resetAndDestroy: close,
      pause: () => undefined,
      resume: () => undefined,
    };
    const id = this.core.newConnectionId();
    const local = { address: endpoint.local.address, port: endpoint.local.port, family: endpoint.local.family };
    entry = {
      info: newConnectionInfo(id, {
        origin: 'bound',
        transport: 'udp',
        local,
        remote: { address: '(any sender)', port: 0, family: endpoint.local.family },
        state: 'open',
        openedAt: Date.now(),
        udp: { broadcast, groups: [], notStreamed: 0 },
      }),
      ...newEntryState(id),
      socket: io,
      udp: { endpoint, peers: new Map() },
    };
    this.core.connections.set(id, entry);
    this.core.emit({ type: 'connection-opened', connection: { ...entry.info } });
    return ok({ ...entry.info });
  }

  async sendUdp({ connectionId, host, port, data }: CommandArgs<'sendUdp'>): Promise<Result<{ bytes: number }>> {
    const entry = this.core.connections.get(connectionId);
    if (!entry?.udp) return fail({ code: 'NOT_FOUND', message: `No UDP socket has id ${connectionId}.` });
    if (entry.info.state === 'closed') return fail({ code: 'CLOSED', message: 'This UDP socket is closed.', hint: 'Bind a new one to send.' });
    const error = await entry.udp.endpoint.send(data, host, port);
    if (error) return fail(error);
    this.core.record(entry, 'out', new Uint8Array(data), false, { address: host, port, family: family(undefined, host) });
    return ok({ bytes: data.byteLength });
  }

  udpMembership({ connectionId, group, iface, join }: CommandArgs<'udpMembership'>): Result<ConnectionInfo> {
    const entry = this.core.connections.get(connectionId);
    if (!entry?.udp || !entry.info.udp) return fail({ code: 'NOT_FOUND', message: `No UDP socket has id ${connectionId}.` });
    const ep = entry.udp.endpoint;
    if (join && iface) {
      // Send to the group through the same interface, so loopback groups stay on loopback.
      const viaError = ep.setMulticastInterface(iface);
      if (viaError) return fail(viaError);
    }
    const error = join ? ep.addMembership(group, iface) : ep.dropMembership(group, iface);
    if (error) return fail(error);
    if (join) ep.setMulticastLoopback(true);
    entry.info.udp = { ...entry.info.udp, groups: [...ep.groups] };
    this.core.emit({ type: 'connection-updated', connection: { ...entry.info } });
    return ok({ ...entry.info });
  }
}
