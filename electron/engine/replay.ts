/**
 * Replays: a captured connection's client side sent again to a server (as client), or its
 * server side served to each new client of a listener (as server, a mock of the real server).
 * Each replay is a task: it shows progress, and stopTask stops it.
 *
 * The captured side is read from the capture store a page at a time (replay-source.ts); one
 * player sends it on a live connection (replay-player.ts); replay-client.ts and
 * replay-server.ts put that player on an outgoing connection or on each client of a listener.
 * Chunks the capture budget dropped are skipped and said so, never made up. A wait for the
 * other side's bytes that times out is not an error: the chunk is sent anyway, and the task's
 * status counts such waits.
 */
import type { CommandArgs } from '../../shared/contract';
import { formatBytes, formatHostPort } from '../../shared/format';
import type { TaskInfo } from '../../shared/model';
import { fail, ok, type Result } from '../../shared/result';
import type { Connections } from './connections';
import type { EngineCore } from './engine-core';
import type { Endings } from './endings';
import type { Listeners } from './listeners';
import { ClientReplay } from './replay-client';
import type { ReplayOptions } from './replay-player';
import { ServerReplay } from './replay-server';
import { ReplayPlan } from './replay-source';
import type { RepeatTasks, TaskControl } from './tasks';

interface Running {
  control: TaskControl;
  /** Stops quietly (shutdown): the engine itself closes listeners and sockets. */
  shutdown(): void;
}

export class Replays {
  private readonly running = new Set<Running>();

  constructor(
    private readonly core: EngineCore,
    private readonly connections: Connections,
    private readonly listeners: Listeners,
    private readonly tasks: RepeatTasks,
    private readonly endings: Endings,
  ) {}

  async start(args: CommandArgs<'startReplay'>): Promise<Result<TaskInfo>> {
    if (this.core.closed) return fail({ code: 'SHUT_DOWN', message: 'The engine is shutting down.' });
    const source = this.core.connections.get(args.sourceId);
    if (!source) return fail({ code: 'NOT_FOUND', message: `No connection has id ${args.sourceId}.` });
    if (source.udp || source.info.transport === 'udp') {
      return fail({
        code: 'NOT_SUPPORTED',
        message: 'Replay plays back one conversation of a stream connection (TCP, TLS or a Unix socket); a UDP socket has no client and server side to replay.',
      });
    }
    const plan = await ReplayPlan.scan(this.core, source, args.side);
    if (!(plan instanceof ReplayPlan)) return fail(plan);
    if (this.core.closed) return fail({ code: 'SHUT_DOWN', message: 'The engine is shutting down.' });
    const options: ReplayOptions = { timing: args.timing, speed: args.speed, waitForReplies: args.waitForReplies, replyTimeoutMs: args.replyTimeoutMs };
    for (const r of this.running) if (!r.control.running) this.running.delete(r);
    return args.side === 'client' ? this.startClient(args, plan, options) : this.startServer(args, plan, options);
  }

  /** Stops every replay (shutdown). */
  stopAll(): void {
    for (const r of this.running) if (r.control.running) r.shutdown();
    this.running.clear();
  }

  private async startClient(args: CommandArgs<'startReplay'>, plan: ReplayPlan, options: ReplayOptions): Promise<Result<TaskInfo>> {
    const connected = await this.connections.connect({ host: args.host, port: args.port, timeoutMs: args.timeoutMs });
    if (!connected.ok) return connected;
    const connectionId = connected.value.id;
    const entry = this.core.connections.get(connectionId);
    if (!entry) return fail({ code: 'CLOSED', message: `The replay's connection ${connectionId} closed before the replay could start.` });
    const runner = new ClientReplay(this.core, this.endings, plan, entry, options);
    const control = this.tasks.addTask(initialTask(plan, args, { connectionId }, formatHostPort(args.host, args.port), { connectionId }), () => runner.stop());
    this.running.add({ control, shutdown: () => runner.stop() });
    void runner.run(control);
    return ok(control.snapshot());
  }

  private async startServer(args: CommandArgs<'startReplay'>, plan: ReplayPlan, options: ReplayOptions): Promise<Result<TaskInfo>> {
    const runner = new ServerReplay(this.core, this.connections, this.listeners, this.endings, plan, options);
    const listening = await runner.listen(args.host, args.port);
    if (!listening.ok) return listening;
    const listener = listening.value;
    const where = formatHostPort(listener.address, listener.port);
    const control = this.tasks.addTask(initialTask(plan, args, { listenerId: listener.id }, where, { listenerId: listener.id, clients: 0 }), () => runner.stop());
    this.running.add({ control, shutdown: () => runner.shutdown() });
    runner.run(control, listener.id);
    return ok(control.snapshot());
  }
}

/** A replay task's first record: totals, and what the budget dropped before it started. */
function initialTask(
  plan: ReplayPlan,
  args: CommandArgs<'startReplay'>,
  target: TaskInfo['target'],
  where: string,
  extra: Partial<NonNullable<TaskInfo['replay']>>,
): Omit<TaskInfo, 'id' | 'state'> {
  const dropped =
    plan.droppedChunks > 0
      ? `; ${plan.droppedChunks} earlier chunk${plan.droppedChunks === 1 ? '' : 's'} (${formatBytes(plan.droppedBytes)}) of the ${args.side} were dropped by the capture budget and are skipped`
      : '';
  return {
    kind: 'replay',
    target,
    bytes: plan.bytesTotal,
    intervalMs: 0,
    count: plan.chunksTotal,
    sent: 0,
    replay: {
      sourceId: args.sourceId,
      side: args.side,
      where,
      chunksSent: 0,
      chunksTotal: plan.chunksTotal,
      bytesSent: 0,
      bytesTotal: plan.bytesTotal,
      ...extra,
      status: `starting${dropped}`,
    },
  };
}
