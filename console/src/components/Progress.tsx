/**
 * Progress of a long operation (an import, a distribution, an evaluation): a labelled progress bar,
 * determinate when `value` (0–1) is known, with the current activity in words.
 */
export function Progress({ label, value, detail }: { label: string; value?: number; detail?: string }) {
  const percent = value === undefined ? undefined : Math.round(Math.min(1, Math.max(0, value)) * 100);
  return (
    <div className="progress" role="status">
      <div className="progress-label">{label}</div>
      <div
        className={`progress-bar${percent === undefined ? ' indeterminate' : ''}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={percent === undefined ? 'in progress' : `${percent}%`}
      >
        <div className="progress-fill" style={percent === undefined ? undefined : { width: `${percent}%` }} />
      </div>
      {detail ? <div className="progress-detail">{detail}</div> : null}
    </div>
  );
}
