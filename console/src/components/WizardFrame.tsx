/**
 * The frame of a ConfigMgr wizard (osd-features §1): the list of its pages on the left (the current
 * one marked), the page, and Previous / Next / Summary / Cancel. Next stays blocked while the page is
 * not valid — it is greyed, and pressing it shows the page's errors at their fields (`showErrors`)
 * instead of moving on (it stays focusable, so a keyboard user learns why). Previous keeps what was typed (the values live with the caller). After the pages come
 * Summary (what will be done), Progress (the work, `run`) and Completion (its result, or its error
 * with Previous back to the pages to fix it).
 *
 *   <WizardFrame title="Create Task Sequence Wizard" pages={[{ id: 'info', title: 'Task Sequence Information',
 *     valid: !errors.name, content: ({ showErrors }) => <Field error={showErrors ? errors.name : undefined} …/> }]}
 *     summary={<dl>…</dl>} run={(report) => api.post(…)} completion={(r) => <p>Created {r.id}</p>} onClose={…} />
 */
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { messageOf } from '../api/client';
import { Progress } from './Progress';

export interface WizardPage {
  id: string;
  /** The page's name in the list and its heading. */
  title: string;
  /** False keeps Next blocked; the page shows why when `showErrors` is true. */
  valid: boolean;
  content: (context: { showErrors: boolean }) => ReactNode;
  /** Not shown (a page that does not apply to the answers so far). */
  hidden?: boolean;
}

export interface WizardProgress {
  /** 0–1 when known. */
  value?: number;
  detail?: string;
}

export interface WizardFrameProps<R> {
  title: string;
  pages: WizardPage[];
  /** The Summary page: what Next will do. */
  summary: ReactNode;
  /** The work, reporting progress; its result goes to `completion`. An error is shown on the Completion page. */
  run: (report: (p: WizardProgress) => void) => Promise<R>;
  completion: (result: R) => ReactNode;
  /** Closed (Cancel, Close): with the result when the work was done. */
  onClose: (result?: R) => void;
  /** What Progress says while `run` works ("Creating the task sequence"). */
  runLabel?: string;
  /** An error of `run` that belongs to a page (a field the site refused): that page is shown again with its errors. */
  pageOfError?: (error: unknown) => string | undefined;
}

