import { isCommandName, parseCommand } from '../../shared/contract';
import { fail, type Result } from '../../shared/result';
import type { Engine } from './engine';

/**
 * The one door into the engine for both hosts: checks the command name, parses the input with
 * the contract's schema, runs it, and turns anything unexpected into an error Result. Nothing
 * that arrives from a renderer can throw past this function.
 */
export async function dispatchCommand(engine: Engine, name: unknown, input: unknown): Promise<Result<unknown>> {
  if (!isCommandName(name)) {
    return fail({ code: 'UNKNOWN_COMMAND', message: `Unknown command ${JSON.stringify(String(name)).slice(0, 80)}.` });
  }
  let parsed: ReturnType<typeof parseCommand>;
  try {
    parsed = parseCommand(name, input);
  } catch (err) {
    // An in-process caller can pass an object whose getters throw; that is bad input, not a crash.
    return fail({
      code: 'INVALID_INPUT',
      message: `The arguments of ${name} could not be read: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
  if (!parsed.ok) return fail({ code: parsed.code, message: parsed.message, ...(parsed.field ? { field: parsed.field } : {}) });
  try {
    return await engine.execute(name, parsed.args);
  } catch (err) {
    return fail({
      code: 'INTERNAL',
      message: `${name} failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
}
