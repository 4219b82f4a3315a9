// The floor for "chunk arrival → row in the DOM": a node:net listener that forwards every chunk
// at once as its own WebSocket message (no batching, no acknowledgements, no React) to a page
// that appends one row per message. Same engine-side timestamp, same kind of row attributes as
// the Traffic view, so the bench's observer measures both the same way.
//
//   node bench/minimal-relay.mjs   → prints {"event":"ready","url":...,"tcpPort":...}
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';

const HOST = '127.0.0.1';
const now = () => performance.timeOrigin + performance.now();

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>minimal relay</title>
<style>body{font:13px monospace;margin:0}#log{height:100vh;overflow:auto}.row{height:20px;white-space:pre}</style></head>
<body><div id="log" role="log" aria-label="Traffic"></div>
<script>
const log = document.getElementById('log');
const ws = new WebSocket('ws://' + location.host + '/ws');
ws.onopen = () => { document.body.dataset.ready = '1'; };
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  const row = document.createElement('div');
  row.setAttribute('role', 'row');
  row.className = 'row';
  row.dataset.time = String(m.time);
  row.dataset.seq = String(m.seq);
  row.textContent = m.size + ' B ' + m.text;
  // Newest first, so it is in view without a scroll (which would force a layout per message);
  // and as small as a virtualized view: the newest rows only.
  log.prepend(row);
  while (log.childElementCount > 200) log.lastElementChild.remove();
};
</script></body></html>`;

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(PAGE);
});
const wss = new WebSocketServer({ server, path: '/ws' });
let seq = 0;
const tcp = net.createServer({ allowHalfOpen: true }, (socket) => {
  socket.setNoDelay(true);
  socket.on('data', (buf) => {
    const msg = JSON.stringify({ time: now(), seq: seq++, size: buf.length, text: buf.subarray(0, 64).toString('latin1') });
    for (const client of wss.clients) client.send(msg);
  });
  socket.on('error', () => {});
});

await new Promise((r) => server.listen(0, HOST, r));
await new Promise((r) => tcp.listen(0, HOST, r));
process.stdout.write(`${JSON.stringify({ event: 'ready', url: `http://${HOST}:${server.address().port}/`, tcpPort: tcp.address().port })}\n`);
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
