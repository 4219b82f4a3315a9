import { useRef, useState, type FormEvent } from 'react';
import type { MatchKind, ResponderConfig, ResponderRule } from '../../../shared/model';
import type { ErrorInfo } from '../../../shared/result';
import { useApi } from '../api/context';
import { ErrorAlert } from '../components/ErrorAlert';
import { useFieldError } from './fields';

type Kind = ResponderConfig['kind'];

const MATCH_LABELS: Record<MatchKind, string> = {
  exact: 'is exactly',
  contains: 'contains',
  startsWith: 'starts with',
  regex: 'matches regex',
  hex: 'contains hex bytes',
};

const NEW_RULE: ResponderRule = { match: 'contains', pattern: '', reply: '', delayMs: 0, close: false };

/** A one-line description of a responder, for listener rows and connection headers. */
export function describeResponder(r: ResponderConfig | undefined): string {
  if (!r || r.kind === 'off') return 'off';
  if (r.kind === 'echo') return 'echo';
  if (r.kind === 'fixed') return `reply "${r.reply}"${r.close ? ' then close' : ''}`;
  if (r.kind === 'rules') return `${r.rules.length} ${r.rules.length === 1 ? 'rule' : 'rules'}${r.lineFraming ? ' per line' : ''}`;
  return `program: ${[r.command, ...r.args].join(' ')}${r.shell ? ' (shell)' : ''}`;
}

/** Splits an argument line like a shell would for quoting only: "a b" 'c d' e → [a b, c d, e]. */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:\\.|[^"\\])*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!));
  return out;
}

/**
 * Sets what answers automatically: on a listener (for all its clients, now and later) or on one
 * connection. Off, echo, a fixed reply, ordered rules with templates, or a program (as
 * `ncat --exec` does). Everything is checked by the host before it takes effect.
 */