/** A message as a sentence: a capital first letter and a full stop. */
function sentence(text: string): string {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

type Stage = { kind: 'page'; index: number } | { kind: 'summary' } | { kind: 'progress' } | { kind: 'completion' };

export function WizardFrame<R>({ title, pages, summary, run, completion, onClose, runLabel, pageOfError }: WizardFrameProps<R>) {
  const shown = pages.filter((p) => !p.hidden);
  const [stage, setStage] = useState<Stage>({ kind: 'page', index: 0 });
  const [showErrors, setShowErrors] = useState<Record<string, boolean>>({});
  const [progress, setProgress] = useState<WizardProgress>({});
  const [result, setResult] = useState<{ ok: true; value: R } | { ok: false; error: unknown } | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const blockedId = useId();
  const first = useRef(true);

  const index = stage.kind === 'page' ? Math.min(stage.index, shown.length - 1) : -1;
  const page = index >= 0 ? shown[index] : undefined;

  // Each new page: its heading takes the focus (a screen reader reads where the wizard is).
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    heading.current?.focus();
  }, [stage]);

  const next = () => {
    if (page) {
      if (!page.valid) {
        setShowErrors((s) => ({ ...s, [page.id]: true }));
        return;
      }
      setStage(index + 1 < shown.length ? { kind: 'page', index: index + 1 } : { kind: 'summary' });
    } else if (stage.kind === 'summary') void start();
  };

  const previous = () => {
    if (stage.kind === 'summary') setStage({ kind: 'page', index: shown.length - 1 });
    else if (stage.kind === 'completion' && result && !result.ok) {
      const target = pageOfError?.(result.error);
      const at = target ? shown.findIndex((p) => p.id === target) : -1;
      if (at >= 0) {
        setShowErrors((s) => ({ ...s, [shown[at]!.id]: true }));
        setStage({ kind: 'page', index: at });
      } else setStage({ kind: 'summary' });
    } else if (page && index > 0) setStage({ kind: 'page', index: index - 1 });
  };

  // Summary is reachable once every page is valid (as ConfigMgr's Summary button).
  const allValid = shown.every((p) => p.valid);
  const toSummary = () => {
    if (allValid) setStage({ kind: 'summary' });
  };

  const start = async () => {
    setStage({ kind: 'progress' });
    setProgress({});
    try {
      const value = await run(setProgress);
      setResult({ ok: true, value });
    } catch (error) {
      setResult({ ok: false, error });
    }
    setStage({ kind: 'completion' });
  };

  const steps = [
    ...shown.map((p) => ({ key: p.id, title: p.title })),
    { key: '#summary', title: 'Summary' },
    { key: '#progress', title: 'Progress' },
    { key: '#completion', title: 'Completion' },
  ];
  const currentKey = page ? page.id : `#${stage.kind}`;
  const currentTitle = page ? page.title : stage.kind === 'summary' ? 'Summary' : stage.kind === 'progress' ? 'Progress' : 'Completion';
  const done = stage.kind === 'completion' && result?.ok;
  const failed = stage.kind === 'completion' && result && !result.ok;
  const canPrevious = (page && index > 0) || stage.kind === 'summary' || !!failed;
  const blocked = page ? !page.valid : false;

  return (
    <div className="wizard" role="region" aria-label={title}>
      <div className="wizard-title">{title}</div>
      <div className="wizard-body">
        <nav className="wizard-steps" aria-label={`${title} pages`}>
          <ol>
            {steps.map((s) => (
              <li key={s.key} aria-current={s.key === currentKey ? 'step' : undefined} className={s.key === currentKey ? 'current' : undefined}>
                {s.title}
              </li>
            ))}
          </ol>
        </nav>
        <div className="wizard-page">
          <h2 ref={heading} tabIndex={-1}>
            {currentTitle}
          </h2>
          {page ? page.content({ showErrors: !!showErrors[page.id] }) : null}
          {stage.kind === 'summary' ? (
            <div className="wizard-summary">
              <p>Confirm the settings. Choose Next to go on, or Previous to change them.</p>
              {summary}
            </div>
          ) : null}
          {stage.kind === 'progress' ? <Progress label={runLabel ?? 'Working'} value={progress.value} detail={progress.detail} /> : null}
          {done && result?.ok ? (
            <div className="wizard-completion">
              <p className="notice success" role="status">
                The {title.replace(/ Wizard$/, '')} Wizard completed successfully.
              </p>
              {completion(result.value)}
            </div>
          ) : null}
          {failed && result && !result.ok ? (
            <div className="notice error" role="alert">
              The wizard did not complete: {sentence(messageOf(result.error))}
              {pageOfError?.(result.error) ? ' Choose Previous to correct it.' : ''}
            </div>
          ) : null}
          {blocked && page && showErrors[page.id] ? (
            <p className="wizard-blocked" id={blockedId} role="status">
              Correct the errors on this page to go on.
            </p>
          ) : null}
        </div>
      </div>
      <div className="buttons wizard-buttons">
        {stage.kind === 'completion' ? (
          <>
            {failed ? (
              <button type="button" onClick={previous}>
                &lt; Previous
              </button>
            ) : null}
            <button type="button" className="primary" onClick={() => onClose(result?.ok ? result.value : undefined)}>
              Close
            </button>
          </>
        ) : (
          <>
            <button type="button" onClick={previous} disabled={!canPrevious || stage.kind === 'progress'}>
              &lt; Previous
            </button>
            <button
              type="button"
              className={`primary${blocked ? ' blocked' : ''}`}
              onClick={next}
              disabled={stage.kind === 'progress'}
              aria-describedby={blocked && page && showErrors[page.id] ? blockedId : undefined}
            >
              Next &gt;
            </button>
            <button type="button" onClick={toSummary} disabled={!allValid || stage.kind !== 'page'}>
              Summary
            </button>
            <button type="button" onClick={() => onClose()} disabled={stage.kind === 'progress'}>
              Cancel
            </button>
          </>
        )}
      </div>
    </div>
  );
}
