/**
 * The query statement of a query rule (WQL over SMS_R_System): the text, checked by the site's own
 * parser as it is typed (POST /collections/validate-query, after a pause), the problem shown at its
 * position — the line and column, the query with the part in error marked, and "Go to the error"
 * putting the cursor there. A refusal when the rule is saved (a 400 naming the query) is shown the
 * same way through `siteError`.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { api, messageOf } from '../../../api/client';
import type { QueryCheck } from '../common/types';

export type QueryProblem = NonNullable<QueryCheck['problem']>;

/** Line and column (1-based) of a 1-based offset into the text. */
export function lineColumn(text: string, column: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, column - 1));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

export function WqlEditor({
  value,
  onChange,
  siteError,
  onValidity,
}: {
  value: string;
  onChange: (v: string) => void;
  /** The problem the site answered when the rule was saved. */
  siteError?: QueryProblem;
  onValidity?: (valid: boolean | undefined) => void;
}) {
  const id = useId();
  const area = useRef<HTMLTextAreaElement>(null);
  const [check, setCheck] = useState<{ text: string; result: QueryCheck } | null>(null);
  const [checkError, setCheckError] = useState<string | undefined>();

  useEffect(() => {
    if (!value.trim()) {
      setCheck(null);
      onValidity?.(undefined);
      return;
    }
    const abort = new AbortController();
    const t = window.setTimeout(() => {
      api
        .post<QueryCheck>('/collections/validate-query', { query: value })
        .then((result) => {
          if (abort.signal.aborted) return;
          setCheck({ text: value, result });
          setCheckError(undefined);
          onValidity?.(result.valid);
        })
        .catch((e: unknown) => {
          if (abort.signal.aborted) return;
          setCheckError(messageOf(e));
          onValidity?.(false);
        });
    }, 300);
    return () => {
      abort.abort();
      window.clearTimeout(t);
    };
  }, [value, onValidity]);

  const current = check && check.text === value ? check.result : undefined;
  const problem: QueryProblem | undefined = siteError ?? current?.problem ?? undefined;
  const at = problem?.column ? lineColumn(value, problem.column) : undefined;
  const start = problem?.column ? problem.column - 1 : -1;
  const end = start >= 0 ? Math.min(value.length, start + Math.max(1, problem?.length ?? 1)) : -1;
  const errorText = problem
    ? `${at ? `Line ${at.line}, column ${at.column}: ` : ''}${problem.rule}${problem.expected && !problem.rule.includes(problem.expected) ? ` (expected ${problem.expected})` : ''}`
    : checkError;

  const goTo = () => {
    const a = area.current;
    if (!a || start < 0) return;
    a.focus();
    a.setSelectionRange(start, Math.max(end, start + 1));
  };

  return (
    <div className={`field wql-editor${errorText ? ' invalid' : ''}`}>
      <label htmlFor={id}>Query statement</label>
      <textarea
        id={id}
        ref={area}
        value={value}
        spellCheck={false}
        rows={6}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={errorText ? true : undefined}
        aria-describedby={`${id}-hint${errorText ? ` ${id}-error` : ''}`}
      />
      <div id={`${id}-hint`} className="hint">
        WQL over SMS_R_System, e.g. select * from SMS_R_System where SMS_R_System.Name like &apos;PC%&apos;
      </div>
      {errorText ? (
        <div id={`${id}-error`} className="error" role="alert">
          <div>{errorText}</div>
          {problem?.hint ? <div>{problem.hint}</div> : null}
          {start >= 0 ? (
            <>
              <div className="wql-where" aria-label="The query with the part in error marked">
                {value.slice(0, start)}
                <mark>{value.slice(start, end) || ' '}</mark>
                {value.slice(end)}
              </div>
              <button type="button" className="link" onClick={goTo}>
                Go to the error
              </button>
            </>
          ) : null}
        </div>
      ) : current?.valid ? (
        <div className="wql-ok" role="status">
          The query statement is valid.
        </div>
      ) : null}
    </div>
  );
}
