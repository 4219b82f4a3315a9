import { describe, expect, it } from 'vitest';
import type { LinkStatus, WireClientMessage } from './contract';
import { MAX_CLIENT_MESSAGE_BYTES, MAX_SEND_BYTES } from './limits';
import type { EventBatch } from './model';
import { decodeFrame, encodeFrame } from './wire';
import { createWireClient } from './wire-client';

/** A link that records what the client sends. */
function recorder() {
  const sent: WireClientMessage[] = [];
  return { sent, link: { send: (frame: Uint8Array) => sent.push(decodeFrame(frame) as WireClientMessage) } };
}

const batch = (id: number): EventBatch => ({ id, events: [], bytes: 0 });

describe('createWireClient', () => {
  it('commands wait for the link, go out as frames with their bytes, and are answered by id', async () => {
    const client = createWireClient();
    const { sent, link } = recorder();
    const pending = client.api.send({ connectionId: 'C1', data: Uint8Array.of(1, 2, 3) });
    expect(sent).toEqual([]);
    client.open(link);
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toEqual([{ kind: 'command', id: 1, name: 'send', args: { connectionId: 'C1', data: Uint8Array.of(1, 2, 3) } }]);
    client.receive(encodeFrame({ kind: 'result', id: 1, result: { ok: true, value: { bytes: 3 } } }));
    expect(await pending).toEqual({ ok: true, value: { bytes: 3 } });
  });

  it('batches that arrive before anyone listens are kept for the first listener; acks go out as frames', () => {
    const client = createWireClient();
    const { sent, link } = recorder();
    client.open(link);
    client.receive(encodeFrame({ kind: 'batch', batch: batch(1) }));
    client.receive(encodeFrame({ kind: 'batch', batch: batch(2) }));
    const seen: number[] = [];
    client.api.onEvents((b) => {
      seen.push(b.id);
      client.api.ack(b.id);
    });
    client.receive(encodeFrame({ kind: 'batch', batch: batch(3) }));
    expect(seen).toEqual([1, 2, 3]);
    expect(sent).toEqual([1, 2, 3].map((batchId) => ({ kind: 'ack', batchId })));
  });

  it('a message too large for the wire is refused before it is sent, saying why', async () => {
    const client = createWireClient();
    const { sent, link } = recorder();
    client.open(link);
    const refused = await client.api.send({ connectionId: 'C1', data: new Uint8Array(MAX_CLIENT_MESSAGE_BYTES) });
    expect(refused).toMatchObject({ ok: false, code: 'TOO_LARGE', message: expect.stringMatching(/^Not sent: this takes .* one message may carry\.$/) });
    expect(sent).toEqual([]);
    // The largest send goes.
    void client.api.send({ connectionId: 'C1', data: new Uint8Array(MAX_SEND_BYTES) });
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toHaveLength(1);
  });

  it('when the link is lost, unanswered and new commands fail with the reason; a new link takes over', async () => {
    const client = createWireClient();
    const statuses: LinkStatus[] = [];
    client.api.onLink((s) => statuses.push(s));
    const first = recorder();
    client.open(first.link);
    const unanswered = client.api.getSnapshot();
    await new Promise((r) => setTimeout(r, 0));
    client.lost({ detail: 'The engine stopped.', canRestart: true });
    expect(await unanswered).toMatchObject({ ok: false, code: 'DISCONNECTED', message: 'The engine stopped.' });
    expect(await client.api.getSnapshot()).toMatchObject({ ok: false, code: 'DISCONNECTED', message: 'The engine stopped.' });
    client.reconnecting();
    const waiting = client.api.getSnapshot();
    const second = recorder();
    client.open(second.link);
    await new Promise((r) => setTimeout(r, 0));
    expect(second.sent).toHaveLength(1);
    const id = (second.sent[0] as { id: number }).id;
    client.receive(encodeFrame({ kind: 'result', id, result: { ok: true, value: 'snap' } }));
    expect(await waiting).toEqual({ ok: true, value: 'snap' });
    expect(statuses.map((s) => s.state)).toEqual(['connecting', 'open', 'closed', 'connecting', 'open']);
    expect(statuses[2]).toEqual({ state: 'closed', detail: 'The engine stopped.', canRestart: true });
  });

  it('garbage from the far side is ignored, not thrown', () => {
    const client = createWireClient();
    expect(() => client.receive(Uint8Array.of(1, 2))).not.toThrow();
    expect(() => client.receive(encodeFrame({ kind: 'result', id: 99, result: { ok: true, value: 1 } }))).not.toThrow();
  });
});
