import { useEffect, useRef } from 'react';
import { useInspector, type NewKind } from '../../state/store';
import { ConnectForm } from '../ConnectForm';
import { ListenerPanel } from '../ListenerPanel';
import { RelayPanel } from '../RelayPanel';
import { UdpPanel } from '../UdpPanel';
import { NEW_FORM_ID } from './NewBar';

const TITLES: Record<NewKind, string> = { listen: 'New listener', connect: 'New connection', udp: 'New UDP socket', relay: 'New relay' };

/**
 * The open New form, above the selected connection. All four stay mounted (hidden when not
 * open), so each remembers what was typed in it last. Opening one puts the cursor in its first
 * field; Escape or Close form closes it.
 */
export function NewForms() {
  const open = useInspector((s) => s.newForm);
  const openNew = useInspector((s) => s.openNew);
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const form = host.current?.querySelector<HTMLElement>(`#${NEW_FORM_ID[open]}`);
    form?.querySelector<HTMLElement>('input:not([type="checkbox"]), select')?.focus();
  }, [open]);

  return (
    <div ref={host} className={open ? 'new-forms' : 'new-forms closed'}>
      {(Object.keys(TITLES) as NewKind[]).map((kind) => (
        <div
          key={kind}
          id={NEW_FORM_ID[kind]}
          role="dialog"
          aria-modal="false"
          aria-label={TITLES[kind]}
          hidden={open !== kind}
          className="new-form"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.stopPropagation();
              openNew(null);
            }
          }}
        >
          {kind === 'listen' ? <ListenerPanel /> : kind === 'connect' ? <ConnectForm /> : kind === 'udp' ? <UdpPanel /> : <RelayPanel />}
          <button type="button" className="icon-button close-form" aria-label="Close form" title="Close (Escape)" onClick={() => openNew(null)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
