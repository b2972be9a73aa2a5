/**
 * The zod form of the name rule (text-rules.ts `checkName`), for the schemas of site objects:
 * trimmed, 1 to `max` characters, no control or invisible formatting characters, no NUL or lone
 * surrogate. The API's 400 then names the field (`body.name`) and the character (as U+XXXX).
 */
import { z } from 'zod';
import { textProblem } from './text-rules.js';

export function objectName(max: number): z.ZodString {
  return z
    .string()
    .trim()
    .min(1)
    .max(max)
    .superRefine((value, ctx) => {
      const p = textProblem(value, 'name');
      if (p) ctx.addIssue({ code: 'custom', message: `${p.rule} (${p.hint})` });
    }) as unknown as z.ZodString;
}
