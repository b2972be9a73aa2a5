#!/usr/bin/env node
// Makes "revision 2" of a task sequence for the demo: moves the last step of the first group that
// has at least two steps into the next group, renames one step, and flips one condition value.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadTaskSequence } from '../dist/sequence/codec/load.js';
import { exportXmlText } from '../dist/sequence/codec/xml-export.js';
import { walkItems, pathText } from '../dist/sequence/model/walk.js';

const [src, out] = process.argv.slice(2);
const { sequence } = loadTaskSequence(readFileSync(src), src);
const visits = [...walkItems(sequence)];
const groups = visits.filter((v) => v.item.kind === 'group');
const donor = groups.find((g) => g.item.items.filter((i) => i.kind === 'step').length >= 2);
const receiver = groups.find((g) => g !== donor && g.item !== donor.parent && !g.path.join('/').startsWith(donor.path.join('/')));
const moved = donor.item.items.filter((i) => i.kind === 'step').at(-1);
donor.item.items.splice(donor.item.items.indexOf(moved), 1);
receiver.item.items.push(moved);
const renamed = visits.find((v) => v.item.kind === 'step' && v.item !== moved);
const oldName = renamed.item.name;
renamed.item.name = `${oldName} (revised)`;
const conditioned = visits.find((v) => v.item !== moved && v.item !== renamed.item && v.item.condition?.operands.some((o) => o.kind === 'expression'));
const expr = conditioned.item.condition.operands.find((o) => o.kind === 'expression');
const value = expr.properties.find((p) => p.name === 'Value');
const before = value.value;
value.value = before.toLowerCase() === 'true' ? 'false' : `${before}X`;
writeFileSync(out, exportXmlText(sequence));
console.log(`revision 2 written to ${out}:`);
console.log(`  moved   "${moved.name}" from "${pathText(donor.path)}" to "${pathText(receiver.path)}"`);
console.log(`  renamed "${oldName}" to "${renamed.item.name}"`);
console.log(`  changed a condition value of "${pathText(conditioned.path)}" from "${before}" to "${value.value}"`);
