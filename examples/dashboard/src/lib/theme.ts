// Dark and light themes: follow the system until the user picks one (kept in localStorage).
export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'sc.theme';

export function storedTheme(): ThemeChoice {
  const v = typeof localStorage === 'undefined' ? null : localStorage.getItem(KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

export function effectiveTheme(choice: ThemeChoice): 'light' | 'dark' {
  if (choice !== 'system') return choice;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function applyTheme(choice: ThemeChoice): void {
  localStorage.setItem(KEY, choice);
  if (choice === 'system') localStorage.removeItem(KEY);
  document.documentElement.dataset.theme = effectiveTheme(choice);
}
