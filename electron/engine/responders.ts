/**
 * Auto-responders: what answers on a connection without the user typing. Echo, a fixed reply,
 * rules matched against each chunk or line, or a program run per connection the way
 * `ncat --exec` does. These modules know nothing about sockets: the engine hands them received
 * bytes and gives each responder a ResponderHost to send through.
 */
import { parseEscapes, parseHex } from '../../shared/bytes';
import type { ProgramInfo, ResponderConfig } from '../../shared/model';
import { EMPTY, encoder } from './responder-common';
import { ProgramResponder } from './responder-program';
import { RulesResponder } from './responder-rules';

export { expandTemplate } from './responder-template';
export { MAX_LINE_BYTES, MAX_PENDING_BYTES, MAX_PENDING_REPLIES } from './responder-rules';
export { STDERR_KEEP } from './responder-program';

/**
 * What happened to an automatic reply: ok (sent, send more), full (taken, but the peer is not
 * reading: wait for whenWritable before sending more), closed (the connection cannot send).
 */
export type SendOutcome = 'ok' | 'full' | 'closed';

/** What a responder may do to its connection. */
export interface ResponderHost {
  /** Sends bytes as an automatic reply; the engine records them as an out chunk marked auto. */
  sendAuto(bytes: Uint8Array): SendOutcome;
  /** Calls back once the connection can take more replies (its send buffer drained). */
  whenWritable(callback: () => void): void;
  /**
   * Stops (true) or resumes (false) reading from the peer: what a responder cannot take yet
   * (its delayed replies or a program's stdin are full) waits in the kernel, not in memory.
   */
  holdInput(hold: boolean): void;
  /** Half-closes our side (FIN) after replies are flushed. */
  end(): void;
  /** Program responder state changed (started, stderr grew, exited, failed to start). */
  programUpdated(info: ProgramInfo): void;
}

/** State shared by every connection of one listener's responder (the {{counter}}). */
export interface ResponderShared {
  counter: number;
}

export interface Responder {
  /** A chunk the peer sent (exact bytes of one read). */
  onData(bytes: Uint8Array): void;
  /**
   * The peer sent FIN. finished is called once the responder has nothing more to send, so the
   * engine can close our side after the last reply (a program ends the connection itself when it
   * exits, and never calls it).
   */
  onPeerEnd(finished: () => void): void;
  /** The connection closed or the responder was replaced: stop timers, kill the program. */
  dispose(): void;
  /** For a program: resolves once its process is gone (after dispose, within the kill grace). */
  whenGone?(): Promise<void>;
}

/** Null for { kind: 'off' }. */
export function createResponder(config: ResponderConfig, host: ResponderHost, shared?: ResponderShared): Responder | null {
  switch (config.kind) {
    case 'off':
      return null;
    case 'echo':
      return new EchoResponder(host);
    case 'fixed':
      return new FixedResponder(config, host);
    case 'rules':
      return new RulesResponder(config, host, shared ?? { counter: 0 });
    case 'program':
      return new ProgramResponder(config, host);
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Echo and fixed

class EchoResponder implements Responder {
  private live = true;
  constructor(private readonly host: ResponderHost) {}

  onData(bytes: Uint8Array): void {
    try {
      if (!this.live || bytes.length === 0) return;
      // 'full' needs nothing here: the engine stops reading from the peer until it drains.
      if (this.host.sendAuto(bytes) === 'closed') this.live = false;
    } catch {
      this.live = false;
    }
  }

  onPeerEnd(finished: () => void): void {
    finished();
  }

  dispose(): void {
    this.live = false;
  }
}

class FixedResponder implements Responder {
  private live = true;
  private readonly reply: Uint8Array;
  private readonly close: boolean;

  constructor(
    config: Extract<ResponderConfig, { kind: 'fixed' }>,
    private readonly host: ResponderHost,
  ) {
    const parsed = config.hex ? parseHex(config.reply) : parseEscapes(config.reply);
    // The schema refuses bad hex and bad escapes; if one slips through, text is sent as typed
    // and bad hex sends nothing rather than guessing at bytes.
    this.reply = parsed.ok ? parsed.bytes : config.hex ? EMPTY : encoder.encode(config.reply);
    this.close = config.close;
  }

  onData(bytes: Uint8Array): void {
    try {
      if (!this.live || bytes.length === 0) return;
      if (this.reply.length > 0 && this.host.sendAuto(this.reply) === 'closed') {
        this.live = false;
        return;
      }
      if (this.close) {
        this.live = false;
        this.host.end();
      }
    } catch {
      this.live = false;
    }
  }

  onPeerEnd(finished: () => void): void {
    finished();
  }

  dispose(): void {
    this.live = false;
  }
}
