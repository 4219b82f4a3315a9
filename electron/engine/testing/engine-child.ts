/**
 * A test-only engine process: runs one Engine, takes commands as JSON lines on stdin
 * ({"id", "name", "args"}, bytes as {"$b64": …}) and answers each with {"id", "result"} on stdout.
 * Every event batch is acknowledged at once. Tests use it to measure what only a separate
 * process shows: its RSS, its descriptors, its children, its exit.
 */
import readline from 'node:readline';
import { decodeWire, encodeWire } from '../../../shared/wire';
import { dispatchCommand } from '../dispatch';
import { Engine } from '../engine';

const engine = new Engine({ captureBudgetBytes: Number(process.env.CAPTURE_BUDGET ?? 64 * 1024 * 1024) });
const sub = engine.subscribe((batch) => sub.ack(batch.id));

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let msg: { id: number; name: string; args: unknown };
  try {
    msg = decodeWire(line) as typeof msg;
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ id: -1, error: String(err) })}\n`);
    return;
  }
  if (msg.name === 'shutdown') {
    void engine.shutdown().then(() => {
      process.stdout.write(`${encodeWire({ id: msg.id, result: { ok: true, value: null } })}\n`);
      process.exit(0);
    });
    return;
  }
  void dispatchCommand(engine, msg.name, msg.args).then((result) => {
    process.stdout.write(`${encodeWire({ id: msg.id, result })}\n`);
  });
});
// The test went away: leave as an app would on quit.
lines.on('close', () => void engine.shutdown().then(() => process.exit(0)));
