// Routes. Every page but Login needs a session; `/` opens the first workspace's inbox.
import { lazy, Suspense, useEffect } from 'react';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError, setOnUnauthenticated } from './api/client';
import { SessionProvider, useMe } from './components/session';
import { ErrorState, Loading, ToastHost } from './components/ui';
import { ErrorBoundary } from './components/ErrorBoundary';
import { Login } from './pages/Login';
import { Inbox } from './pages/Inbox';

const Group = lazy(() => import('./pages/Group').then((m) => ({ default: m.Group })));
const Overview = lazy(() => import('./pages/Overview').then((m) => ({ default: m.Overview })));
const Fleet = lazy(() => import('./pages/Fleet').then((m) => ({ default: m.Fleet })));
const Rules = lazy(() => import('./pages/Rules').then((m) => ({ default: m.Rules })));
const Silences = lazy(() => import('./pages/Silences').then((m) => ({ default: m.Silences })));
const Integrations = lazy(() => import('./pages/Integrations').then((m) => ({ default: m.Integrations })));
const Settings = lazy(() => import('./pages/Settings').then((m) => ({ default: m.Settings })));

function Authed() {
  const me = useMe();
  const loc = useLocation();
  const nav = useNavigate();
  const qc = useQueryClient();
  useEffect(() => {
    setOnUnauthenticated(() => {
      qc.removeQueries({ queryKey: ['me'] });
      nav(`/login?next=${encodeURIComponent(loc.pathname + loc.search)}`);
    });
  }, [nav, qc, loc.pathname, loc.search]);
  if (me.isPending) return <Loading label="Signing in…" />;
  if (me.isError) {
    if (me.error instanceof ApiError && me.error.status === 401) {
      return <Navigate to={`/login?next=${encodeURIComponent(loc.pathname + loc.search)}`} replace />;
    }
    return <ErrorState error={me.error} retry={() => me.refetch()} />;
  }
  const first = me.data.workspaces[0];
  return (
    <SessionProvider value={me.data}>
      <ErrorBoundary resetKey={loc.pathname}>
      <Suspense fallback={<Loading />}>
        <Routes>
          <Route path="/" element={first ? <Navigate to={`/w/${encodeURIComponent(first.name)}/inbox`} replace /> : <NoWorkspace />} />
          <Route path="/w/:ws" element={<Navigate to="inbox" replace />} />
          <Route path="/w/:ws/inbox" element={<Inbox />} />
          <Route path="/w/:ws/groups/:id" element={<Group />} />
          <Route path="/w/:ws/overview" element={<Overview />} />
          <Route path="/w/:ws/fleet" element={<Fleet />} />
          <Route path="/w/:ws/rules" element={<Rules />} />
          <Route path="/w/:ws/silences" element={<Silences />} />
          <Route path="/w/:ws/integrations" element={<Integrations />} />
          <Route path="/w/:ws/settings" element={<Settings />} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Routes>
      </Suspense>
      </ErrorBoundary>
    </SessionProvider>
  );
}

function NoWorkspace() {
  return <div className="state"><div className="state-title">No workspace yet</div><div>Ask an owner to add you, or create one with <code>signalcraft workspace create</code>.</div></div>;
}

export function App() {
  return (
    <ToastHost>
      <Routes>
        <Route path="/login" element={<Login />} />
        <Route path="/*" element={<Authed />} />
      </Routes>
    </ToastHost>
  );
}
