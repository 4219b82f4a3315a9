import { describe, expect, it } from 'vitest';
import { parseCommand } from './contract';
import { MAX_MATCH_BYTES, regexHazard } from './regex-safety';

describe('regexHazard', () => {
  it.each([
    '^HELLO (\\w+)',
    '^(\\d+) ',
    'GET (\\S+) HTTP/1\\.[01]',
    '(\\w+)@(\\w+)\\.com',
    '\\d+\\.\\d+',
    '^QUIT',
    '^\\s*(\\w+):(.*)$',
  ])('accepts %s', (pattern) => {
    expect(regexHazard(pattern)).toBeNull();
  });

  it.each([
    ['(a+)+$', /`a` is repeated inside a repetition/],
    ['^(a|a)*b$', /catastrophic backtracking|too complex/],
    ['a*a*b', /`a` and `a` can match the same characters/],
    ['^\\s*(\\w+)\\s*:\\s*(.*)$', /`\\s` and `\.` can match the same characters/],
    ['(x+x+)+y', /catastrophic backtracking|too complex/],
  ])('refuses %s, saying why', (pattern, why) => {
    const hazard = regexHazard(pattern);
    expect(hazard).toMatch(why);
  });

  it('the refused patterns really do backtrack for a long time, and the accepted ones do not', () => {
    // What the check protects against, measured on the input a rule sees at most.
    const time = (re: RegExp, text: string) => {
      const t = performance.now();
      re.exec(text);
      return performance.now() - t;
    };
    const as = 'a'.repeat(26) + '!';
    expect(time(/^(?:(a+)+$)/, as)).toBeGreaterThan(20);
    const digits = '1'.repeat(MAX_MATCH_BYTES);
    expect(time(/\d+\.\d+/, digits)).toBeLessThan(2000);
  });

  it('a rules config with such a pattern is refused at the schema, naming the rule', () => {
    const parsed = parseCommand('setResponder', {
      target: { listenerId: 'L1' },
      responder: {
        kind: 'rules',
        rules: [
          { match: 'contains', pattern: 'x', reply: 'y' },
          { match: 'regex', pattern: '(a+)+$', reply: 'y' },
        ],
      },
    });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.message).toMatch(/^Rule 2 pattern: this regular expression is refused: it can backtrack without end/);
      expect(parsed.field).toBe('responder.rules.1.pattern');
    }
  });
});
