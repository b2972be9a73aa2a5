/**
 * A journal whose secret variables are sealed (AES-256-GCM) before they reach the disk: the task
 * sequence environment is persisted encrypted, as ConfigMgr's is (user-state.md §2.4: the store's
 * key `_OSDStateStoreKey` is "never logged, journaled or exported" in clear). The key is a file of
 * 32 random bytes beside the journal (0600), made on first use; without it the sealed values cannot
 * be opened and the journal is refused, naming the key file.
 *
 * Values written by an older journal (in clear) are read as they are and sealed at the next save.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JournalState, JournalStore } from '../engine/ports.js';
import { InputError } from '../sequence/input-error.js';

const PREFIX = 'osd-sealed:v1:';

export class SealedSecretsJournal implements JournalStore {
  private key?: Buffer;

  constructor(
    private readonly inner: JournalStore,
    readonly keyFile: string,
  ) {}

  private keyBytes(create: boolean): Buffer | undefined {
    if (this.key) return this.key;
    if (!existsSync(this.keyFile)) {
      if (!create) return undefined;
      mkdirSync(dirname(this.keyFile), { recursive: true, mode: 0o700 });
      const tmp = `${this.keyFile}.tmp`;
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, randomBytes(32).toString('base64'));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.keyFile);
    }
    const key = Buffer.from(readFileSync(this.keyFile, 'utf8').trim(), 'base64');
    if (key.length !== 32)
      throw new InputError({
        input: this.keyFile,
        rule: 'the journal key file must hold 32 bytes in base64',
        hint: 'remove the state folder to start the task sequence afresh',
      });
    this.key = key;
    return key;
  }

  async save(state: JournalState): Promise<void> {
    const secrets = state.environment.variables.filter((v) => v.secret && v.value !== '' && !v.value.startsWith(PREFIX));
    if (!secrets.length) return this.inner.save(state);
    const key = this.keyBytes(true)!;
    const sealed: JournalState = {
      ...state,
      environment: {
        ...state.environment,
        variables: state.environment.variables.map((v) =>
          v.secret && v.value !== '' && !v.value.startsWith(PREFIX) ? { ...v, value: seal(key, v.value) } : v,
        ),
      },
    };
    return this.inner.save(sealed);
  }

  async load(): Promise<JournalState | undefined> {
    const state = await this.inner.load();
    if (!state) return state;
    if (!state.environment.variables.some((v) => v.value.startsWith(PREFIX))) return state;
    const key = this.keyBytes(false);
    if (!key)
      throw new InputError({
        input: this.keyFile,
        rule: "the journal's secret variables are sealed and their key file is missing",
        hint: 'remove the state folder to start the task sequence afresh',
      });
    return {
      ...state,
      environment: {
        ...state.environment,
        variables: state.environment.variables.map((v) => (v.value.startsWith(PREFIX) ? { ...v, value: open(key, v.value, this.keyFile) } : v)),
      },
    };
  }
}

function seal(key: Buffer, value: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([c.update(value, 'utf8'), c.final()]);
  return `${PREFIX}${iv.toString('base64')}:${c.getAuthTag().toString('base64')}:${ct.toString('base64')}`;
}

function open(key: Buffer, sealed: string, keyFile: string): string {
  const [iv, tag, ct] = sealed.slice(PREFIX.length).split(':');
  try {
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv ?? '', 'base64'));
    d.setAuthTag(Buffer.from(tag ?? '', 'base64'));
    return Buffer.concat([d.update(Buffer.from(ct ?? '', 'base64')), d.final()]).toString('utf8');
  } catch {
    throw new InputError({
      input: keyFile,
      rule: "this key cannot open the journal's secret variables",
      hint: 'remove the state folder to start the task sequence afresh',
    });
  }
}
