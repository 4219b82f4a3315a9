/**
 * Opens a pcap or pcapng file: reads it in large pieces, decodes each packet, reassembles TCP
 * streams and keeps UDP datagrams one by one, and records every stream as a read-only
 * connection (origin 'opened') in the capture store, so the views, framing, decoders, search,
 * export and replay work on it as on a live one. Memory stays flat: payloads go to the capture
 * store (which spills to disk), and the reassembler holds only bounded out-of-order bytes.
 *
 * An opened stream is seen from its client: out is what the client sent, in what the server
 * sent, as for a connection the user opened.
 */
import type { ConnectionInfo, Endpoint } from '../../shared/model';
import type { JobEntry } from './capture-files';
import type { EngineCore } from './engine-core';
import { MAX_CLOSED_RECORDS, type Endings } from './endings';
import { newConnectionInfo, newEntryState, type ConnectionEntry, type Io } from './entries';
import { decodePacket } from './pcap/packets';
import { readCaptureFile } from './pcap/reader';
import { Reassembler, type StreamEvent } from './pcap/reassembly';

/** What a read-only connection has for a socket: nothing to write to, nothing to pause. */
const NO_SOCKET: Io = {
  destroyed: true,
  write: (_data, done) => done(new Error('This connection was read from a file; nothing can be sent on it.')),
  end: () => undefined,
  destroy: () => undefined,
  resetAndDestroy: () => undefined,
  pause: () => undefined,
  resume: () => undefined,
};

/** Counters of opened streams are sent at most this often while a file is read. */
const UPDATE_MS = 250;

interface Opened {
  entry: ConnectionEntry;
  fins: number;
  changed: boolean;
}

