/**
 * Prefixes of ConfigMgr-style ids (PackageID, CollectionID: three characters and five hex digits)
 * that no site may use as its site code, so the ids of different sources never meet:
 *
 * - `LAB`: the lab's test content (`osd lab content`, src/lab/test-content) has fixed PackageIDs
 *   (LAB00010 the image package, LAB00020 a driver package …). A site hands out ids with its own
 *   site code, so a site can never give a package an id the lab's content already uses, and a lab
 *   machine given both the lab's content and a site's never confuses two packages.
 * - `SMS`: the built-in collections (SMS00001 All Systems, SMS000US All Unknown Computers), as
 *   ConfigMgr reserves it; `AUX`, `CON`, `NUL`, `PRN`: ConfigMgr refuses them too (device names on
 *   Windows).
 */
export const LAB_SITE_CODE = 'LAB';

export const RESERVED_SITE_CODES: readonly string[] = [LAB_SITE_CODE, 'SMS', 'AUX', 'CON', 'NUL', 'PRN'];

/** Why a site code cannot be used, or undefined when it can. */
export function reservedSiteCodeReason(code: string): string | undefined {
  const c = code.toUpperCase();
  if (c === LAB_SITE_CODE) return `"${code}" is reserved for the ids of the lab's test content`;
  if (c === 'SMS') return `"${code}" is reserved for the built-in collections (SMS00001 …)`;
  if (RESERVED_SITE_CODES.includes(c)) return `"${code}" is reserved (a Windows device name, refused by Configuration Manager too)`;
  return undefined;
}
