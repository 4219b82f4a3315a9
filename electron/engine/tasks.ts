/**
 * Tasks: work that runs on its own until it is done, fails or is stopped, shown with its
 * progress. Repeat tasks (one message sent again and again to a connection, or to a listener's
 * open clients, at an interval) run here; other kinds (replays) run in their own module and
 * register here, so every task is listed, updated and stopped in one place.
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
  /** For a task of another kind: stops its work at once (Stop). */
  onStop?: () => void;
  /** An update held back by the rate limit, sent when the limit allows. */
  trailing?: NodeJS.Timeout;
}

/** A task of another kind (a replay), as its module sees it once registered. */
export interface TaskControl {
  /** The task's record: change it in place, then call update(). */
  readonly info: TaskInfo;
  /** True until the task ends (done, failed, or stopped by the user). */
  readonly running: boolean;
  /**
   * Tells subscribers how the task stands: about ten times a second at most unless forced; an
   * update held back is sent once the limit allows, so the last state is never lost.
   */
  update(force?: boolean): void;
  /** Ends the task once, with its final state always sent; false when it had already ended. */
  finish(state: 'done' | 'failed' | 'stopped', error?: string): boolean;
  /** A copy of the record, as commands return it. */
  snapshot(): TaskInfo;
}

/** Least time between two updates of one task. */
const EMIT_INTERVAL_MS = 100;

export class RepeatTasks {
  private readonly tasks = new Map<string, TaskEntry>();
  private nextTaskId = 1;

  constructor(private readonly core: EngineCore) {}

  /** Every task, running or ended, as the snapshot shows them. */
  list(): TaskInfo[] {
    return [...this.tasks.values()].map((t) => copyTask(t.info));
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

  /**
   * Registers a task that runs elsewhere. stop is called when the user stops it: it must stop
   * the work at once (the task is already marked stopped, and that state sent).
   */
  addTask(init: Omit<TaskInfo, 'id' | 'state'>, stop: () => void): TaskControl {
    const task: TaskEntry = {
      info: { ...init, id: `T${this.nextTaskId++}`, state: 'running' },
      stopped: false,
      lastEmit: 0,
      onStop: stop,
    };
    this.tasks.set(task.info.id, task);
    this.emitTask(task, true);
    return {
      info: task.info,
      get running() {
        return task.info.state === 'running';
      },
      update: (force = false) => this.emitTask(task, force, true),
      finish: (state, error) => {
        if (task.info.state !== 'running') return false;
        task.stopped = true;
        task.info.state = state;
        if (error) task.info.error = error;
        this.emitTask(task, true);
        return true;
      },
      snapshot: () => copyTask(task.info),
    };
  }

  stopTask({ taskId }: CommandArgs<'stopTask'>): Result<TaskInfo> {
    const task = this.tasks.get(taskId);
    if (!task) return fail({ code: 'NOT_FOUND', message: `No task has id ${taskId}.` });
    if (task.info.state === 'running') {
      task.stopped = true;
      task.info.state = 'stopped';
      task.wake?.();
      task.onStop?.();
      this.emitTask(task, true);
    }
    return ok(copyTask(task.info));
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

  /**
   * Sends the task's record. A fast task must not flood subscribers with progress: about ten
   * updates a second. With trailing, an update held back is sent when the limit allows.
   */
  private emitTask(task: TaskEntry, force: boolean, trailing = false): void {
    const t = Date.now();
    if (!force && t - task.lastEmit < EMIT_INTERVAL_MS) {
      if (trailing && !task.trailing) {
        task.trailing = setTimeout(() => {
          task.trailing = undefined;
          this.emitTask(task, true);
        }, task.lastEmit + EMIT_INTERVAL_MS - t);
        task.trailing.unref();
      }
      return;
    }
    if (task.trailing) clearTimeout(task.trailing);
    task.trailing = undefined;
    task.lastEmit = t;
    this.core.emit({ type: 'task-updated', task: copyTask(task.info) });
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

  /**
   * At shutdown: every running repeat stops at once, even in the middle of a wait. Tasks of
   * other kinds are stopped by their own module (Replays.stopAll).
   */
  stopAll(): void {
    for (const t of this.tasks.values()) {
      t.stopped = true;
      t.wake?.();
      if (t.trailing) clearTimeout(t.trailing);
      t.trailing = undefined;
    }
  }
}

/** A record to hand out: its nested progress copied too, so later changes do not show through. */
function copyTask(info: TaskInfo): TaskInfo {
  return info.replay ? { ...info, replay: { ...info.replay } } : { ...info };
}
