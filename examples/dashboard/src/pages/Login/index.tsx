// Sign in with email and password: the host sets the `sc_session` cookie; the CSRF token comes back in the body.
import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { useQueryClient } from '@tanstack/react-query';
import { api, call, errorText, setCsrf } from '../../api/client';

export function Login() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const nav = useNavigate();
  const [params] = useSearchParams();
  const qc = useQueryClient();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await call(api.POST('/api/session', { body: { email, password } }));
      setCsrf(s.csrf_token);
      await qc.invalidateQueries({ queryKey: ['me'] });
      const next = params.get('next');
      nav(next && next.startsWith('/') && !next.startsWith('/login') ? next : '/', { replace: true });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <form className="card" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand" style={{ padding: 0 }}><span className="brand-mark" aria-hidden="true" />SignalCraft</div>
        <h1 id="login-title">Sign in</h1>
        <p className="muted" style={{ margin: 0 }}>Alerts from every source, deduplicated and routed.</p>
        <label className="field">Email<input type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} /></label>
        <label className="field">Password<input type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} /></label>
        {error && <div className="field-error" role="alert">{error}</div>}
        <button className="primary" type="submit" disabled={busy} style={{ justifyContent: 'center', height: 34 }}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
