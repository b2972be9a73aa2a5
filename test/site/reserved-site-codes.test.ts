/**
 * Package ids of the lab's test content never collide with a site's (issue 12 item 5): the lab's
 * are LAB + 5 hex digits, a site's are its site code + 5 hex digits, and no site may take LAB
 * (nor ConfigMgr's reserved SMS, AUX, CON, NUL, PRN) as its site code.
 */
import { describe, expect, it } from 'vitest';
import { LAB_SITE_CODE, RESERVED_SITE_CODES } from '../../src/common/reserved-ids.js';
import { DRIVER_PACKAGES, PACKAGE_IDS } from '../../src/lab/test-content/index.js';
import { SiteError } from '../../src/site/errors.js';
import { openTestSite } from './helpers/site.js';

describe('site codes the lab and ConfigMgr reserve', () => {
  it('every PackageID of the lab test content has the lab prefix', () => {
    const ids = [
      PACKAGE_IDS.bootImage.x64,
      PACKAGE_IDS.bootImage.x86,
      PACKAGE_IDS.imagePackage,
      PACKAGE_IDS.clientPackage,
      PACKAGE_IDS.usmtPackage,
      ...DRIVER_PACKAGES.map((p) => p.id),
    ];
    for (const id of ids) expect(id).toMatch(new RegExp(`^${LAB_SITE_CODE}[0-9A-F]{5}$`));
  });

  it.each(RESERVED_SITE_CODES.flatMap((c) => [c, c.toLowerCase()]))('a new site refuses the site code %s, naming it', async (code) => {
    const e = await openTestSite('pglite', { siteCode: code }).then(
      async (s) => {
        await s.close();
        return undefined;
      },
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(SiteError);
    expect(e).toMatchObject({ kind: 'bad-input', input: 'site code', rule: expect.stringContaining(`"${code}" is reserved`) });
  });

  it("a site's ids carry its own site code, never the lab's", async () => {
    const s = await openTestSite('pglite');
    try {
      const { rows } = await s.site.db.query<{ package_id: string }>('SELECT package_id FROM packages');
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) expect(r.package_id.startsWith(s.site.siteCode)).toBe(true);
      expect(s.site.siteCode).not.toBe(LAB_SITE_CODE);
    } finally {
      await s.close();
    }
  });
});
