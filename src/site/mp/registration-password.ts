/**
 * The optional registration password (docs/management-point.md, like ConfigMgr's PXE password):
 * when set, a computer registers only by giving it, so knowing a computer's MAC is no longer enough
 * to get its policy and secrets. Kept sealed with the site key; never returned, logged or audited.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Database, Queryable } from '../db/database.js';
import { audit } from '../audit.js';
import { badInput, SiteError } from '../errors.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { getSetting, putSetting } from '../settings.js';
import { checkText } from '../text-rules.js';
import { MAX_REGISTRATION_PASSWORD_LENGTH, MIN_REGISTRATION_PASSWORD_LENGTH } from './limits.js';

const KEY = 'registration_password';

/** Whether a registration password is set. */
export async function hasRegistrationPassword(db: Queryable): Promise<boolean> {
  return typeof (await getSetting<unknown>(db, KEY)) === 'string';
}

/** Sets (a string) or removes (null) the registration password, with its audit entry (which never holds it). */
export async function setRegistrationPassword(site: Site, db: Database, actor: Actor, password: string | null): Promise<{ registrationPassword: boolean }> {
  if (password !== null) {
    if (password.length < MIN_REGISTRATION_PASSWORD_LENGTH || password.length > MAX_REGISTRATION_PASSWORD_LENGTH) {
      throw badInput(
        'body.password',
        `a registration password is ${MIN_REGISTRATION_PASSWORD_LENGTH}–${MAX_REGISTRATION_PASSWORD_LENGTH} characters`,
        'choose a longer one, or remove it (null) to register computers without one',
      );
    }
    checkText(password, 'body.password');
  }
  return db.transaction(async (tx) => {
    if (password === null) await tx.query('DELETE FROM site_settings WHERE key = $1', [KEY]);
    else await putSetting(tx, KEY, site.secrets.seal(password));
    await audit(tx, actor, password === null ? 'remove' : 'update', 'setting', 'registration-password', {});
    return { registrationPassword: password !== null };
  });
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Refuses the registration unless the password is unset or `given` is it (compared in constant time). */
export async function checkRegistrationPassword(site: Site, db: Queryable, given: string | undefined): Promise<void> {
  const sealed = await getSetting<unknown>(db, KEY);
  if (typeof sealed !== 'string') return;
  if (given !== undefined && timingSafeEqual(digest(site.secrets.open(sealed)), digest(given))) return;
  throw new SiteError('unauthenticated', {
    input: 'body.password',
    rule:
      given === undefined
        ? 'registration-password-required: this site registers computers only with its registration password'
        : 'registration-password-wrong: the registration password is not right',
    hint: 'give the registration password the site administrator set',
    details: { reason: given === undefined ? 'registration-password-required' : 'registration-password-wrong' },
  });
}
