/** A node whose page is not built yet says so. */
import { useTitle } from './router';

export function NotAvailable({ label }: { label: string }) {
  useTitle(label);
  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">{label}</h1>
      <p className="not-available">Not available yet: this part of the console has not been built. The admin API already offers it.</p>
    </section>
  );
}

export function NotFound({ path }: { path: string }) {
  useTitle('Not found');
  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">Not found</h1>
      <p>The console has no page at {path}.</p>
    </section>
  );
}
