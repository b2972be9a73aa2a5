/**
 * Who is signed in: the token (sessionStorage), the site it belongs to, its actor, role and
 * permissions. `useCan(permission)` is how a page decides whether to offer a button that changes
 * something — what the role may not do is not shown at all.
 *
 * The permissions come from GET /me. A site without that answer (an older server) is used
 * read-only: the console then offers nothing that changes anything, and says so in the header.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError, onUnauthorized, request, session } from '../api/client';
import { ROLE_NAMES, type Me, type Permission, type Role, type SiteInfo } from '../api/types';

export interface Signed {
  token: string;
  siteCode: string;
  actor: string;
  role: Role;
  roleName: string;
  permissions: ReadonlySet<Permission>;
  /** The site did not say what the token may do: everything that changes something is hidden. */
  readOnlyFallback: boolean;
}

interface SessionValue {
  signed: Signed | null;
  /** Restoring a token kept in this tab (a reload) before the first page shows. */
  restoring: boolean;
  signIn(token: string): Promise<void>;
  signOut(): void;
}

const SessionContext = createContext<SessionValue | null>(null);

/** Reads the token's site and permissions; throws the site's error (401 for a wrong token). */
async function describeToken(token: string): Promise<Signed> {
  let me: Me | undefined;
  try {
    me = await request<Me>('GET', '/me', { token });
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
  }
  if (me) {
    const siteCode = me.siteCode ?? (await request<SiteInfo>('GET', '/site', { token })).siteCode;
    return {
      token,
      siteCode,
      actor: me.name,
      role: me.role,
      roleName: me.roleName ?? ROLE_NAMES[me.role] ?? me.role,
      permissions: new Set<Permission>(me.permissions),
      readOnlyFallback: false,
    };
  }
  // A site without GET /me: who is asking from GET /site, and nothing that changes anything.
  const site = await request<SiteInfo>('GET', '/site', { token });
  return {
    token,
    siteCode: site.siteCode,
    actor: site.you.name,
    role: site.you.role,
    roleName: ROLE_NAMES[site.you.role] ?? site.you.role,
    permissions: new Set<Permission>(['read']),
    readOnlyFallback: true,
  };
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [signed, setSigned] = useState<Signed | null>(null);
  const [restoring, setRestoring] = useState(() => session.token() !== null);

  useEffect(() => {
    const kept = session.token();
    if (!kept) return;
    let live = true;
    describeToken(kept)
      .then((s) => live && setSigned(s))
      .catch(() => session.clear())
      .finally(() => live && setRestoring(false));
    return () => {
      live = false;
    };
  }, []);

  const signOut = useCallback(() => {
    session.clear();
    setSigned(null);
  }, []);

  useEffect(() => onUnauthorized(signOut), [signOut]);

  const signIn = useCallback(async (token: string) => {
    const s = await describeToken(token.trim());
    session.set(s.token);
    setSigned(s);
  }, []);

  const value = useMemo(() => ({ signed, restoring, signIn, signOut }), [signed, restoring, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const v = useContext(SessionContext);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}

/** Whether the signed-in token's role allows `permission` (hide the control when it does not). */
export function useCan(permission: Permission): boolean {
  const { signed } = useSession();
  return signed?.permissions.has(permission) ?? false;
}

/** `useCan` for several at once. */
export function usePermissions(): (permission: Permission) => boolean {
  const { signed } = useSession();
  return useCallback((p: Permission) => signed?.permissions.has(p) ?? false, [signed]);
}
