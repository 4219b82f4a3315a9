/**
 * Relay pairs: each client of a relay listener, the connection made for it to the target, and
 * the two directions between them, which can be held, delayed, paced or added to.
 */
import net from 'node:net';
import type { CommandArgs } from '../../shared/contract';
import { formatHostPort } from '../../shared/format';
import type { ConnectionInfo, ListenerInfo, RelayDirectionInfo, RelayPairInfo } from '../../shared/model';
import { fail, ok, type Result } from '../../shared/result';
import type { Connections } from './connections';
import { updateRelayReading, type EngineCore } from './engine-core';
import { acceptedPeer, unwrapError, type ConnectionEntry, type ListenerEntry } from './entries';
import { explainError } from './errors';
import type { Listeners } from './listeners';
import { Pipe } from './relay';

export class RelayPairs {
  constructor(
    private readonly core: EngineCore,
    private readonly listeners: Listeners,
    private readonly connections: Connections,
  ) {}

  async startRelay({ host, port, targetHost, targetPort, timeoutMs }: CommandArgs<'startRelay'>): Promise<Result<ListenerInfo>> {
    const target = { targetHost, targetPort };
    const accept = (listener: ListenerEntry, client: net.Socket) => this.acceptRelay(listener, client, target);
    const result = await this.listeners.listenTcp(host, port, { transport: 'tcp', relay: target }, undefined, accept);
    // Set before any client can arrive: accepts come in later turns of the event loop.
    if (result.ok) this.core.listeners.get(result.value.id)!.relayTimeoutMs = timeoutMs;
    return result;
  }

  relayControl({ connectionId, direction, ...settings }: CommandArgs<'relayControl'>): Result<ConnectionInfo> {
    const entry = this.core.connections.get(connectionId);
    if (!entry?.relay) return fail({ code: 'NOT_FOUND', message: `No relay pair has id ${connectionId}.` });
    const clean = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
    entry.relay[direction].configure(clean);
    this.syncRelay(entry, true);
    return ok({ ...entry.info });
  }

  relayInject({ connectionId, direction, data }: CommandArgs<'relayInject'>): Result<{ bytes: number }> {
    const entry = this.core.connections.get(connectionId);
    if (!entry?.relay) return fail({ code: 'NOT_FOUND', message: `No relay pair has id ${connectionId}.` });
    if (entry.info.state === 'closed') return fail({ code: 'CLOSED', message: 'This relay pair is closed.' });
    const upstream = entry.relay.upstreamState;
    if (upstream === 'failed' || upstream === 'closed') {
      return fail({
        code: 'NO_TARGET',
        message: upstream === 'failed' ? 'This pair has no target: the relay could not reach it.' : 'This pair has no target any more: the target closed its side.',
      });
    }
    if (data.byteLength === 0) return fail({ code: 'EMPTY', message: 'Nothing to send: the message is empty.' });
    const bytes = new Uint8Array(data);
    this.core.record(entry, direction === 'c2s' ? 'in' : 'out', bytes, true);
    entry.relay[direction].push(bytes);
    return ok({ bytes: bytes.byteLength });
  }

