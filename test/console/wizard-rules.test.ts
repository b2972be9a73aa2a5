/**
 * The Create Task Sequence Wizard's page rules in the console (console/src/…/wizard/model.ts) are the
 * site's wizard rules (src/sequence/wizard/validate.ts) repeated in the console's words, because the
 * console imports nothing from src/. This keeps them the same: for each set of answers, the fields the
 * console refuses are the fields the site refuses (no browser needed).
 */
import { describe, expect, it } from 'vitest';
import {
  answersOf,
  fieldOfPath,
  initialState,
  problemsOf,
  type PageId,
  type SiteContent,
  type WizardState,
} from '../../console/src/pages/software-library/task-sequences/wizard/model.js';
import type { BootImage, ClientPackage, OsImagePackage, SiteApplication } from '../../console/src/pages/software-library/task-sequences/wizard/site-content.js';
import { answersSchema } from '../../src/sequence/wizard/answers.js';
import { validateAnswers } from '../../src/sequence/wizard/validate.js';
import type { SiteManifest } from '../../src/sequence/site-manifest.js';

const base = { version: '', description: '', builtIn: false };
const boot = (packageId: string, architecture: 'x86' | 'x64'): BootImage => ({
  ...base,
  packageId,
  name: `Boot image (${architecture})`,
  properties: { architecture, osVersion: '10.0.22621.1' },
});
const image = (index: number, name: string) => ({
  index,
  name,
  edition: 'Enterprise',
  architecture: 'x64',
  version: '10.0.22631.1',
  sizeBytes: 1,
  languages: ['en-US'],
});
const osImage: OsImagePackage = {
  ...base,
  packageId: 'PS100010',
  name: 'Windows 11',
  properties: { architecture: 'x64', language: 'en-US', images: [image(1, 'Windows 11 Education'), image(2, 'Windows 11 Enterprise')] },
};
const client: ClientPackage = {
  ...base,
  builtIn: true,
  packageId: 'PS100001',
  name: 'Configuration Manager Client Package',
  properties: { builtIn: 'client' },
};
const usmt: ClientPackage = { ...base, builtIn: true, packageId: 'PS100002', name: 'User State Migration Tool for Windows', properties: { builtIn: 'usmt' } };
const tools: ClientPackage = { ...base, packageId: 'PS100020', name: 'Tools', properties: {} };
const app = (modelName: string, name: string, allow: boolean): SiteApplication => ({
  ciId: 1,
  modelName,
  name,
  publisher: '',
  softwareVersion: '',
  allowTaskSequenceInstall: allow,
  retired: false,
  taskSequenceReady: { ok: allow, problems: [] },
});
const APP_OK = 'ScopeId_A/Application_1';
const APP_NO = 'ScopeId_A/Application_2';

const site: SiteContent = {
  bootImages: [boot('PS100003', 'x64'), boot('PS100004', 'x86')],
  osImages: [osImage],
  clientPackages: [client, tools],
  usmtPackages: [usmt, tools],
  applications: [app(APP_OK, 'Notes', true), app(APP_NO, 'Desktop only', false)],
  taskSequenceNames: new Set(),
};

/** The same content as the site's wizard sees it (src/site/objects/site-manifest.ts builds this from the database). */
const manifest: SiteManifest = {
  site: 'PS1',
  bootImages: site.bootImages.map((b) => ({ id: b.packageId, name: b.name, architecture: b.properties.architecture, pxeEnabled: false })),
  imagePackages: [
    {
      id: osImage.packageId,
      name: osImage.name,
      images: osImage.properties.images.map((i) => ({ index: i.index, name: i.name, architecture: 'x64' as const })),
    },
  ],
  upgradePackages: [],
  clientPackages: [{ id: client.packageId, name: client.name }],
  usmtPackages: [{ id: usmt.packageId, name: usmt.name }],
  driverPackages: [],
  packages: [{ id: tools.packageId, name: tools.name }],
  taskSequences: [],
  applications: site.applications.map((a) => ({ modelName: a.modelName, name: a.name, allowTaskSequenceInstall: a.allowTaskSequenceInstall })),
};

const PAGES: PageId[] = ['type', 'info', 'windows', 'network', 'configmgr', 'state', 'updates', 'apps'];
const CONSOLE = { userName: 'admin', computerName: 'CONSOLE', timeZone: 'UTC', inputLocale: 'en-US' };

const valid: WizardState = {
  ...initialState(),
  name: 'Windows 11',
  bootImageId: 'PS100003',
  imagePackageId: 'PS100010',
  imageIndex: 2,
  clientPackageId: client.packageId,
  usmtPackageId: usmt.packageId,
};

function consoleFields(s: WizardState): string[] {
  return PAGES.flatMap((p) => Object.keys(problemsOf(p, s, site).errors)).sort();
}

function siteFields(s: WizardState): string[] {
  const problems = validateAnswers(answersSchema.parse(answersOf(s, CONSOLE)), manifest).filter((p) => p.severity === 'error');
  const fields = problems.map((p) => {
    // The architecture rule: the site names the boot image, the console the image (the page where it is known).
    if (p.path === 'taskSequence.bootImageId' && /cannot install/.test(p.rule)) return 'imageIndex';
    const at = fieldOfPath(p.path);
    if (!at) throw new Error(`the console has no field for the site's ${p.path}: ${p.rule}`);
    return at.field;
  });
  return [...new Set(fields)].sort();
}

