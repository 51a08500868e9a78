// The app shell: sidebar (workspace switcher, pages, theme, sign out) and the page.
import { useEffect, useState, type ReactNode } from 'react';
import { NavLink, useLocation, useNavigate, useParams } from 'react-router-dom';
import { useQueryClient } from '@tanstack/react-query';
import { api, call, setCsrf } from '../api/client';
import { applyTheme, storedTheme, type ThemeChoice } from '../lib/theme';
import { useSession } from './session';

const NAV = [
  { to: 'inbox', label: 'Inbox', icon: '▤' },
  { to: 'overview', label: 'Overview', icon: '◔' },
  { to: 'fleet', label: 'Fleet', icon: '◫' },
  { to: 'rules', label: 'Rules', icon: '⇄' },
  { to: 'silences', label: 'Silences', icon: '◌' },
  { to: 'integrations', label: 'Integrations', icon: '⌁' },
  { to: 'settings', label: 'Settings', icon: '⚙' },
];

export function Layout({ title, actions, children, flush = false }: { title: ReactNode; actions?: ReactNode; children: ReactNode; flush?: boolean }) {
  const { ws = '' } = useParams();
  const { me, workspaces } = useSession();
  const nav = useNavigate();
  const loc = useLocation();
  const qc = useQueryClient();
  const [theme, setTheme] = useState<ThemeChoice>(storedTheme());
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [loc.pathname]);
  useEffect(() => {
    document.title = `${typeof title === 'string' ? title + ' · ' : ''}${ws} · SignalCraft`;
  }, [title, ws]);

  const switchTo = (name: string) => {
    const rest = loc.pathname.split('/').slice(3)[0] ?? 'inbox';
    nav(`/w/${encodeURIComponent(name)}/${rest === 'groups' ? 'inbox' : rest}`);
  };
  const signOut = async () => {
    try { await call(api.DELETE('/api/session')); } catch { /* already gone */ }
    setCsrf(null);
    qc.clear();
    nav('/login');
  };
  return (
    <div className="shell">
      <aside className={`sidebar ${open ? 'open' : ''}`} aria-label="Main">
        <div className="brand"><span className="brand-mark" aria-hidden="true" />SignalCraft</div>
        <label className="field">
          Workspace
          <select value={ws} onChange={(e) => switchTo(e.target.value)} aria-label="Workspace">
            {workspaces.map((w) => <option key={w.id} value={w.name}>{w.name}</option>)}
          </select>
        </label>
        <nav className="nav" aria-label="Pages" style={{ marginTop: 8 }}>
          {NAV.map((n) => (
            <NavLink key={n.to} to={`/w/${encodeURIComponent(ws)}/${n.to}`} className={({ isActive }) => (isActive || (n.to === 'inbox' && loc.pathname.includes('/groups/')) ? 'active' : '')}>
              <span className="nav-icon" aria-hidden="true">{n.icon}</span>{n.label}
            </NavLink>
          ))}
        </nav>
        <div className="sidebar-foot">
          <label className="field">
            Theme
            <select value={theme} onChange={(e) => { const t = e.target.value as ThemeChoice; setTheme(t); applyTheme(t); }} aria-label="Theme">
              <option value="system">System</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
          <div className="small muted" title={me.actor} style={{ overflow: 'hidden', textOverflow: 'ellipsis' }}>{me.user?.email ?? me.actor}</div>
          <button onClick={signOut}>Sign out</button>
        </div>
      </aside>
      <div className="main">
        <header className="topbar">
          <button className="menu-btn ghost" aria-label="Open menu" aria-expanded={open} onClick={() => setOpen((o) => !o)}>☰</button>
          <h1>{title}</h1>
          <div className="spacer" />
          {actions}
        </header>
        <main className={`page ${flush ? 'flush' : ''}`}>{children}</main>
      </div>
    </div>
  );
}