  /** A relay's client: connect to the target, then forward both ways through two pipes. */
  private acceptRelay(listener: ListenerEntry, client: net.Socket, target: { targetHost: string; targetPort: number }): void {
    const { targetHost, targetPort } = target;
    const label = formatHostPort(targetHost, targetPort);
    const direction = (): RelayDirectionInfo => ({ paused: false, latencyMs: 0, kbps: 0, queuedBytes: 0, forwardedBytes: 0, finForwarded: false });
    const entry = this.connections.register(client, {
      origin: 'relay',
      transport: 'tcp',
      listenerId: listener.info.id,
      remote: acceptedPeer(client, listener),
      state: 'open',
      relay: { target: label, upstream: 'connecting', c2s: direction(), s2c: direction() },
    });
    this.listeners.adopt(listener, entry);
    // A deeper write buffer than the 16 KiB default, so forwarding 64 KiB reads does not stop
    // and restart the client's reads on every chunk.
    // (net.Socket passes stream options on to Duplex; its type does not list them.)
    const upstream = new net.Socket({ allowHalfOpen: true, writableHighWaterMark: 1 << 20 } as net.SocketConstructorOpts);
    upstream.setNoDelay(true);
    const updateReading = () => updateRelayReading(entry);
    const changed = () => this.syncRelay(entry, false);
    const r = {
      upstream,
      upstreamState: 'connecting' as RelayPairInfo['upstream'],
      c2s: new Pipe(() => upstream, changed, updateReading),
      s2c: new Pipe(() => client, changed, updateReading),
      lastEmit: 0,
      emitTimer: null,
    };
    entry.relay = r;
    const timer = setTimeout(() => upstream.destroy(Object.assign(new Error(`connect ETIMEDOUT ${label}`), { code: 'ETIMEDOUT' })), listener.relayTimeoutMs ?? 10_000);
    upstream.once('connect', () => {
      clearTimeout(timer);
      r.upstreamState = 'open';
      r.c2s.open();
      r.s2c.open();
      this.syncRelay(entry, true);
    });
    upstream.on('data', (buf: Buffer) => {
      // Forward first, record after (as for the client's side).
      r.s2c.push(buf);
      this.core.record(entry, 'out', buf);
    });
    upstream.on('end', () => r.s2c.end());
    upstream.on('error', (err) => {
      const e = unwrapError(err);
      if (r.upstreamState === 'connecting') {
        const why = explainError(e, { op: 'connect', host: targetHost, port: targetPort });
        entry.info.error = { ...why, message: `The relay could not reach its target: ${why.message}` };
        r.upstreamState = 'failed';
        // Said at once, and the client is closed cleanly (FIN, then our side goes), not reset:
        // it did nothing wrong.
        this.syncRelay(entry, true);
        r.c2s.close();
        client.end(() => client.destroy());
      } else {
        entry.info.error = explainError(e, { op: 'socket', host: targetHost, port: targetPort });
      }
    });
    upstream.on('close', (hadError) => {
      clearTimeout(timer);
      if (r.upstreamState !== 'failed') r.upstreamState = 'closed';
      // A reset from the target is passed on as a reset to the client.
      if (hadError && !client.destroyed && r.upstreamState !== 'failed') client.resetAndDestroy();
      this.syncRelay(entry, true);
    });
    client.on('close', (hadError) => {
      r.c2s.close();
      r.s2c.close();
      if (hadError) upstream.resetAndDestroy();
      else if (!upstream.destroyed) upstream.end();
    });
    this.core.emit({ type: 'connection-opened', connection: { ...entry.info } });
    this.core.emit({ type: 'listener-updated', listener: { ...listener.info } });
    upstream.connect({ host: targetHost, port: targetPort });
  }

  /** Copies the pipes' state into the record and tells subscribers, about ten times a second. */
  private syncRelay(entry: ConnectionEntry, now: boolean): void {
    const r = entry.relay;
    // A removed pair is gone for subscribers: a late update must not bring it back.
    if (!r || !entry.info.relay || !this.core.connections.has(entry.info.id)) return;
    entry.info.relay = { ...entry.info.relay, upstream: r.upstreamState, c2s: { ...r.c2s.state }, s2c: { ...r.s2c.state } };
    const t = Date.now();
    if (now || t - r.lastEmit >= 100) {
      r.lastEmit = t;
      if (r.emitTimer) clearTimeout(r.emitTimer);
      r.emitTimer = null;
      this.core.emit({ type: 'connection-updated', connection: { ...entry.info } });
    } else if (!r.emitTimer) {
      r.emitTimer = setTimeout(() => {
        r.emitTimer = null;
        this.syncRelay(entry, true);
      }, 100);
    }
  }
}
