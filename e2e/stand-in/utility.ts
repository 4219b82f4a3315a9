/**
 * The parent side of the stand-in utilityProcess and MessageChannelMain: utilityProcess.fork is
 * a Node child process (utility-child.cjs gives it process.parentPort), and MessageChannelMain
 * is a real MessageChannel (node:worker_threads) whose ports look like Electron's
 * MessagePortMain. A port transferred to the child stays here and is proxied over the IPC
 * channel, whose "advanced" serialization is the structured clone Electron uses. Test-only.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';

const BOOTSTRAP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'utility-child.cjs');

/** Electron's MessagePortMain over a real MessagePort: 'message' events carry {data, ports}. */
export class StandInPort extends EventEmitter {
  constructor(readonly port: MessagePort) {
    super();
    port.on('message', (data: unknown) => this.emit('message', { data, ports: [] }));
    port.on('close', () => this.emit('close'));
  }
  postMessage(message: unknown): void {
    this.port.postMessage(message);
  }
  start(): void {
    this.port.start();
  }
  close(): void {
    this.port.close();
  }
}

/** Electron's MessageChannelMain: a real channel. */
export class StandInMessageChannelMain {
  readonly port1: StandInPort;
  readonly port2: StandInPort;
  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port1 = new StandInPort(port1);
    this.port2 = new StandInPort(port2);
  }
}

let nextPortId = 1;

/** Electron's UtilityProcess, as a Node child process. */
export class StandInUtilityProcess extends EventEmitter {
  readonly child: ChildProcess;
  readonly stdout = null;
  readonly stderr = null;
  private readonly ports = new Map<number, StandInPort>();

  static fork(modulePath: string, args: string[] = [], options: { env?: NodeJS.ProcessEnv } = {}): StandInUtilityProcess {
    return new StandInUtilityProcess(modulePath, args, options);
  }

  private constructor(modulePath: string, args: string[], options: { env?: NodeJS.ProcessEnv }) {
    super();
    this.child = fork(BOOTSTRAP, [modulePath, ...args], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: options.env ?? process.env });
    this.child.once('spawn', () => this.emit('spawn'));
    this.child.on('message', (m: { t: string; id?: number; data?: unknown }) => {
      if (m.t === 'msg') this.emit('message', m.data);
      else if (m.t === 'port') this.ports.get(m.id!)?.postMessage(m.data);
      else if (m.t === 'port-close') {
        this.ports.get(m.id!)?.close();
        this.ports.delete(m.id!);
      }
    });
    this.child.once('exit', (code, signal) => {
      for (const port of this.ports.values()) port.close();
      this.ports.clear();
      // As a shell reports it: a process a signal ended exits with 128 + its number.
      this.emit('exit', code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1));
    });
  }

  get pid(): number | undefined {
    return this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  postMessage(message: unknown, transfer: StandInPort[] = []): void {
    const ids = transfer.map((port) => {
      const id = nextPortId++;
      this.ports.set(id, port);
      port.on('message', (event: { data: unknown }) => {
        if (this.child.connected) this.child.send({ t: 'port', id, data: event.data });
      });
      port.on('close', () => {
        if (this.ports.delete(id) && this.child.connected) this.child.send({ t: 'port-close', id });
      });
      return id;
    });
    if (this.child.connected) this.child.send({ t: 'msg', data: message, ports: ids });
  }

  kill(): boolean {
    return this.child.kill('SIGTERM');
  }
}
