/**
 * Repeat tasks: one message sent again and again to a connection, or to a listener's open
 * clients, at an interval, until its count is reached, it fails or it is stopped.
 */
import type { CommandArgs } from '../../shared/contract';
import { formatHostPort } from '../../shared/format';
import type { TaskInfo } from '../../shared/model';
import { fail, ok, type ErrorInfo, type Result } from '../../shared/result';
import type { EngineCore } from './engine-core';
import { openClients, sendRefusal, type ConnectionEntry } from './entries';

interface TaskEntry {
  info: TaskInfo;
  stopped: boolean;
  /** Ends the current wait between sends early (Stop). */
  wake?: () => void;
  lastEmit: number;
}

export class RepeatTasks {
  private readonly tasks = new Map<string, TaskEntry>();
  private nextTaskId = 1;

  constructor(private readonly core: EngineCore) {}

  /** Every task, running or ended, as the snapshot shows them. */
  list(): TaskInfo[] {
    return [...this.tasks.values()].map((t) => ({ ...t.info }));
  }

  startRepeat({ target, data, intervalMs, count }: CommandArgs<'startRepeat'>): Result<TaskInfo> {
    if (data.byteLength === 0) return fail({ code: 'EMPTY', message: 'Nothing to send: the message is empty.' });
    const targets = this.targetsOf(target);
    if ('code' in targets) return fail(targets);
    const task: TaskEntry = {
      info: { id: `T${this.nextTaskId++}`, target, bytes: data.byteLength, intervalMs, count, sent: 0, state: 'running' },
      stopped: false,
      lastEmit: 0,
    };
    this.tasks.set(task.info.id, task);
    this.core.emit({ type: 'task-updated', task: { ...task.info } });
    void this.runTask(task, new Uint8Array(data));
    return ok({ ...task.info });
  }

  stopTask({ taskId }: CommandArgs<'stopTask'>): Result<TaskInfo> {
    const task = this.tasks.get(taskId);
    if (!task) return fail({ code: 'NOT_FOUND', message: `No task has id ${taskId}.` });
    if (task.info.state === 'running') {
      task.stopped = true;
      task.info.state = 'stopped';
      task.wake?.();
      this.emitTask(task, true);
    }
    return ok({ ...task.info });
  }

  private async runTask(task: TaskEntry, data: Uint8Array): Promise<void> {
    const total = task.info.count ?? Number.POSITIVE_INFINITY;
    while (!task.stopped && task.info.sent < total) {
      const targets = this.targetsOf(task.info.target);
      if ('code' in targets) {
        this.finishTask(task, 'failed', targets.message);
        return;
      }
      // Counted when handed to the sockets, so a Stop that lands while this send is in flight
      // reports it: nothing is sent after the count that Stop reports.
      const writes = targets.map((t) => this.core.write(t, data, false));
      task.info.sent += 1;
      this.emitTask(task, false);
      const errors = (await Promise.all(writes)).filter((e) => e !== null);
      if (errors.length === targets.length) {
        this.finishTask(task, 'failed', errors[0]!.message);
        return;
      }
      if (task.stopped || task.info.sent >= total) break;
      // Sleeps are cancellable so Stop takes effect at once, even with long intervals.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, task.info.intervalMs);
        task.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      task.wake = undefined;
    }
    if (!task.stopped) this.finishTask(task, 'done');
  }

  private finishTask(task: TaskEntry, state: 'done' | 'failed', error?: string): void {
    if (task.info.state !== 'running') return;
    task.info.state = state;
    if (error) task.info.error = error;
    this.emitTask(task, true);
  }

  private emitTask(task: TaskEntry, force: boolean): void {
    // A fast repeat must not flood subscribers with progress: about ten updates a second.
    const t = Date.now();
    if (!force && t - task.lastEmit < 100) return;
    task.lastEmit = t;
    this.core.emit({ type: 'task-updated', task: { ...task.info } });
  }

  /** The connections a task writes to, or why there are none. */
  private targetsOf(target: TaskInfo['target']): ConnectionEntry[] | ErrorInfo {
    if ('connectionId' in target) {
      const entry = this.core.connections.get(target.connectionId);
      if (!entry) return { code: 'NOT_FOUND', message: `No connection has id ${target.connectionId}.` };
      return sendRefusal(entry) ?? [entry];
    }
    const listener = this.core.listeners.get(target.listenerId);
    if (!listener) return { code: 'NOT_FOUND', message: `Listener ${target.listenerId} is not running.` };
    const open = openClients(listener);
    return open.length ? open : { code: 'NO_CLIENTS', message: `No open client of ${formatHostPort(listener.info.address, listener.info.port)} to send to.` };
  }

  /** At shutdown: every running task stops at once, even in the middle of a wait. */
  stopAll(): void {
    for (const t of this.tasks.values()) {
      t.stopped = true;
      t.wake?.();
    }
  }
}
