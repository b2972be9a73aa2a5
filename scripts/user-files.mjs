#!/usr/bin/env node
// The demo's refresh check: one line per file of a lab users file (`osd lab create --users`), read
// from the lab machine's C: — path, size, SHA-256, modification time and attributes — so the lines
// before and after a refresh can be compared. Usage: node scripts/user-files.mjs LAB_MACHINE_DIR USERS.json
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { LabMachine } from '../dist/lab/lab-machine.js';

const [dir, usersFile] = process.argv.slice(2);
if (!dir || !usersFile) {
  console.error('usage: node scripts/user-files.mjs LAB_MACHINE_DIR USERS.json');
  process.exit(2);
}
const { users } = JSON.parse(readFileSync(usersFile, 'utf8'));
const vol = await LabMachine.load(dir).volume('C:');
for (const u of users) {
  for (const f of u.files ?? []) {
    const path = `Users/${u.name}/${f.path}`;
    const meta = await vol.stat(path);
    if (!meta) {
      console.log(`${path}\tmissing`);
      continue;
    }
    const h = createHash('sha256');
    for await (const chunk of await vol.openRead(path)) h.update(chunk);
    console.log(
      [path, meta.size, h.digest('hex'), new Date(meta.modifiedMs).toISOString(), meta.attributes.filter((a) => a !== 'archive').join(',')].join('\t'),
    );
  }
}
