// One engine command over the browser host's WebSocket, for what the UI cannot do yet.
// Both ways the wire carries binary frames (shared/wire.ts encodeFrame):
//   u32 header length | u32 payload count | u32 length per payload | header JSON | payloads
// little-endian, where each byte array in the message became {"$bin": index} in the header.
import WebSocket from 'ws';

/** A binary frame of a message that carries no bytes: its header alone. */
export function encodeHeaderFrame(message) {
  const header = Buffer.from(JSON.stringify(message), 'utf8');
  const frame = Buffer.alloc(8 + header.length);
  frame.writeUInt32LE(header.length, 0);
  frame.writeUInt32LE(0, 4);
  header.copy(frame, 8);
  return frame;
}

/** Reads one binary frame back into its message (the bench needs no payload bytes, but restores them). */
export function decodeFrame(frame) {
  const buf = Buffer.isBuffer(frame) ? frame : Buffer.from(frame);
  if (buf.length < 8) throw new Error('frame too short');
  const headerLength = buf.readUInt32LE(0);
  const count = buf.readUInt32LE(4);
  let offset = 8 + 4 * count;
  if (offset + headerLength > buf.length) throw new Error('frame header overruns the frame');
  const lengths = [];
  let total = offset + headerLength;
  for (let i = 0; i < count; i++) {
    const n = buf.readUInt32LE(8 + 4 * i);
    lengths.push(n);
    total += n;
  }
  if (total !== buf.length) throw new Error('frame payload lengths do not add up');
  const value = JSON.parse(buf.toString('utf8', offset, offset + headerLength));
  offset += headerLength;
  const payloads = lengths.map((n) => {
    const p = new Uint8Array(buf.subarray(offset, offset + n));
    offset += n;
    return p;
  });
  const restore = (v) => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(restore);
    if (typeof v.$bin === 'number') return payloads[v.$bin];
    for (const k of Object.keys(v)) v[k] = restore(v[k]);
    return v;
  };
  return count === 0 ? value : restore(value);
}

/**
 * Sends one command to the engine behind a browser host (its URL with ?token=…) and returns the
 * command's result ({ ok, value } or { ok: false, code, message }). The socket is closed as soon
 * as the result is in: a subscriber that does not acknowledge batches would, once behind, make
 * the engine pause every source (flow control), so it must not linger.
 */
export function engineCommand(hostUrl, name, args, timeoutMs = 10_000) {
  const url = new URL(hostUrl);
  const origin = `${url.protocol}//${url.host}`;
  const wsUrl = `ws://${url.host}/ws?token=${encodeURIComponent(url.searchParams.get('token') ?? '')}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { headers: { Origin: origin }, handshakeTimeout: timeoutMs });
    let settled = false;
    const finish = (err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.removeAllListeners('message');
      ws.on('error', () => {});
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(() => finish(new Error(`no answer to ${name} within ${timeoutMs / 1000} s`)), timeoutMs);
    ws.on('open', () => ws.send(encodeHeaderFrame({ kind: 'command', id: 1, name, args })));
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      let msg;
      try {
        msg = decodeFrame(Array.isArray(data) ? Buffer.concat(data) : data);
      } catch (err) {
        return finish(new Error(`a malformed frame from the host: ${err.message}`));
      }
      if (msg?.kind === 'result' && msg.id === 1) finish(null, msg.result);
      else if (msg?.kind === 'result') finish(new Error(`the host refused the message: ${msg.result?.message ?? JSON.stringify(msg.result)}`));
    });
    ws.on('unexpected-response', (_req, res) => finish(new Error(`the host refused the WebSocket: HTTP ${res.statusCode}`)));
    ws.on('error', (err) => finish(err));
    ws.on('close', () => finish(new Error(`the WebSocket closed before the answer to ${name}`)));
  });
}
