// Per-user inbox preferences kept in the browser: saved views and column choice/order.
export interface SavedView { name: string; search: string; isDefault?: boolean }

const read = <T,>(k: string, fallback: T): T => {
  try { const v = localStorage.getItem(k); return v ? (JSON.parse(v) as T) : fallback; } catch { return fallback; }
};

export function savedViews(user: string): SavedView[] {
  const v = read<SavedView[]>(`sc.views.${user}`, []);
  return Array.isArray(v) ? v.filter((x) => x && typeof x.name === 'string' && typeof x.search === 'string') : [];
}
export function saveViews(user: string, views: SavedView[]): void {
  localStorage.setItem(`sc.views.${user}`, JSON.stringify(views));
}

export function columnPrefs(user: string, all: string[]): { order: string[]; hidden: string[] } {
  const p = read<{ order?: string[]; hidden?: string[] }>(`sc.cols.${user}`, {});
  const order = (p.order ?? []).filter((c) => all.includes(c));
  for (const c of all) if (!order.includes(c)) order.push(c);
  return { order, hidden: (p.hidden ?? []).filter((c) => all.includes(c) && c !== 'title') };
}
export function saveColumnPrefs(user: string, p: { order: string[]; hidden: string[] }): void {
  localStorage.setItem(`sc.cols.${user}`, JSON.stringify(p));
}
