import { useEffect, useState, type FormEvent } from 'react';
import { formatBytes } from '../../../shared/format';
import type { ErrorInfo } from '../../../shared/result';
import { useApi } from '../api/context';
import { ErrorAlert } from '../components/ErrorAlert';
import { Overlay } from '../components/Overlay';
import { useInspector } from '../state/store';
import type { ThemeSource } from '../../../shared/shortcuts';

/** Settings for this run: the capture budget (how many payload bytes the engine keeps). */
export function SettingsPanel() {
  const api = useApi();
  const settings = useInspector((s) => s.settings);
  const setSettings = useInspector((s) => s.setSettings);
  const open = useInspector((s) => s.settingsOpen);
  const setSettingsOpen = useInspector((s) => s.setSettingsOpen);
  const theme = useInspector((s) => s.theme);
  const setTheme = useInspector((s) => s.setTheme);
  const openFileDialog = useInspector((s) => s.openFileDialog);
  const [budget, setBudget] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [status, setStatus] = useState('');

  useEffect(() => {
    if (settings) setBudget(String(Math.round(settings.captureBudgetBytes / (1024 * 1024))));
  }, [settings]);

  async function apply(e: FormEvent) {
    e.preventDefault();
    const mib = Number(budget.trim());
    if (!/^\d+$/.test(budget.trim()) || mib < 1) {
      setError({ code: 'INVALID_INPUT', message: 'Capture budget must be a whole number of MiB, at least 1.' });
      return;
    }
    const result = await api.setSettings({ captureBudgetMiB: mib });
    if (!result.ok) return setError(result);
    setError(null);
    setSettings(result.value);
    setStatus(`Capture budget is now ${formatBytes(result.value.captureBudgetBytes)}.`);
  }

  if (!open) return null;
  return (
    <Overlay title="Settings" closeLabel="Close settings" onClose={() => setSettingsOpen(false)} className="settings">
      <label className="field theme-field">
        <span>Theme</span>
        <select aria-label="Theme" value={theme} onChange={(e) => setTheme(e.target.value as ThemeSource)} autoFocus>
          <option value="system">As the system (light or dark)</option>
          <option value="light">Light</option>
          <option value="dark">Dark</option>
        </select>
      </label>
      <form className="form-row" onSubmit={apply} noValidate>
        <label className="field grow">
          <span>Capture budget (MiB)</span>
          <input value={budget} onChange={(e) => setBudget(e.target.value)} inputMode="numeric" autoComplete="off" />
        </label>
        <button type="submit">Apply</button>
      </form>
      <p className="muted small">
        Payload bytes kept across all connections. Past it the oldest chunks are dropped; counters stay exact.
      </p>
      <div className="inline">
        <button
          type="button"
          onClick={async () => {
            const result = await api.clearCapture({ scope: { all: true } });
            if (!result.ok) return setError(result);
            setError(null);
            setStatus(`Cleared ${formatBytes(result.value.bytes)} captured by ${result.value.connections} connection${result.value.connections === 1 ? '' : 's'}; they stay listed and keep recording.`);
          }}
          title="Forget every captured byte; connections and their counters stay"
        >
          Clear all captures
        </button>
      </div>
      <div className="inline">
        <button type="button" onClick={() => openFileDialog('open-workspace')} title="Open a workspace file: see what it starts, then Start (Ctrl+Shift+O)">
          Open workspace…
        </button>
        <button type="button" onClick={() => openFileDialog('save-workspace')} title="Save the listeners, relays, UDP sockets, auto-replies, framing and views as a workspace file (Ctrl+Shift+S)">
          Save workspace…
        </button>
      </div>
      <p className="muted small" role="status">
        {status}
      </p>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
    </Overlay>
  );
}
