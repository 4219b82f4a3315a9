// The child side of the stand-in utilityProcess: a plain Node process that offers the module it
// runs what Electron gives a utility process, process.parentPort, and carries MessagePorts the
// parent transferred as proxies over the IPC channel. Values cross it with Node's "advanced"
// serialization, the structured clone Electron uses. Test-only.
'use strict';
const { EventEmitter } = require('node:events');

const [script, ...args] = process.argv.slice(2);
const ports = new Map();

class ProxyPort extends EventEmitter {
  constructor(id) {
    super();
    this.id = id;
    this.closed = false;
  }
  postMessage(data) {
    if (!this.closed && process.connected) process.send({ t: 'port', id: this.id, data });
  }
  start() {}
  close() {
    if (this.closed) return;
    this.closed = true;
    ports.delete(this.id);
    if (process.connected) process.send({ t: 'port-close', id: this.id });
    this.emit('close');
  }
}

const parentPort = new EventEmitter();
parentPort.postMessage = (data) => {
  if (process.connected) process.send({ t: 'msg', data });
};

process.on('message', (m) => {
  if (m.t === 'msg') {
    const transferred = (m.ports || []).map((id) => {
      const port = new ProxyPort(id);
      ports.set(id, port);
      return port;
    });
    parentPort.emit('message', { data: m.data, ports: transferred });
  } else if (m.t === 'port') {
    ports.get(m.id)?.emit('message', { data: m.data, ports: [] });
  } else if (m.t === 'port-close') {
    const port = ports.get(m.id);
    if (port && !port.closed) {
      port.closed = true;
      ports.delete(m.id);
      port.emit('close');
    }
  }
});
// Electron ends utility processes with the app; here the app is gone when the channel is.
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));

process.parentPort = parentPort;
process.argv = [process.argv[0], script, ...args];
require(script);
