/**
 * The console's frame: the header (site, who is signed in), the navigation of the workspaces'
 * nodes on the left, and the current node's page.
 */
import { Suspense, useEffect, useRef } from 'react';
import { Progress } from '../components/Progress';
import { ErrorBoundary } from '../components/ErrorBoundary';
import { HOME, nodeOf, WORKSPACES, type NavNode } from './navigation';
import { NotAvailable, NotFound } from './NotAvailable';
import { pageOf } from './pages';
import { Link, navigate, usePath } from './router';
import { useSession } from './session';

function NavList({ nodes, current, level }: { nodes: NavNode[]; current?: string; level: number }) {
  return (
    <ul className={`nav-level-${level}`}>
      {nodes.map((n) =>
        n.children ? (
          <li key={n.label}>
            <span className="nav-folder">{n.label}</span>
            <NavList nodes={n.children} current={current} level={level + 1} />
          </li>
        ) : (
          <li key={n.path}>
            <Link to={n.path!} aria-current={current === n.path ? 'page' : undefined}>
              {n.label}
            </Link>
          </li>
        ),
      )}
    </ul>
  );
}

export function Shell() {
  const { signed, signOut } = useSession();
  const path = usePath();
  const found = nodeOf(path);
  const main = useRef<HTMLElement>(null);

  useEffect(() => {
    if (path === '/' || path === '/index.html') navigate(HOME, { replace: true });
  }, [path]);

  // A new page: move focus to its heading region, as a screen reader user expects after navigation.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus({ preventScroll: true });
  }, [found?.node.path]);

  if (!signed) return null;
  const Page = found ? pageOf(found.node.path!) : undefined;
  const rest = found ? path.slice(found.node.path!.length).split('/').filter(Boolean).map(decodeURIComponent) : [];

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="product">OpenOSD</span>
        <span className="site" aria-label="Site">
          Site {signed.siteCode}
        </span>
        <span className="who">
          <span className="actor" aria-label="Signed in as">
            {signed.actor}
          </span>
          <span className="role">
            {signed.roleName}
            {signed.readOnlyFallback ? ' (read-only: the site did not say what this token may do)' : ''}
          </span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </span>
      </header>
      <nav className="side" aria-label="Workspaces">
        {WORKSPACES.map((w) => (
          <section key={w.path} aria-labelledby={`ws-${w.path.slice(1)}`}>
            <h2 id={`ws-${w.path.slice(1)}`} className={found?.workspace === w ? 'current' : undefined}>
              {w.label}
            </h2>
            <NavList nodes={w.nodes} current={found?.node.path} level={1} />
          </section>
        ))}
      </nav>
      <main id="main" ref={main} tabIndex={-1}>
        {!found ? (
          path === '/' ? null : (
            <NotFound path={path} />
          )
        ) : Page ? (
          <ErrorBoundary key={found.node.path}>
            <Suspense fallback={<Progress label={`Loading ${found.node.label}`} />}>
              <Page rest={rest} base={found.node.path!} />
            </Suspense>
          </ErrorBoundary>
        ) : (
          <NotAvailable label={found.node.label} />
        )}
      </main>
    </div>
  );
}
