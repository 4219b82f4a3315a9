/**
 * A replay as client: the captured client's chunks sent on a new outgoing connection (opened by
 * Connections, so it is captured and shown like any other), then FIN if the captured client
 * closed. A server that closes or resets before the last chunk ends it as failed.
 */
import type net from 'node:net';
import type { EngineCore } from './engine-core';
import type { Endings } from './endings';
import type { ConnectionEntry } from './entries';
import { ReplayPlayer, type PlayOutcome, type ReplayOptions } from './replay-player';
import type { ReplayPlan } from './replay-source';
import type { TaskControl } from './tasks';

export class ClientReplay {
  private readonly player: ReplayPlayer;
  private control: TaskControl | undefined;

  constructor(
    core: EngineCore,
    private readonly endings: Endings,
    plan: ReplayPlan,
    private readonly entry: ConnectionEntry,
    options: ReplayOptions,
  ) {
    this.player = new ReplayPlayer(core, plan, entry, options, true, () => this.progress(false));
  }

  /** Plays the client's side; the task ends however playing ends. */
  async run(control: TaskControl): Promise<void> {
    this.control = control;
    const socket = this.entry.socket as net.Socket;
    // Registered after the connection's own listeners: its record is updated when these run.
    const wake = () => this.player.wake.notify();
    socket.on('data', wake);
    socket.on('end', wake);
    socket.on('close', wake);
    let outcome: PlayOutcome;
    try {
      outcome = await this.player.play();
    } catch (err) {
      outcome = { state: 'failed', message: `The replay stopped unexpectedly: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      socket.off('data', wake);
      socket.off('end', wake);
      socket.off('close', wake);
    }
    this.end(outcome);
  }

  /** Stop: nothing more is sent; the connection stays as it is. */
  stop(): void {
    this.player.stop();
  }

  /** The one ending path of a client replay: the record's last words, FIN if due, the task's end. */
  private end(outcome: PlayOutcome): void {
    const control = this.control!;
    const summary = this.player.summary();
    if (outcome.state === 'done') {
      let closing = '; left open (the captured client did not close)';
      if (outcome.closed) closing = `; then ${outcome.closed}`;
      else if (outcome.fin) {
        const closed = this.endings.closeConnection({ connectionId: this.entry.info.id, mode: 'end' });
        closing = closed.ok ? '; closed (FIN) as the captured client did' : '';
      }
      this.player.status = `done: ${summary}${closing}`;
      this.progress(true);
      control.finish('done');
      return;
    }
    if (outcome.state === 'stopped') {
      this.player.status = `stopped: ${summary}; the connection is left as it is`;
      this.progress(true);
      // Stopped by the user (already marked) or at shutdown.
      if (!control.finish('stopped')) control.update(true);
      return;
    }
    this.player.status = `failed: ${summary}`;
    this.progress(true);
    control.finish('failed', outcome.message);
  }

  private progress(force: boolean): void {
    const control = this.control;
    if (!control) return;
    const replay = control.info.replay!;
    replay.chunksSent = this.player.chunksSent;
    replay.bytesSent = this.player.bytesSent;
    replay.status = this.player.status;
    control.info.sent = this.player.chunksSent;
    // A task that ended keeps its final words: later updates would only repeat them.
    if (control.running || force) control.update(force);
  }
}
