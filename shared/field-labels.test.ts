import { describe, expect, it } from 'vitest';
import { fieldKey, fieldLabel } from './field-labels';

describe('field labels', () => {
  it('names fields as the forms show them', () => {
    expect(fieldLabel(['responder', 'rules', 0, 'pattern'])).toBe('Rule 1 pattern');
    expect(fieldLabel(['responder', 'rules', 2, 'reply'])).toBe('Rule 3 reply');
    expect(fieldLabel(['responder', 'rules', 1])).toBe('Rule 2');
    expect(fieldLabel(['responder', 'reply'])).toBe('Reply');
    expect(fieldLabel(['responder', 'args', 0])).toBe('Argument 1');
    expect(fieldLabel(['responder'])).toBe('Auto-reply');
    expect(fieldLabel(['targetPort'])).toBe('Target port');
    expect(fieldLabel(['tls', 'caPath'])).toBe('Trusted CA file');
    expect(fieldLabel(['captureBudgetMiB'])).toBe('Capture budget');
    expect(fieldLabel(['someNewField'])).toBe('Some new field');
    expect(fieldLabel([])).toBe('');
  });
  it('keys a path for a form to find its input', () => {
    expect(fieldKey(['responder', 'rules', 0, 'pattern'])).toBe('responder.rules.0.pattern');
  });
});
