/**
 * Whether a rule's regular expression can backtrack catastrophically: a pattern such as
 * `(a+)+$` on a long run of `a`s keeps a backtracking engine busy for minutes, and an
 * auto-responder runs on the engine's only thread, so every socket would freeze. The check is
 * redos-detector's static analysis (no pattern is run).
 *
 * The pattern is checked anchored: a rule runs once per chunk or line, on at most
 * MAX_MATCH_BYTES of it, so trying each start position costs a bounded factor; what must be
 * refused is a pattern that can split the same text many ways from one start.
 */
import { isSafe, type RedosDetectorResult } from 'redos-detector';

/** A regex rule sees at most this much of a chunk or line, so matching time stays bounded. */
export const MAX_MATCH_BYTES = 8 * 1024;

/** Verdicts of patterns already checked (a config is often applied more than once). */
const verdicts = new Map<string, string | null>();
const VERDICTS_KEPT = 500;

function describeTrail(result: RedosDetectorResult): string {
  const trail = result.safe ? undefined : result.trails[0]?.trail;
  const split = trail?.find((e) => e.a.node.start.offset !== e.b.node.start.offset);
  if (split) return `\`${split.a.node.source}\` and \`${split.b.node.source}\` can match the same characters`;
  const first = trail?.[0];
  if (first) return `\`${first.a.node.source}\` is repeated inside a repetition that can match it too`;
  return 'its repetitions can split the same text in too many ways';
}

/**
 * Null when the pattern is safe to run on every chunk; otherwise why not, in words for the
 * person who typed it. timeoutMs bounds the analysis itself; a pattern too complex to check in
 * that time is refused too.
 */
export function regexHazard(pattern: string, timeoutMs = 500): string | null {
  const known = verdicts.get(pattern);
  if (known !== undefined) return known;
  let verdict: string | null;
  try {
    const result = isSafe(new RegExp(`^(?:${pattern})`), { timeout: timeoutMs });
    if (result.safe) verdict = null;
    else if (result.error === 'timedOut') {
      verdict = 'too complex to prove it cannot backtrack without end (catastrophic backtracking); simplify it';
    } else {
      verdict =
        `it can backtrack without end on some inputs (catastrophic backtracking: ${describeTrail(result)}), ` +
        'which would freeze every connection; rewrite it so no two parts can match the same characters';
    }
  } catch (err) {
    // The schema reports patterns that do not compile; this checker does not parse some syntax.
    verdict = `it could not be checked for catastrophic backtracking (${err instanceof Error ? err.message : String(err)})`;
  }
  if (verdicts.size >= VERDICTS_KEPT) verdicts.delete(verdicts.keys().next().value!);
  verdicts.set(pattern, verdict);
  return verdict;
}
