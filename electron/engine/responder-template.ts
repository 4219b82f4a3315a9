/**
 * Reply templates: literal text with escapes, and placeholders filled in as each reply is sent.
 */
import { concatBytes, parseEscapes, toHex } from '../../shared/bytes';
import { encoder } from './responder-common';

/** A placeholder: two braces, a name without braces, two braces. */
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

/** What a reply template expands from, prepared once: literal bytes and placeholders in order. */
export type CompiledTemplate = ReadonlyArray<Uint8Array | { name: string; raw: string }>;

/** Splits a template into its literal bytes (escapes interpreted) and its placeholders. */
export function compileTemplate(template: string): CompiledTemplate {
  const parts: Array<Uint8Array | { name: string; raw: string }> = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const at = m.index;
    if (at > last) parts.push(literalBytes(template.slice(last, at)));
    parts.push({ name: m[1]!.trim(), raw: m[0] });
    last = at + m[0].length;
  }
  if (last < template.length) parts.push(literalBytes(template.slice(last)));
  return parts;
}

/**
 * Expands a reply template (exported for tests and the UI preview; a string is compiled first).
 *
 * Literal text has its escapes (\r \n \t \0 \\ \xNN) interpreted; placeholders are replaced by
 * raw text that is not escape-processed, so a regex group holding a backslash stays one.
 * {{time}} local ISO-8601 with ms and offset, {{unixtime}} whole seconds, {{counter}},
 * {{random}} 0..2^31-1, {{0}} {{1}}… regex groups (empty when absent), {{hex}} the received
 * bytes as hex. Unknown placeholders stay as typed. Literal text with a bad escape (the schema
 * refuses it, but the preview may see it while the user types) is kept as typed, never thrown.
 */
export function expandTemplate(
  template: string | CompiledTemplate,
  ctx: { counter: number; groups?: string[]; received: Uint8Array; now?: Date },
): Uint8Array {
  const compiled = typeof template === 'string' ? compileTemplate(template) : template;
  const parts = compiled.map((part) => (part instanceof Uint8Array ? part : encoder.encode(placeholderValue(part.name, ctx) ?? part.raw)));
  return concatBytes(parts);
}

function placeholderValue(name: string, ctx: { counter: number; groups?: string[]; received: Uint8Array; now?: Date }): string | undefined {
  switch (name) {
    case 'time':
      return localIsoTime(ctx.now ?? new Date());
    case 'unixtime':
      return String(Math.floor((ctx.now ?? new Date()).getTime() / 1000));
    case 'counter':
      return String(ctx.counter);
    case 'random':
      return String(Math.floor(Math.random() * 0x80000000));
    case 'hex':
      return toHex(ctx.received);
    default:
      if (/^\d{1,3}$/.test(name)) return ctx.groups?.[Number(name)] ?? '';
      return undefined;
  }
}

export function literalBytes(text: string): Uint8Array {
  const parsed = parseEscapes(text);
  return parsed.ok ? parsed.bytes : encoder.encode(text);
}

/** "2024-05-01T13:45:12.345+02:00": local wall-clock time, with the offset that makes it exact. */
function localIsoTime(d: Date): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return (
    `${String(d.getFullYear()).padStart(4, '0')}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}` +
    `T${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}` +
    `${sign}${p2(Math.floor(abs / 60))}:${p2(abs % 60)}`
  );
}