export async function openCaptureFile(core: EngineCore, endings: Endings, file: string, job: JobEntry, emit: (final: boolean) => void): Promise<void> {
  const streams = new Map<number, Opened>();
  const skipped = new Map<string, number>();
  const reassembler = new Reassembler();
  const controller = new AbortController();
  let missing = 0;
  let lastUpdate = 0;

  const endpointOf = (e: { address: string; port: number }, family: 'IPv4' | 'IPv6'): Endpoint => ({ address: e.address, port: e.port, family });

  const handle = (ev: StreamEvent) => {
    if (ev.kind === 'open') {
      const id = core.newConnectionId();
      const info: ConnectionInfo = newConnectionInfo(id, {
        origin: 'opened',
        transport: ev.transport,
        local: endpointOf(ev.client, ev.family),
        remote: endpointOf(ev.server, ev.family),
        state: 'open',
        openedAt: ev.time,
        source: { jobId: job.job.id, fileName: job.job.name, stream: ev.stream, missingBytes: 0 },
      });
      info.createdAt = ev.time;
      const entry: ConnectionEntry = { info, socket: NO_SOCKET, ...newEntryState(id) };
      core.connections.set(id, entry);
      streams.set(ev.stream, { entry, fins: 0, changed: false });
      job.job.connections += 1;
      core.emit({ type: 'connection-opened', connection: { ...info } });
      return;
    }
    const opened = streams.get(ev.stream);
    if (!opened) return;
    const { entry } = opened;
    const info = entry.info;
    opened.changed = true;
    if (ev.kind === 'data') {
      const direction = ev.fromClient ? 'out' : 'in';
      if (ev.missingBefore > 0) {
        // The stream offsets skip the bytes the file did not hold, so they stay the stream's own.
        if (direction === 'in') info.bytesIn += ev.missingBefore;
        else info.bytesOut += ev.missingBefore;
        info.source!.missingBytes += ev.missingBefore;
        missing += ev.missingBefore;
      }
      if (ev.bytes.byteLength > 0) {
        const touched = core.recordFromFile(entry, direction, ev.bytes, ev.time);
        job.job.chunks += 1;
        if (touched.length > 0) core.reportEvictions(touched);
      }
      // A datagram cut short by the capture's snap length: its missing tail is counted, not filled.
      const after = ev.missingAfter ?? 0;
      if (after > 0) {
        if (direction === 'in') info.bytesIn += after;
        else info.bytesOut += after;
        info.source!.missingBytes += after;
        missing += after;
      }
      return;
    }
    // end
    const who = ev.fromClient ? 'the client' : 'the server';
    if (ev.how === 'reset') {
      info.state = 'closed';
      info.closedAt = ev.time;
      info.closeReason = `reset by ${who} (RST)`;
    } else {
      opened.fins += 1;
      if (opened.fins === 1) {
        info.state = 'half-closed';
        info.halfClosedBy = ev.fromClient ? 'local' : 'peer';
        info.halfClosedAt = ev.time;
        info.closeReason = `closed (FIN from ${who} first)`;
      } else {
        info.state = 'closed';
        info.closedAt = ev.time;
      }
    }
    if (info.state === 'closed') {
      // Ended streams join the closed records at once, so a file of many short streams is held
      // to the closed-record limit as live traffic is.
      streams.delete(ev.stream);
      core.emit({ type: 'connection-closed', connection: { ...info } });
      endings.adoptClosed(entry);
    }
  };

  const sendUpdates = (all: boolean) => {
    const now = Date.now();
    if (!all && now - lastUpdate < UPDATE_MS) return;
    lastUpdate = now;
    for (const opened of streams.values()) {
      if (!opened.changed) continue;
      opened.changed = false;
      core.emit({ type: 'connection-updated', connection: { ...opened.entry.info } });
    }
    emit(false);
  };

  const result = await readCaptureFile(
    file,
    (packets) => {
      if (job.cancelled) {
        controller.abort();
        return;
      }
      for (const p of packets) {
        const decoded = decodePacket(p.linkType, p.data);
        if ('skipped' in decoded) {
          skipped.set(decoded.skipped, (skipped.get(decoded.skipped) ?? 0) + 1);
          continue;
        }
        for (const ev of reassembler.push(decoded, p.time)) handle(ev);
      }
      sendUpdates(false);
    },
    {
      signal: controller.signal,
      onProgress: (read) => {
        job.job.done = read;
      },
    },
  );
  for (const ev of reassembler.finish()) handle(ev);

  // Read-only from now on: what is still open was open when the capture stopped.
  for (const { entry } of streams.values()) {
    const info = entry.info;
    if (info.state !== 'closed') {
      info.closedAt ??= info.halfClosedAt ?? entry.lastActivity;
      if (info.state === 'open') info.closeReason = 'still open when the capture ended';
      info.state = 'closed';
    }
    core.emit({ type: 'connection-closed', connection: { ...info } });
    endings.adoptClosed(entry);
  }

  // A cancelled read stops where it was: that is not damage.
  const damage = job.cancelled ? undefined : result.problem;
  if (result.packets === 0 && damage && job.job.connections === 0) throw new Error(damage);
  const problems = job.job.problems;
  if (damage) problems.push(`The file is damaged: ${damage}. Everything before that point was read.`);
  if (job.cancelled) problems.push('Cancelled: the streams read so far are kept.');
  if (missing > 0) problems.push(`${missing.toLocaleString('en-US')} bytes were never captured in the file (gaps in TCP sequence numbers, packets cut short by the snap length); each gap is counted, never filled.`);
  const kept = [...core.connections.values()].filter((e) => e.info.source?.jobId === job.job.id);
  const dropped = kept.reduce((sum, e) => sum + e.info.droppedBytes, 0);
  if (kept.length < job.job.connections) {
    problems.push(`${(job.job.connections - kept.length).toLocaleString('en-US')} of its ${job.job.connections.toLocaleString('en-US')} streams are no longer listed: at most ${MAX_CLOSED_RECORDS.toLocaleString('en-US')} closed connections are kept, the oldest removed first.`);
  }
  if (dropped > 0) {
    problems.push(
      `The capture budget (${Math.round(core.capture.budgetBytes / 1048576)} MiB) is smaller than what the file holds: the oldest ${dropped.toLocaleString('en-US')} bytes were dropped. Raise the budget in Settings and open the file again to keep everything.`,
    );
  }
  for (const [reason, count] of [...skipped.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10)) {
    problems.push(`${count.toLocaleString('en-US')} packet${count === 1 ? '' : 's'} skipped: ${reason}.`);
  }
  if (result.packets === 0 && !result.problem && !job.cancelled) problems.push('The file holds no packets.');
  else if (job.job.connections === 0) problems.push('No TCP or UDP traffic was found in the file.');
  job.job.done = result.bytes;
  sendUpdates(true);
}
