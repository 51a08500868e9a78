// The signed-in principal (`GET /api/me`) and its workspaces, for every page.
import { createContext, useContext, type ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, call, setCsrf, type Principal } from '../api/client';

export interface SessionValue {
  me: Principal;
  workspaces: { id: string; name: string; role: string }[];
}

const Ctx = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const v = useContext(Ctx);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}

export function useMe() {
  return useQuery({
    queryKey: ['me'],
    queryFn: async () => {
      const [me, ws] = await Promise.all([call(api.GET('/api/me')), call(api.GET('/api/workspaces'))]);
      setCsrf(me.csrf_token);
      return { me, workspaces: ws.workspaces.map((w) => ({ id: w.id, name: w.name, role: w.role })) } satisfies SessionValue;
    },
    retry: false,
    staleTime: 60_000,
  });
}

export function SessionProvider({ value, children }: { value: SessionValue; children: ReactNode }) {
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

const RANK: Record<string, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** Whether the user's role in a workspace is at least `need`. */
export function useCan(ws: string, need: 'viewer' | 'member' | 'admin' | 'owner'): boolean {
  const { workspaces } = useSession();
  const w = workspaces.find((x) => x.name === ws || x.id === ws);
  return !!w && (RANK[w.role] ?? -1) >= RANK[need]!;
}
