/** What a lint rule reports: an id, a severity, where (the step path) and what to do about it. */
export type Severity = 'error' | 'warning' | 'info';

export interface LintFinding {
  /** Stable rule id, e.g. `condition-never-true`. */
  rule: string;
  severity: Severity;
  /** Item path (`Group / Step`), or '' for the sequence itself. */
  path: string;
  message: string;
  hint: string;
}

export interface LintRuleInfo {
  id: string;
  severity: Severity;
  summary: string;
}

export const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
