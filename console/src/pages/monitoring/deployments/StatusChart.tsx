/**
 * A deployment's progress over time (GET /deployments/:id/status/history) as a stacked area chart
 * drawn in SVG, no chart library: at each point the devices in Success, In Progress, Error,
 * Requirements Not Met and Unknown. For assistive technology the SVG is an image described in words
 * (the counts at the start and now), and the numbers are in a table under "Chart data".
 */
import { useId } from 'react';
import { CATEGORIES, CATEGORY_LABELS, type Category, type StatusHistory } from './types';

export const CATEGORY_COLORS: Record<Category, string> = {
  success: '#2e7d32',
  'in-progress': '#1565c0',
  error: '#c62828',
  'requirements-not-met': '#e65100',
  unknown: '#757575',
};

const W = 720;
const H = 220;
const PAD = { left: 44, right: 12, top: 12, bottom: 34 };

function timeLabel(d: Date, spanMs: number): string {
  return spanMs > 36 * 3600_000
    ? d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
    : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: spanMs < 600_000 ? '2-digit' : undefined, hour12: false });
}

export function StatusChart({ history }: { history: StatusHistory }) {
  const titleId = useId();
  const descId = useId();
  const points = history.points;
  if (points.length === 0) return <p>No status yet.</p>;
  const t0 = Date.parse(points[0]!.at);
  const t1 = Date.parse(points[points.length - 1]!.at);
  const span = Math.max(1, t1 - t0);
  const maxTotal = Math.max(1, ...points.map((p) => p.total));
  const x = (at: string) => PAD.left + ((Date.parse(at) - t0) / span) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / maxTotal) * (H - PAD.top - PAD.bottom);

  // Stacked from the bottom in the console's order (Success at the bottom).
  const layers = CATEGORIES.map((c, ci) => {
    const below = (p: (typeof points)[number]) => CATEGORIES.slice(0, ci).reduce((s, k) => s + p[k], 0);
    // Steps, not slopes: a count holds from its point to the next (the counts are taken at each bucket's end).
    const stepped = (level: (p: (typeof points)[number]) => number) =>
      points.flatMap((p, i) => {
        const here = `${x(p.at).toFixed(1)},${y(level(p)).toFixed(1)}`;
        const nextAt = points[i + 1]?.at;
        return nextAt ? [here, `${x(nextAt).toFixed(1)},${y(level(p)).toFixed(1)}`] : [here];
      });
    const top = stepped((p) => below(p) + p[c]);
    const bottom = stepped(below).reverse();
    return { c, d: `M${top.join(' L')} L${bottom.join(' L')} Z`, any: points.some((p) => p[c] > 0) };
  });
  const yTicks = [...new Set([0, Math.round(maxTotal / 2), maxTotal])];
  const xTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => new Date(t0 + f * span));
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const words = (p: typeof first) =>
    CATEGORIES.filter((c) => p[c] > 0)
      .map((c) => `${p[c]} ${CATEGORY_LABELS[c]}`)
      .join(', ') || 'no devices';

  return (
    <figure className="status-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${titleId} ${descId}`} preserveAspectRatio="none">
        <title id={titleId}>Deployment status over time</title>
        <desc id={descId}>
          From {new Date(t0).toLocaleString()} to {new Date(t1).toLocaleString()}, {points.length} points. At the start: {words(first)}. Now: {words(last)}.
        </desc>
        {yTicks.map((v) => (
          <g key={`y${v}`} aria-hidden="true">
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} className="grid-line" />
            <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end" className="axis-label">
              {v}
            </text>
          </g>
        ))}
        {layers
          .filter((l) => l.any)
          .map((l) => (
            <path key={l.c} d={l.d} fill={CATEGORY_COLORS[l.c]} fillOpacity={0.85} stroke={CATEGORY_COLORS[l.c]} aria-hidden="true" />
          ))}
        {xTicks.map((d, i) => (
          <text
            key={`x${i}`}
            x={PAD.left + (i / (xTicks.length - 1)) * (W - PAD.left - PAD.right)}
            y={H - 10}
            textAnchor={i === 0 ? 'start' : i === xTicks.length - 1 ? 'end' : 'middle'}
            className="axis-label"
            aria-hidden="true"
          >
            {timeLabel(d, span)}
          </text>
        ))}
      </svg>
      <figcaption>
        <ul className="chart-legend">
          {CATEGORIES.map((c) => (
            <li key={c}>
              <span className="swatch" style={{ background: CATEGORY_COLORS[c] }} aria-hidden="true" />
              {CATEGORY_LABELS[c]}: {last[c]}
            </li>
          ))}
        </ul>
        {history.notes.length ? (
          <p className="hint">{history.notes.map((n) => `${n[0]!.toUpperCase()}${n.slice(1)}${/[.!]$/.test(n) ? '' : '.'}`).join(' ')}</p>
        ) : null}
        <details>
          <summary>Chart data</summary>
          <table className="plain">
            <caption className="visually-hidden">Deployment status at each point</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                {CATEGORIES.map((c) => (
                  <th key={c} scope="col">
                    {CATEGORY_LABELS[c]}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {points
                .filter((p, i) => i === 0 || i === points.length - 1 || CATEGORIES.some((c) => p[c] !== points[i - 1]![c]))
                .map((p) => (
                  <tr key={p.at}>
                    <th scope="row">{new Date(p.at).toLocaleString()}</th>
                    {CATEGORIES.map((c) => (
                      <td key={c} className="num">
                        {p[c]}
                      </td>
                    ))}
                  </tr>
                ))}
            </tbody>
          </table>
        </details>
      </figcaption>
    </figure>
  );
}
