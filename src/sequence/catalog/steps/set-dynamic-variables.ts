/**
 * Set Dynamic Variables — task-sequence-format §8.13. Its one property, `OSDSetDynamicVariablesRules`,
 * is an escaped XML document:
 * `<Rules><Rule>[<condition>…</condition>]<Variables><Variable Name= IsSecret=>value</Variable>…</Variables></Rule>…</Rules>`.
 * A rule without a condition always applies. Secret values are exported empty (§1).
 */
import { z } from 'zod';
import { InputError } from '../../input-error.js';
import { element, getAttribute, isWhitespace, text, textContent, type XmlElement, type XmlNode } from '../../xml/nodes.js';
import { parseXml } from '../../xml/reader.js';
import { writeFragment } from '../../xml/writer.js';
import { property, settingsCodec, withLayout } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

const properties = [property('Rules', 'OSDSetDynamicVariablesRules', { description: 'The rules, as an XML document' })];

export const dynamicVariableSchema = z.object({
  name: z.string(),
  isSecret: z.boolean(),
  value: z.string(),
});

export const dynamicVariableRuleSchema = z.object({
  /**
   * The rule's `<condition>` element as XML (same grammar as step conditions, §6; Computer rules
   * use SMS_TaskSequence_ComputerConditionExpression). Absent: the rule always applies.
   */
  condition: z.string().optional(),
  variables: z.array(dynamicVariableSchema),
});

export const setDynamicVariablesSchema = withLayout({
  rules: z.array(dynamicVariableRuleSchema).optional(),
});
export type DynamicVariable = z.infer<typeof dynamicVariableSchema>;
export type DynamicVariableRule = z.infer<typeof dynamicVariableRuleSchema>;
export type SetDynamicVariablesSettings = z.infer<typeof setDynamicVariablesSchema>;

/** Parses the Rules document; problems become issues, never exceptions. */
export function parseDynamicVariableRules(xml: string, issues: string[]): DynamicVariableRule[] | undefined {
  if (xml.trim() === '') return [];
  let root: XmlElement;
  try {
    root = parseXml(xml, { input: 'OSDSetDynamicVariablesRules' }).root;
  } catch (e) {
    issues.push(`OSDSetDynamicVariablesRules is not well-formed XML: ${e instanceof InputError ? e.rule : String(e)}`);
    return undefined;
  }
  if (root.name !== 'Rules') {
    issues.push(`OSDSetDynamicVariablesRules has <${root.name}> where <Rules> is expected`);
    return undefined;
  }
  const rules: DynamicVariableRule[] = [];
  for (const ruleEl of significant(root, issues)) {
    if (ruleEl.name !== 'Rule') {
      issues.push(`OSDSetDynamicVariablesRules: <${ruleEl.name}> inside <Rules> is ignored`);
      continue;
    }
    const rule: DynamicVariableRule = { variables: [] };
    for (const c of significant(ruleEl, issues)) {
      if (c.name === 'condition' && rule.condition === undefined) rule.condition = writeFragment(c);
      else if (c.name === 'Variables') {
        for (const v of significant(c, issues)) {
          if (v.name !== 'Variable') {
            issues.push(`OSDSetDynamicVariablesRules: <${v.name}> inside <Variables> is ignored`);
            continue;
          }
          const name = getAttribute(v, 'Name');
          if (!name) issues.push('OSDSetDynamicVariablesRules: a <Variable> has no Name');
          const secret = (getAttribute(v, 'IsSecret') ?? 'false').trim().toLowerCase();
          if (secret !== 'true' && secret !== 'false') {
            issues.push(`OSDSetDynamicVariablesRules: IsSecret="${getAttribute(v, 'IsSecret')}" of ${name} is not true or false`);
          }
          rule.variables.push({ name: name ?? '', isSecret: secret === 'true', value: textContent(v) });
        }
      } else issues.push(`OSDSetDynamicVariablesRules: <${c.name}> inside <Rule> is ignored`);
    }
    rules.push(rule);
  }
  return rules;
}

function significant(el: XmlElement, issues: string[]): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.kind === 'element') out.push(c);
    else if (c.kind === 'text' && isWhitespace(c.text)) continue;
    else if (c.kind !== 'comment') issues.push(`OSDSetDynamicVariablesRules: text inside <${el.name}> is ignored`);
  }
  return out;
}

/**
 * Serialises rules as ConfigMgr does: one line, open/close tags for empty elements, and a trailing
 * newline [C]. A rule's condition must be well-formed XML (read always produces one); otherwise
 * the InputError of the XML reader is thrown — a caller error, not bad input.
 */
export function formatDynamicVariableRules(rules: DynamicVariableRule[]): string {
  const closed = (name: string, attributes: Array<[string, string]>, children: XmlNode[]): XmlElement => {
    const el = element(name, attributes, children);
    if (children.length === 0) el.empty = '</>';
    return el;
  };
  const root = closed(
    'Rules',
    [],
    rules.map((rule) => {
      const children: XmlNode[] = [];
      if (rule.condition !== undefined) children.push(parseXml(rule.condition, { input: 'rule condition' }).root);
      children.push(
        closed(
          'Variables',
          [],
          rule.variables.map((v) =>
            closed(
              'Variable',
              [
                ['Name', v.name],
                ['IsSecret', v.isSecret ? 'true' : 'false'],
              ],
              v.value ? [text(v.value)] : [],
            ),
          ),
        ),
      );
      return closed('Rule', [], children);
    }),
  );
  return `${writeFragment(root)}\n`;
}

export const setDynamicVariables = defineStepType<SetDynamicVariablesSettings>({
  type: 'SMS_TaskSequence_SetDynamicVariablesAction',
  displayName: 'Set Dynamic Variables',
  executable: 'OSDSetDynamicVariables.exe',
  runIn: 'WinPEandFullOS',
  successCodes: '0',
  retryCount: 0,
  properties,
  settings: settingsCodec<SetDynamicVariablesSettings>({
    properties,
    schema: setDynamicVariablesSchema,
    read: (r) => {
      const raw = r.raw('Rules');
      return { rules: raw === undefined ? undefined : parseDynamicVariableRules(raw, r.issues) };
    },
    write: (s, w) => w.string('Rules', s.rules && formatDynamicVariableRules(s.rules)),
  }),
  buildAction: () => 'OSDSetDynamicVariables.exe',
  spec: 'task-sequence-format §8.13',
  // Evaluating the rules and setting the variables again does no harm (docs/decisions.md).
  rerunAfterUnexpectedRestart: true,
});
