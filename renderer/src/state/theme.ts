import { useEffect } from 'react';
import type { InspectorApi } from '../../../shared/contract';
import type { ThemeSource } from '../../../shared/shortcuts';

const KEY = 'socket-inspector.theme';

/** The theme the user chose (System unless they picked one). */
export function loadTheme(): ThemeSource {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

/** Keeps a choice for the next start. */
export function saveTheme(theme: ThemeSource): void {
  try {
    if (theme === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, theme);
  } catch {
    // Storage refused (private mode): the choice lasts this run.
  }
}

/**
 * Applies the theme: System follows prefers-color-scheme (the CSS does that on its own), Light and
 * Dark override it. The desktop app also tells the system, so its menus and dialogs match.
 */
export function useTheme(api: InspectorApi, theme: ThemeSource): void {
  useEffect(() => {
    const root = document.documentElement;
    if (theme === 'system') delete root.dataset.theme;
    else root.dataset.theme = theme;
    api.setThemeSource?.(theme);
  }, [api, theme]);
}
