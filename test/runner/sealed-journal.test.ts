/**
 * The journal whose secret variables are sealed (src/runner/sealed-journal.ts): the file never holds
 * a secret value, a load gives it back, an older journal in clear still loads, and a missing or
 * different key refuses the journal naming the key file.
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JournalState } from '../../src/engine/ports.js';
import { FileJournal } from '../../src/runner/file-journal.js';
import { SealedSecretsJournal } from '../../src/runner/sealed-journal.js';
import { tempDir } from '../helpers/temp.js';

const state = (variables: JournalState['environment']['variables']): JournalState => ({
  format: 'openosd.journal/v1',
  fingerprint: 'f',
  pointer: 1,
  status: 'running',
  environment: { variables },
  sequence: 1,
});

describe('SealedSecretsJournal', () => {
  it('seals secret values on disk and opens them on load; plain values stay as they are', async () => {
    const dir = tempDir('osd-sealed-');
    const key = 'q1w2e3r4t5y6u7i8o9p0q1w2e3r4t5y6u7i8o9p0abc=';
    const j = new SealedSecretsJournal(new FileJournal(join(dir, 'journal.json')), join(dir, 'journal.key'));
    await j.save(
      state([
        { name: '_OSDStateStoreKey', value: key, secret: true },
        { name: 'OSDComputerName', value: 'PC-01', secret: false },
      ]),
    );
    const text = readFileSync(join(dir, 'journal.json'), 'utf8');
    expect(text).not.toContain(key);
    expect(text).toContain('osd-sealed:v1:');
    expect(text).toContain('PC-01');
    expect(statSync(join(dir, 'journal.key')).mode & 0o777).toBe(0o600);
    const again = new SealedSecretsJournal(new FileJournal(join(dir, 'journal.json')), join(dir, 'journal.key'));
    expect((await again.load())!.environment.variables).toEqual([
      { name: '_OSDStateStoreKey', value: key, secret: true },
      { name: 'OSDComputerName', value: 'PC-01', secret: false },
    ]);
  });

  it('loads an older journal in clear; refuses sealed values without their key or with another', async () => {
    const dir = tempDir('osd-sealed-');
    const file = new FileJournal(join(dir, 'journal.json'));
    await file.save(state([{ name: 'OSDJoinPassword', value: 'clear-secret', secret: true }]));
    const j = new SealedSecretsJournal(file, join(dir, 'journal.key'));
    expect((await j.load())!.environment.variables[0]!.value).toBe('clear-secret');
    await j.save(state([{ name: 'OSDJoinPassword', value: 'clear-secret', secret: true }]));
    expect(readFileSync(join(dir, 'journal.json'), 'utf8')).not.toContain('clear-secret');
    writeFileSync(join(dir, 'journal.key'), Buffer.alloc(32, 7).toString('base64'));
    await expect(new SealedSecretsJournal(file, join(dir, 'journal.key')).load()).rejects.toThrow(/cannot open the journal's secret variables/);
    rmSync(join(dir, 'journal.key'));
    await expect(new SealedSecretsJournal(file, join(dir, 'journal.key')).load()).rejects.toThrow(/key file is missing/);
  });
});
