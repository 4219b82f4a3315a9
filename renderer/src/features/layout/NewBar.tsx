import { useInspector, type NewKind } from '../../state/store';

const ITEMS: Array<{ kind: NewKind; text: string; name: string }> = [
  { kind: 'listen', text: 'Listen', name: 'New listener' },
  { kind: 'connect', text: 'Connect', name: 'New connection' },
  { kind: 'udp', text: 'UDP', name: 'New UDP socket' },
  { kind: 'relay', text: 'Relay', name: 'New relay' },
];

/** The form a New button opens. */
export const NEW_FORM_ID: Record<NewKind, string> = { listen: 'new-listen', connect: 'new-connect', udp: 'new-udp', relay: 'new-relay' };

/** One compact bar that opens one creation form at a time (and closes it when pressed again). */
export function NewBar() {
  const open = useInspector((s) => s.newForm);
  const openNew = useInspector((s) => s.openNew);
  return (
    <div role="toolbar" aria-label="New" className="new-bar">
      <span className="new-label" aria-hidden="true">
        New
      </span>
      {ITEMS.map((item) => (
        <button
          key={item.kind}
          type="button"
          className={`new-button${open === item.kind ? ' active' : ''}`}
          title={item.name}
          aria-expanded={open === item.kind}
          aria-controls={NEW_FORM_ID[item.kind]}
          onClick={() => openNew(open === item.kind ? null : item.kind)}
        >
          {item.text}
        </button>
      ))}
    </div>
  );
}