export function ResponderEditor({
  target,
  current,
  label,
  onDone,
}: {
  target: { listenerId: string } | { connectionId: string };
  current: ResponderConfig | undefined;
  /** Says whose auto-reply this is, for headings and accessible names. */
  label: string;
  onDone: () => void;
}) {
  const api = useApi();
  const [kind, setKind] = useState<Kind>(current?.kind ?? 'echo');
  const [reply, setReply] = useState(current?.kind === 'fixed' ? current.reply : 'ACK!');
  const [hex, setHex] = useState(current?.kind === 'fixed' ? current.hex : false);
  const [closeAfter, setCloseAfter] = useState(current?.kind === 'fixed' ? current.close : false);
  const [rules, setRules] = useState<ResponderRule[]>(current?.kind === 'rules' ? current.rules : [{ ...NEW_RULE }]);
  const [defaultReply, setDefaultReply] = useState(current?.kind === 'rules' ? current.defaultReply : '');
  const [lineFraming, setLineFraming] = useState(current?.kind === 'rules' ? current.lineFraming : true);
  const [command, setCommand] = useState(current?.kind === 'program' ? current.command : '');
  const [args, setArgs] = useState(current?.kind === 'program' ? current.args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ') : '');
  const [shell, setShell] = useState(current?.kind === 'program' ? current.shell : false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  useFieldError(formRef, error);

  function config(): ResponderConfig {
    switch (kind) {
      case 'off':
        return { kind };
      case 'echo':
        return { kind };
      case 'fixed':
        return { kind, reply, hex, close: closeAfter };
      case 'rules':
        return { kind, rules, defaultReply, lineFraming };
      case 'program':
        return { kind, command, args: shell ? [] : splitArgs(args), shell };
    }
  }

  async function apply(e: FormEvent) {
    e.preventDefault();
    let cfg = config();
    if (cfg.kind === 'program' && cfg.shell) cfg = { ...cfg, command: [command, args].filter(Boolean).join(' ') };
    const result = await api.setResponder({ target, responder: cfg });
    if (!result.ok) return setError(result);
    setError(null);
    onDone();
  }

  const updateRule = (i: number, patch: Partial<ResponderRule>) => setRules((rs) => rs.map((r, k) => (k === i ? { ...r, ...patch } : r)));

  return (
    <form ref={formRef} className="responder" onSubmit={apply} aria-label={`Auto-reply for ${label}`} noValidate>
      <label className="inline">
        Auto-reply
        <select aria-label="Auto-reply" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
          <option value="off">Off</option>
          <option value="echo">Echo</option>
          <option value="fixed">Fixed reply</option>
          <option value="rules">Rules</option>
          <option value="program">Program</option>
        </select>
      </label>
      {kind === 'echo' && <p className="muted small">Sends every received chunk straight back.</p>}
      {kind === 'fixed' && (
        <div className="responder-body">
          <label className="field">
            <span>Reply</span>
            <input data-field="responder.reply" value={reply} onChange={(e) => setReply(e.target.value)} spellCheck={false} />
          </label>
          <label className="inline">
            <input type="checkbox" checked={hex} onChange={(e) => setHex(e.target.checked)} /> Reply is hex
          </label>
          <label className="inline">
            <input type="checkbox" checked={closeAfter} onChange={(e) => setCloseAfter(e.target.checked)} /> Close after reply
          </label>
        </div>
      )}
      {kind === 'rules' && (
        <div className="responder-body">
          <ol className="rule-list" aria-label="Rules">
            {rules.map((rule, i) => (
              <li key={i} className="rule">
                <select data-field={`responder.rules.${i}.match`} aria-label={`Match for rule ${i + 1}`} value={rule.match} onChange={(e) => updateRule(i, { match: e.target.value as MatchKind })}>
                  {(Object.keys(MATCH_LABELS) as MatchKind[]).map((m) => (
                    <option key={m} value={m}>
                      {MATCH_LABELS[m]}
                    </option>
                  ))}
                </select>
                <input data-field={`responder.rules.${i}.pattern`} aria-label={`Pattern for rule ${i + 1}`} placeholder="pattern" value={rule.pattern} spellCheck={false} onChange={(e) => updateRule(i, { pattern: e.target.value })} />
                <span aria-hidden="true">→</span>
                <input data-field={`responder.rules.${i}.reply`} aria-label={`Reply for rule ${i + 1}`} placeholder="reply, e.g. Hello {{1}}\n" value={rule.reply} spellCheck={false} onChange={(e) => updateRule(i, { reply: e.target.value })} />
                <input
                  data-field={`responder.rules.${i}.delayMs`}
                  aria-label={`Delay (ms) for rule ${i + 1}`}
                  className="small-input"
                  inputMode="numeric"
                  value={String(rule.delayMs)}
                  onChange={(e) => updateRule(i, { delayMs: Number(e.target.value) || 0 })}
                  title="Delay before replying, in ms"
                />
                <label className="inline small">
                  <input type="checkbox" aria-label={`Close after rule ${i + 1}`} checked={rule.close} onChange={(e) => updateRule(i, { close: e.target.checked })} /> close
                </label>
                <button type="button" className="mini" aria-label={`Remove rule ${i + 1}`} onClick={() => setRules((rs) => rs.filter((_, k) => k !== i))}>
                  ×
                </button>
              </li>
            ))}
          </ol>
          <button type="button" className="mini" onClick={() => setRules((rs) => [...rs, { ...NEW_RULE }])}>
            Add rule
          </button>
          <label className="field">
            <span>Default reply (no rule matched)</span>
            <input data-field="responder.defaultReply" value={defaultReply} onChange={(e) => setDefaultReply(e.target.value)} spellCheck={false} />
          </label>
          <label className="inline">
            <input type="checkbox" checked={lineFraming} onChange={(e) => setLineFraming(e.target.checked)} /> Match each line (split at \n)
          </label>
          <p className="muted small">
            Templates: {'{{time}} {{unixtime}} {{counter}} {{random}} {{hex}}'}, regex groups {'{{1}} {{2}}'}…; escapes \r \n \t \xNN. First match wins.
          </p>
        </div>
      )}
      {kind === 'program' && (
        <div className="responder-body">
          <label className="field">
            <span>Command</span>
            <input data-field="responder.command" value={command} onChange={(e) => setCommand(e.target.value)} spellCheck={false} placeholder="python3" />
          </label>
          <label className="field">
            <span>Arguments</span>
            <input data-field="responder.args" value={args} onChange={(e) => setArgs(e.target.value)} spellCheck={false} placeholder='-u calc.py "two words"' />
          </label>
          <label className="inline">
            <input type="checkbox" checked={shell} onChange={(e) => setShell(e.target.checked)} /> Run in a shell
          </label>
          <p className="muted small">
            Each client gets its own process: what the client sends goes to its stdin, its stdout is sent back, stderr and the exit code are shown on the
            connection. It runs without a shell unless you ask for one.
          </p>
        </div>
      )}
      <div className="inline">
        <button type="submit" className="primary mini">
          Apply
        </button>
        <button type="button" className="mini" onClick={onDone}>
          Cancel
        </button>
      </div>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
    </form>
  );
}
