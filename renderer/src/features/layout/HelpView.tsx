import { describeCombo, SHORTCUTS } from '../../../../shared/shortcuts';
import { Overlay } from '../../components/Overlay';
import { useInspector } from '../../state/store';
import { isMac } from './useShortcuts';

/** The keyboard shortcuts, and the keys of the lists. */
export function HelpView() {
  const open = useInspector((s) => s.helpOpen);
  const setHelpOpen = useInspector((s) => s.setHelpOpen);
  if (!open) return null;
  const mac = isMac();
  return (
    <Overlay title="Keyboard shortcuts" closeLabel="Close help" onClose={() => setHelpOpen(false)} closeAutoFocus>
      <table className="ports-table shortcuts-table" aria-label="Shortcuts">
        <thead>
          <tr>
            <th scope="col">Keys</th>
            <th scope="col">Does</th>
          </tr>
        </thead>
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.action}>
              <td>
                <kbd>{describeCombo(s.keys, mac)}</kbd>
              </td>
              <td>{s.label}</td>
            </tr>
          ))}
          <tr>
            <td>
              <kbd>Escape</kbd>
            </td>
            <td>Close a form, a menu, this help, Settings or the Ports view</td>
          </tr>
          <tr>
            <td>
              <kbd>↑</kbd> <kbd>↓</kbd> <kbd>←</kbd> <kbd>→</kbd> <kbd>Enter</kbd>
            </td>
            <td>In the connections list: move, open or close a listener, select</td>
          </tr>
          <tr>
            <td>
              <kbd>Delete</kbd>
            </td>
            <td>In the connections list: remove a closed connection</td>
          </tr>
          <tr>
            <td>
              <kbd>Shift+F10</kbd>
            </td>
            <td>In the connections list: the row's actions (Close, Reset, Stop, Rename…)</td>
          </tr>
          <tr>
            <td>
              <kbd>↑</kbd> <kbd>↓</kbd> <kbd>Enter</kbd>
            </td>
            <td>In the traffic table: move through the rows, expand one</td>
          </tr>
          <tr>
            <td>
              <kbd>Enter</kbd> / <kbd>Shift+Enter</kbd>
            </td>
            <td>In the message box: send / new line (↑ ↓ walk the history)</td>
          </tr>
        </tbody>
      </table>
    </Overlay>
  );
}
