/**
 * Replays: a captured connection's client side sent again to a server (as client), or its
 * server side served to each new client of a listener (as server, a mock of the real server).
 * Each replay is a task: it shows progress, and stopTask stops it.
 */
import type { CommandArgs } from '../../shared/contract';
import type { TaskInfo } from '../../shared/model';
import { fail, type Result } from '../../shared/result';
import type { Connections } from './connections';
import type { EngineCore } from './engine-core';
import type { Listeners } from './listeners';
import type { RepeatTasks } from './tasks';

export class Replays {
  constructor(
    private readonly core: EngineCore,
    private readonly connections: Connections,
    private readonly listeners: Listeners,
    private readonly tasks: RepeatTasks,
  ) {}

  async start(args: CommandArgs<'startReplay'>): Promise<Result<TaskInfo>> {
    void this.core;
    void this.connections;
    void this.listeners;
    void this.tasks;
    return fail({ code: 'NOT_IMPLEMENTED', message: `Replay as ${args.side} is not built yet.` });
  }

  /** Stops every replay (shutdown). */
  stopAll(): void {}
}