const CASES: Array<[string, Partial<WizardState>]> = [
  ['valid answers', {}],
  ['no name', { name: '' }],
  ['a blank name', { name: '   ' }],
  ['a name of 50 characters', { name: 'n'.repeat(50) }],
  ['a name of 51 characters', { name: 'n'.repeat(51) }],
  ['a description of 512', { description: 'd'.repeat(512) }],
  ['a description of 513', { description: 'd'.repeat(513) }],
  ['no boot image', { bootImageId: '' }],
  ['an x86 boot image for an x64 image', { bootImageId: 'PS100004' }],
  ['no image package', { imagePackageId: '' }],
  ['an image index the package lacks', { imageIndex: 3 }],
  ['a product key', { productKey: 'abcde-fghij-klmno-pqrst-uvwxy' }],
  ['a short product key', { productKey: 'ABCDE-FGHIJ' }],
  ['an encoded key', { productKey: 'ENCODEDKEYWITHOUTDASHES' }],
  ['an encoded key with spaces', { productKey: 'ENCODED KEY' }],
  ['an encoded key of 256', { productKey: 'K'.repeat(256) }],
  ['an enabled administrator without a password', { adminMode: 'enabled' }],
  ['an administrator password not confirmed', { adminMode: 'enabled', adminPassword: 'a', adminConfirm: 'b' }],
  ['an administrator password of 256', { adminMode: 'enabled', adminPassword: 'p'.repeat(256), adminConfirm: 'p'.repeat(256) }],
  ['an administrator password confirmed', { adminMode: 'enabled', adminPassword: 'a', adminConfirm: 'a' }],
  ['no workgroup', { workgroup: '' }],
  ['a workgroup of 32', { workgroup: 'W'.repeat(32) }],
  ['a workgroup of 33', { workgroup: 'W'.repeat(33) }],
  ['a workgroup with a slash', { workgroup: 'LAB/WG' }],
  ['a domain join without anything', { join: 'domain' }],
  ...(
    [
      ['contoso.com', ''],
      ['contoso..com', ''],
      ['-contoso.com', ''],
      ['CONTOSO', ''],
      ['AVERYLONGNETBIOSNAME', ''],
      ['contoso.com', 'OU=PCs,DC=contoso,DC=com'],
      ['contoso.com', 'LDAP://OU=PCs,DC=contoso,DC=com'],
      ['contoso.com', 'LDAP//OU=PCs,DC=contoso,DC=com'],
      ['contoso.com', 'OU=PCs'],
      ['contoso.com', 'OU=PCs,,DC=com'],
      ['contoso.com', 'XX=PCs,DC=com'],
      ['contoso.com', 'OU=PCs\\'],
      ['contoso.com', 'OU=PCs,DC=fabrikam,DC=com'],
    ] as const
  ).map(([domain, domainOU]): [string, Partial<WizardState>] => [
    `domain ${domain}, OU ${domainOU || '(none)'}`,
    { join: 'domain', domain, domainOU, account: 'CONTOSO\\join', accountPassword: 'p', accountConfirm: 'p' },
  ]),
  ['a join account without a domain', { join: 'domain', domain: 'contoso.com', account: 'join', accountPassword: 'p', accountConfirm: 'p' }],
  ['a join account as a variable', { join: 'domain', domain: 'contoso.com', account: '%JoinAccount%', accountPassword: 'p', accountConfirm: 'p' }],
  ['a join password not confirmed', { join: 'domain', domain: 'contoso.com', account: 'C\\j', accountPassword: 'p', accountConfirm: 'q' }],
  ['another package as the client', { clientPackageId: tools.packageId }],
  ['a pre-production client not chosen', { usePreProductionClient: true }],
  ['a pre-production client', { usePreProductionClient: true, preProductionClientPackageId: tools.packageId }],
  ['SMSSITECODE in the properties', { installationProperties: 'SMSSITECODE=PS1' }],
  ['an unbalanced quote', { installationProperties: 'FSP="a b' }],
  ['properties', { installationProperties: 'SMSCACHESIZE=10240 FSP="a b"' }],
  ['no user state without a USMT package', { usmtPackageId: '', captureUserSettings: false }],
  ['hard links locally', { saveTo: 'local', useHardLinks: true }],
  ['updates: none', { updates: 'none' }],
  ['an application a task sequence may install', { applications: [APP_OK], continueOnFailure: true }],
  ['an application a task sequence may not install', { applications: [APP_NO] }],
];

describe("the console's wizard rules are the site's", () => {
  it.each(CASES)('%s', (_, change) => {
    const s = { ...valid, ...change };
    expect(consoleFields(s)).toEqual(siteFields(s));
  });

  it("a picker left empty: an answers file's empty package means the built-in one, the console asks for a choice", () => {
    for (const [field, change] of [
      ['clientPackageId', { clientPackageId: '' }],
      ['usmtPackageId', { usmtPackageId: '' }],
    ] as const) {
      const s = { ...valid, ...change };
      expect(siteFields(s)).toEqual([]);
      expect(consoleFields(s)).toEqual([field]);
    }
  });

  it('a name is unique at the site (the console knows the names; the site refuses at creation)', () => {
    const known = { ...site, taskSequenceNames: new Set(['windows 11']) };
    expect(problemsOf('info', valid, known).errors.name).toMatch(/already exists/);
  });
});
