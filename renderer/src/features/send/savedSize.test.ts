import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../../../shared/format';
import { MAX_CLIENT_MESSAGE_BYTES, MAX_HISTORY_ENTRY_CHARS, commandMessageBytes } from '../../../../shared/limits';
import type { SavedState } from '../../../../shared/model';
import { fitSaved } from './savedSize';

const snippet = (name: string, text: string) => ({ name, text, hex: false, lineEnding: 'none' as const });

describe('fitSaved', () => {
  it('keeps a state that fits as it is', () => {
    const state: SavedState = { snippets: [snippet('hello', 'hi\\n')], history: ['one', 'two'] };
    expect(fitSaved(state)).toEqual({ ok: true, state });
  });

  it('drops the oldest history entries until one message carries it, never a saved message', () => {
    // 100 entries of 60,000 characters (some of them not ASCII): about 6 MB, several times the limit.
    const history = Array.from({ length: 100 }, (_, i) => `${i}:` + (i % 2 ? 'é' : 'a').repeat(60_000));
    const state: SavedState = { snippets: [snippet('big', 'x'.repeat(100_000))], history };
    const fitted = fitSaved(state);
    if (!fitted.ok) throw new Error(fitted.message);
    expect(fitted.state.snippets).toEqual(state.snippets);
    const kept = fitted.state.history;
    expect(kept.length).toBeGreaterThan(5);
    expect(kept).toEqual(history.slice(history.length - kept.length));
    const size = commandMessageBytes('setSaved', fitted.state);
    expect(size).toBeLessThanOrEqual(MAX_CLIENT_MESSAGE_BYTES);
    // One more entry would not have fitted.
    expect(commandMessageBytes('setSaved', { ...state, history: history.slice(history.length - kept.length - 1) })).toBeGreaterThan(MAX_CLIENT_MESSAGE_BYTES);
  });

  it('leaves out history entries longer than the host keeps', () => {
    const long = 'y'.repeat(MAX_HISTORY_ENTRY_CHARS + 1);
    const fitted = fitSaved({ snippets: [], history: ['before', long, 'after'] });
    expect(fitted).toEqual({ ok: true, state: { snippets: [], history: ['before', 'after'] } });
  });

  it('refuses, with the sizes, saved messages that alone are too large', () => {
    const fitted = fitSaved({ snippets: [snippet('a', 'z'.repeat(900_000)), snippet('b', 'z'.repeat(900_000))], history: ['one'] });
    expect(fitted.ok).toBe(false);
    if (fitted.ok) return;
    expect(fitted.message).toMatch(new RegExp(`^Not saved: the saved messages would take 1\\.72 MiB, more than the ${formatBytes(MAX_CLIENT_MESSAGE_BYTES).replace('.', '\\.')} the host takes at once`));
  });
});
