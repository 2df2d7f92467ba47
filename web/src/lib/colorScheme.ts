// Light or dark: the system setting (prefers-color-scheme) unless the user
// chose one with the top bar's toggle, which is kept in localStorage as
// `cairn.colorScheme`. The scheme in effect is set as `data-color-scheme`
// (`light` or `dark`) on <html>, and follows the system while the choice
// is `system`; styles.css holds both palettes.

export type SchemeChoice = 'system' | 'light' | 'dark';

const KEY = 'cairn.colorScheme';

export function parseScheme(value: string | null | undefined): SchemeChoice {
  return value === 'light' || value === 'dark' ? value : 'system';
}

export function storedScheme(): SchemeChoice {
  try {
    return parseScheme(localStorage.getItem(KEY));
  } catch {
    return 'system';
  }
}

/** The toggle's order: system -> dark -> light -> system. */
export function nextScheme(choice: SchemeChoice): SchemeChoice {
  return choice === 'system' ? 'dark' : choice === 'dark' ? 'light' : 'system';
}

/** The scheme in effect for a choice and the system setting. */
export function effectiveScheme(choice: SchemeChoice, systemDark: boolean): 'light' | 'dark' {
  return choice === 'system' ? (systemDark ? 'dark' : 'light') : choice;
}

export function systemPrefersDark(): boolean {
  return typeof window !== 'undefined' && !!window.matchMedia?.('(prefers-color-scheme: dark)').matches;
}

/** Applies a choice (and stores it when `store`). */
export function applyScheme(choice: SchemeChoice, store = false) {
  const root = document.documentElement;
  root.dataset.colorScheme = effectiveScheme(choice, systemPrefersDark());
  root.dataset.colorSchemeChoice = choice;
  if (!store) return;
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // Private mode: the choice lasts for this page.
  }
}

/** Subscribes to changes of the system setting (for useSyncExternalStore). */
export function onSystemSchemeChange(listener: () => void): () => void {
  const query = window.matchMedia?.('(prefers-color-scheme: dark)');
  query?.addEventListener('change', listener);
  return () => query?.removeEventListener('change', listener);
}

/** Follows changes of the system setting while the choice is `system`. */
export function followSystemScheme() {
  onSystemSchemeChange(() => applyScheme(storedScheme()));
}
