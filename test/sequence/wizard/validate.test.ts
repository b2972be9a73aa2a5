import { describe, expect, it } from 'vitest';
import type { SiteManifest } from '../../../src/sequence/site-manifest.js';
import { parseSiteManifest } from '../../../src/sequence/site-manifest.js';
import type { WizardAnswers } from '../../../src/sequence/wizard/answers.js';
import { answersSchema, PAGES } from '../../../src/sequence/wizard/answers.js';
import type { WizardProblem } from '../../../src/sequence/wizard/validate.js';
import { formatWizardErrors, validateAnswers } from '../../../src/sequence/wizard/validate.js';

const SEVEN_ZIP = 'ScopeId_9B1F0D2A-1C3E-4F50-8A6B-7C8D9E0F1A2B/Application_5C2D3E4F-5A6B-7C8D-9E0F-1A2B3C4D5E6F';
const OFFICE = 'ScopeId_9B1F0D2A-1C3E-4F50-8A6B-7C8D9E0F1A2B/Application_0A1B2C3D-4E5F-6A7B-8C9D-0E1F2A3B4C5D';
const SECRET = 'S3cr3t!Pw';

const SITE: SiteManifest = parseSiteManifest(
  JSON.stringify({
    site: 'PS1',
    bootImages: [
      { id: 'PS100004', name: 'Boot image (x86)', architecture: 'x86' },
      { id: 'PS100005', name: 'Boot image (x64)', architecture: 'x64' },
      { id: 'PS100007', name: 'Boot image (arm64)', architecture: 'arm64' },
    ],
    imagePackages: [
      {
        id: 'PS100010',
        name: 'Windows 11 23H2',
        images: [
          { index: 1, name: 'Windows 11 Education', architecture: 'x64' },
          { index: 2, name: 'Windows 11 Enterprise', architecture: 'x64' },
        ],
      },
      { id: 'PS100011', name: 'Windows 10 x86', images: [{ index: 1, name: 'Windows 10 Enterprise', architecture: 'x86' }] },
      { id: 'PS100012', name: 'Windows 11 on Arm', images: [{ index: 1, name: 'Windows 11 Pro', architecture: 'arm64' }] },
      { id: 'PS100013', name: 'Legacy capture', images: [{ index: 1, name: 'Captured image' }] },
    ],
    clientPackages: [
      { id: 'PS100002', name: 'Configuration Manager Client Package' },
      { id: 'PS100006', name: 'Configuration Manager Client Piloting Package' },
    ],
    usmtPackages: [{ id: 'PS100003', name: 'User State Migration Tool for Windows' }],
    packages: [{ id: 'PS100020', name: 'Client 5.00.9128 copy' }],
    applications: [
      { modelName: SEVEN_ZIP, name: '7-Zip 23.01', allowTaskSequenceInstall: true },
      { modelName: OFFICE, name: 'Microsoft 365 Apps', allowTaskSequenceInstall: false },
    ],
  }),
  'site.json',
);

/** A complete, valid set of answers against SITE: a domain join and an enabled local administrator. */
const BASE: WizardAnswers = answersSchema.parse({
  taskSequence: { name: 'Deploy Windows 11 Enterprise', description: 'Bare metal and refresh', bootImageId: 'PS100005' },
  installWindows: {
    imagePackageId: 'PS100010',
    imageIndex: 2,
    productKey: '',
    localAdministrator: { mode: 'enabled', password: SECRET, confirmPassword: SECRET },
  },
  configureNetwork: {
    join: 'domain',
    domain: 'contoso.com',
    domainOU: 'OU=Workstations,DC=contoso,DC=com',
    account: 'CONTOSO\\svc-join',
    password: SECRET,
    confirmPassword: SECRET,
  },
  installApplications: { applications: ['7-Zip 23.01'], continueOnFailure: false },
});

function answers(edit: (a: WizardAnswers) => void = () => undefined): WizardAnswers {
  const a = structuredClone(BASE);
  edit(a);
  return a;
}

/** Validate BASE after `edit`, against SITE or (null) without a site. */
const check = (edit: (a: WizardAnswers) => void, site: SiteManifest | null = SITE): WizardProblem[] => validateAnswers(answers(edit), site ?? undefined);
const at = (problems: WizardProblem[], path: string): WizardProblem[] => problems.filter((p) => p.path === path);
const errorsAt = (problems: WizardProblem[], path: string): WizardProblem[] => at(problems, path).filter((p) => p.severity === 'error');

/** Exactly one error, at `path`, whose rule matches `rule`. */
function expectOnlyError(problems: WizardProblem[], path: string, rule?: RegExp): WizardProblem {
  expect(problems.map((p) => `${p.severity} ${p.path}`)).toEqual([`error ${path}`]);
  if (rule) expect(problems[0].rule).toMatch(rule);
  return problems[0];
}

/** Answers with a domain join (edit the join afterwards). */
function domain(edit: (net: Extract<WizardAnswers['configureNetwork'], { join: 'domain' }>) => void): (a: WizardAnswers) => void {
  return (a) => {
    if (a.configureNetwork.join !== 'domain') throw new Error('BASE joins a domain');
    edit(a.configureNetwork);
  };
}

/** Answers with a workgroup join. */
const workgroup = (name: string) => (a: WizardAnswers) => {
  a.configureNetwork = { join: 'workgroup', workgroup: name };
};

describe('validateAnswers: baseline', () => {
  it('the baseline answers have no problems with a site', () => {
    expect(validateAnswers(BASE, SITE)).toEqual([]);
  });

  it('without a site the baseline is valid once the IDs and application model names are given', () => {
    const a = answers((x) => {
      x.installConfigMgr.clientPackageId = 'PS100002';
      x.stateMigration.usmtPackageId = 'PS100003';
      x.installApplications.applications = [SEVEN_ZIP];
    });
    expect(validateAnswers(a)).toEqual([]);
  });

  it('does not change the answers it is given', () => {
    const a = answers((x) => {
      x.configureNetwork = {
        join: 'domain',
        domain: 'contoso.com',
        domainOU: 'ou=PCs,dc=contoso,dc=com',
        account: 'CONTOSO\\svc',
        password: 'p',
        confirmPassword: 'p',
      };
      x.installWindows.productKey = 'abcde-fghij-klmno-pqrst-uvwxy';
    });
    const before = structuredClone(a);
    validateAnswers(a, SITE);
    expect(a).toEqual(before);
  });
});

describe('Task Sequence Information', () => {
  it('name: 50 characters accepted, 51 rejected with the length', () => {
    expect(check((a) => (a.taskSequence.name = 'n'.repeat(50)))).toEqual([]);
    const p = expectOnlyError(
      check((a) => (a.taskSequence.name = 'n'.repeat(51))),
      'taskSequence.name',
      /at most 50 characters \(it has 51\)/,
    );
    expect(p.page).toBe('Task Sequence Information');
    expect(p.field).toBe('Task sequence name');
  });

  it('name: required, blank counts as empty', () => {
    expectOnlyError(
      check((a) => (a.taskSequence.name = '')),
      'taskSequence.name',
      /^required/,
    );
    expectOnlyError(
      check((a) => (a.taskSequence.name = '   ')),
      'taskSequence.name',
      /^required/,
    );
    expect(check((a) => (a.taskSequence.name = 'x'))).toEqual([]);
  });

  it('description: optional, 512 characters accepted, 513 rejected', () => {
    expect(check((a) => (a.taskSequence.description = ''))).toEqual([]);
    expect(check((a) => (a.taskSequence.description = 'd'.repeat(512)))).toEqual([]);
    expectOnlyError(
      check((a) => (a.taskSequence.description = 'd'.repeat(513))),
      'taskSequence.description',
      /at most 512 characters \(it has 513\)/,
    );
  });

  it('boot image: required with and without a site', () => {
    expectOnlyError(
      check((a) => (a.taskSequence.bootImageId = '')),
      'taskSequence.bootImageId',
      /^required: give the PackageID of the boot image/,
    );
    const noSite = errorsAt(
      check((a) => (a.taskSequence.bootImageId = ''), null),
      'taskSequence.bootImageId',
    );
    expect(noSite).toHaveLength(1);
    expect(noSite[0].value).toBe('(empty)');
  });

  it("boot image: must be one of the site's boot images, which the message lists", () => {
    const p = expectOnlyError(
      check((a) => (a.taskSequence.bootImageId = 'PS100099')),
      'taskSequence.bootImageId',
    );
    expect(p.rule).toBe('not a boot image of the site: choose one of PS100004 "Boot image (x86)", PS100005 "Boot image (x64)", PS100007 "Boot image (arm64)"');
    expect(p.value).toBe('PS100099');
    // An ID of another kind says what it is.
    expect(check((a) => (a.taskSequence.bootImageId = 'PS100010'))[0].rule).toMatch(
      /^PS100010 is an OS image package, not a boot image: choose one of PS100004/,
    );
    // PackageIDs ignore case; without a site any non-empty ID is accepted.
    expect(check((a) => (a.taskSequence.bootImageId = 'ps100005'))).toEqual([]);
    expect(
      errorsAt(
        check((a) => (a.taskSequence.bootImageId = 'PS100099'), null),
        'taskSequence.bootImageId',
      ),
    ).toEqual([]);
  });

  it('architecture: an x86 boot image with an x64 image is rejected, naming both architectures', () => {
    const p = expectOnlyError(
      check((a) => (a.taskSequence.bootImageId = 'PS100004')),
      'taskSequence.bootImageId',
    );
    expect(p.rule).toBe(
      'boot image PS100004 "Boot image (x86)" is x86 but image 2 "Windows 11 Enterprise" of PS100010 is x64; an x86 boot image cannot install an x64 image: choose an x64 boot image (PS100005)',
    );
  });

  it('architecture: an x64 boot image installs x64 and x86 images, an x86 one x86 images', () => {
    const x86Image = (boot: string) => (a: WizardAnswers) => {
      a.taskSequence.bootImageId = boot;
      a.installWindows.imagePackageId = 'PS100011';
      a.installWindows.imageIndex = 1;
    };
    expect(check(x86Image('PS100005'))).toEqual([]);
    expect(check(x86Image('PS100004'))).toEqual([]);
    // An arm64 boot image can't; both boot image architectures that can are suggested.
    expect(expectOnlyError(check(x86Image('PS100007')), 'taskSequence.bootImageId').rule).toMatch(
      /is arm64 but .* is x86; an arm64 boot image cannot install an x86 image: choose an x86 or x64 boot image \(PS100004, PS100005\)$/,
    );
  });

  it('architecture: arm64 images need an arm64 boot image, and an arm64 boot image installs only arm64', () => {
    const arm = (boot: string) => (a: WizardAnswers) => {
      a.taskSequence.bootImageId = boot;
      a.installWindows.imagePackageId = 'PS100012';
      a.installWindows.imageIndex = 1;
    };
    expect(check(arm('PS100007'))).toEqual([]);
    expect(expectOnlyError(check(arm('PS100005')), 'taskSequence.bootImageId').rule).toMatch(
      /an x64 boot image cannot install an arm64 image: choose an arm64 boot image \(PS100007\)$/,
    );
    expect(
      expectOnlyError(
        check((a) => (a.taskSequence.bootImageId = 'PS100007')),
        'taskSequence.bootImageId',
      ).rule,
    ).toMatch(/an arm64 boot image cannot install an x64 image/);
  });

  it('architecture: says to add a boot image when the site has none that fits', () => {
    const site: SiteManifest = { ...SITE, bootImages: SITE.bootImages.filter((b) => b.architecture === 'x86') };
    const p = expectOnlyError(
      check((a) => (a.taskSequence.bootImageId = 'PS100004'), site),
      'taskSequence.bootImageId',
    );
    expect(p.rule).toMatch(/: add an x64 boot image to the site$/);
  });

  it("architecture: skipped when the image's architecture is unknown, or without a site", () => {
    expect(
      check((a) => {
        a.taskSequence.bootImageId = 'PS100004';
        a.installWindows.imagePackageId = 'PS100013';
        a.installWindows.imageIndex = 1;
      }),
    ).toEqual([]);
    const noSite = check((a) => {
      a.taskSequence.bootImageId = 'PS100004';
      a.installConfigMgr.clientPackageId = 'PS100002';
      a.stateMigration.usmtPackageId = 'PS100003';
      a.installApplications.applications = [SEVEN_ZIP];
    }, null);
    expect(noSite).toEqual([]);
  });

  it('registered user and organization: 1 to 255 characters', () => {
    for (const [key, field] of [
      ['userName', 'Registered user'],
      ['computerName', 'Registered organization'],
    ] as const) {
      expect(check((a) => (a.console[key] = 'u'))).toEqual([]);
      expect(check((a) => (a.console[key] = 'u'.repeat(255)))).toEqual([]);
      const long = expectOnlyError(
        check((a) => (a.console[key] = 'u'.repeat(256))),
        `console.${key}`,
        /at most 255 characters \(it has 256\)/,
      );
      expect(long.page).toBe('Task Sequence Information');
      expect(long.field).toBe(field);
      expectOnlyError(
        check((a) => (a.console[key] = '')),
        `console.${key}`,
        /^required/,
      );
    }
  });

  it('time zone: required', () => {
    expectOnlyError(
      check((a) => (a.console.timeZone = ' ')),
      'console.timeZone',
      /^required: give an English Windows time zone ID/,
    );
    expect(check((a) => (a.console.timeZone = 'W. Europe Standard Time'))).toEqual([]);
  });
});

describe('Install Windows', () => {
  it("image package: required, and one of the site's image packages", () => {
    expectOnlyError(
      check((a) => (a.installWindows.imagePackageId = '')),
      'installWindows.imagePackageId',
      /^required: give the PackageID of the OS image package/,
    );
    expect(
      errorsAt(
        check((a) => (a.installWindows.imagePackageId = ''), null),
        'installWindows.imagePackageId',
      ),
    ).toHaveLength(1);
    const p = expectOnlyError(
      check((a) => (a.installWindows.imagePackageId = 'PS100005')),
      'installWindows.imagePackageId',
    );
    expect(p.rule).toMatch(/^PS100005 is a boot image, not an OS image package: choose one of PS100010 "Windows 11 23H2", PS100011/);
    expect(p.page).toBe('Install Windows');
  });

  it('image index: must exist in the package; the message lists the images as "index - name"', () => {
    expect(check((a) => (a.installWindows.imageIndex = 1))).toEqual([]);
    const p = expectOnlyError(
      check((a) => (a.installWindows.imageIndex = 3)),
      'installWindows.imageIndex',
    );
    expect(p.value).toBe('3');
    expect(p.rule).toBe('image index 3 does not exist in PS100010 "Windows 11 23H2": choose one of 1 - Windows 11 Education, 2 - Windows 11 Enterprise');
    expect(check((a) => (a.installWindows.imageIndex = 0))[0].rule).toMatch(/^image index 0 does not exist/);
  });

  it('image index: without a site it must be 1 or more', () => {
    const noSite = (index: number) =>
      errorsAt(
        check((a) => (a.installWindows.imageIndex = index), null),
        'installWindows.imageIndex',
      );
    expect(noSite(1)).toEqual([]);
    expect(noSite(7)).toEqual([]);
    expect(noSite(0)).toHaveLength(1);
    expect(noSite(0)[0].rule).toMatch(/^must be 1 or more/);
  });

  it('product key: empty, or five dash-separated groups of five', () => {
    const key = (k: string) => check((a) => (a.installWindows.productKey = k));
    expect(key('')).toEqual([]);
    expect(key('ABCDE-FGHIJ-KLMNO-PQRST-UVWXY')).toEqual([]);
    expect(key('abcde-fghij-klmno-pqrst-uvwxy')).toEqual([]);
    expect(key(' ABCDE-FGHIJ-KLMNO-PQRST-UVWXY ')).toEqual([]);
    const short = expectOnlyError(key('ABCDE-FGHIJ'), 'installWindows.productKey', /^must be five groups of five letters or digits separated by dashes/);
    // A quasi-secret: only the last five characters are shown.
    expect(short.value).toBe('*****-FGHIJ');
    expectOnlyError(key('ABCD-FGHIJ-KLMNO-PQRST-UVWXY'), 'installWindows.productKey');
    expectOnlyError(key('ABCDEF-FGHIJ-KLMNO-PQRST-UVWXY'), 'installWindows.productKey');
    expectOnlyError(key('ABCDE-FGHIJ-KLMNO-PQRST-UVWX_'), 'installWindows.productKey');
    expectOnlyError(key('ABCDE-FGHIJ-KLMNO-PQRST-UVWXY-ZABCD'), 'installWindows.productKey');
  });

  it('product key: an encoded volume licence key has no whitespace and at most 255 characters', () => {
    const key = (k: string) => check((a) => (a.installWindows.productKey = k));
    expect(key('K'.repeat(255))).toEqual([]);
    const long = expectOnlyError(key('K'.repeat(256)), 'installWindows.productKey', /at most 255 characters \(it has 256\)/);
    expect(long.value.length).toBeLessThanOrEqual(80);
    expect(long.value.endsWith('…')).toBe(true);
    expectOnlyError(key('ENCODED KEY'), 'installWindows.productKey', /cannot contain spaces/);
  });

  it('maximum server connections: 5 to 9999 with Per server', () => {
    const perServer = (n: number | undefined) => check((a) => (a.installWindows.serverLicensing = { mode: 'perServer', maxConnections: n }));
    expect(perServer(5)).toEqual([]);
    expect(perServer(9999)).toEqual([]);
    expect(perServer(undefined)).toEqual([]); // the minimum is the default
    const low = expectOnlyError(perServer(4), 'installWindows.serverLicensing.maxConnections', /^must be from 5 to 9999$/);
    expect(low.value).toBe('4');
    expect(low.field).toBe('Maximum server connections');
    expectOnlyError(perServer(10000), 'installWindows.serverLicensing.maxConnections', /^must be from 5 to 9999$/);
  });

  it('maximum server connections: only with Per server', () => {
    expect(check((a) => (a.installWindows.serverLicensing = { mode: 'perSeat' }))).toEqual([]);
    expectOnlyError(
      check((a) => (a.installWindows.serverLicensing = { mode: 'perSeat', maxConnections: 10 })),
      'installWindows.serverLicensing.maxConnections',
      /only applies to the Per server licensing mode \(mode is perSeat\)/,
    );
    expectOnlyError(
      check((a) => (a.installWindows.serverLicensing = { mode: 'notSpecified', maxConnections: 5 })),
      'installWindows.serverLicensing.maxConnections',
    );
  });

  it('local administrator password: required when enabled, at most 255 characters', () => {
    const admin = (password: string, confirmPassword = password) =>
      check((a) => (a.installWindows.localAdministrator = { mode: 'enabled', password, confirmPassword }));
    expect(admin('p'.repeat(255))).toEqual([]);
    const long = expectOnlyError(admin('p'.repeat(256)), 'installWindows.localAdministrator.password', /at most 255 characters \(it has 256\)/);
    expect(long.value).toBe('********');
    const empty = expectOnlyError(admin(''), 'installWindows.localAdministrator.password', /^required/);
    expect(empty.value).toBe('(empty)');
    expect(check((a) => (a.installWindows.localAdministrator = { mode: 'randomAndDisabled' }))).toEqual([]);
  });

  it('local administrator password: the confirmation must match, and neither is shown', () => {
    const p = expectOnlyError(
      check((a) => (a.installWindows.localAdministrator = { mode: 'enabled', password: SECRET, confirmPassword: `${SECRET}x` })),
      'installWindows.localAdministrator.confirmPassword',
      /^must be the same as Local administrator password/,
    );
    expect(p.value).toBe('********');
    const emptyConfirm = check((a) => (a.installWindows.localAdministrator = { mode: 'enabled', password: SECRET, confirmPassword: '' }));
    expect(emptyConfirm.map((x) => [x.path, x.value])).toEqual([['installWindows.localAdministrator.confirmPassword', '(empty)']]);
  });
});

describe('Configure Network', () => {
  it('workgroup: 1 to 32 characters', () => {
    expect(check(workgroup('W'))).toEqual([]);
    expect(check(workgroup('W'.repeat(32)))).toEqual([]);
    const long = expectOnlyError(check(workgroup('W'.repeat(33))), 'configureNetwork.workgroup', /at most 32 characters \(it has 33\)/);
    expect(long.page).toBe('Configure Network');
    expectOnlyError(check(workgroup('')), 'configureNetwork.workgroup', /^required/);
  });

  it('workgroup: none of \\ / : * ? " < > |', () => {
    expect(check(workgroup('SALES-EMEA_2'))).toEqual([]);
    for (const bad of ['A\\B', 'A/B', 'A:B', 'A*B', 'A?B', 'A"B', 'A<B', 'A>B', 'A|B']) {
      expectOnlyError(check(workgroup(bad)), 'configureNetwork.workgroup', /must not contain/);
    }
  });

  it('domain: required for a domain join', () => {
    expectOnlyError(check(domain((n) => ((n.domain = ''), (n.domainOU = '')))), 'configureNetwork.domain', /^required for a domain join/);
  });

  it('domain: DNS labels of at most 63 characters, at most 255 in all', () => {
    const dns = (name: string) => check(domain((n) => ((n.domain = name), (n.domainOU = ''))));
    expect(dns(`${'a'.repeat(63)}.com`)).toEqual([]);
    expectOnlyError(dns(`${'a'.repeat(64)}.com`), 'configureNetwork.domain', /^label ".*" must be at most 63 characters \(it has 64\)$/);
    const max = [63, 63, 63, 63].map((n) => 'a'.repeat(n)).join('.');
    expect(max).toHaveLength(255);
    expect(dns(max)).toEqual([]);
    const over = [63, 63, 63, 62, 1].map((n) => 'a'.repeat(n)).join('.');
    expect(over).toHaveLength(256);
    expectOnlyError(dns(over), 'configureNetwork.domain', /at most 255 characters \(it has 256\)/);
  });

  it('domain: DNS labels are letters, digits and inner dashes, none empty', () => {
    const dns = (name: string) => check(domain((n) => ((n.domain = name), (n.domainOU = ''))));
    expect(dns('corp-1.contoso.com')).toEqual([]);
    for (const bad of ['-contoso.com', 'contoso-.com', 'con_toso.com', 'con toso.com', 'contoso..com', 'contoso.com.', '.contoso.com']) {
      expect(errorsAt(dns(bad), 'configureNetwork.domain'), bad).toHaveLength(1);
    }
  });

  it('domain: a NetBIOS name of at most 15 characters', () => {
    const netbios = (name: string) => check(domain((n) => ((n.domain = name), (n.domainOU = ''))));
    expect(netbios('CONTOSO')).toEqual([]);
    expect(netbios('C'.repeat(15))).toEqual([]);
    expectOnlyError(
      netbios('C'.repeat(16)),
      'configureNetwork.domain',
      /^a NetBIOS domain name must be at most 15 characters \(it has 16\): give the DNS name instead/,
    );
    expectOnlyError(netbios('CON TOSO'), 'configureNetwork.domain', /NetBIOS/);
  });

  it('domain OU: optional, with or without the LDAP:// prefix', () => {
    const ou = (value: string) => check(domain((n) => (n.domainOU = value)));
    expect(ou('')).toEqual([]);
    expect(ou('OU=PCs,DC=contoso,DC=com')).toEqual([]);
    expect(ou('LDAP://OU=PCs,DC=contoso,DC=com')).toEqual([]);
    expect(ou('ldap://ou=PCs,ou=Sites,dc=contoso,dc=com')).toEqual([]);
    expect(ou('LDAP://CN=Computers,OU=PCs, DC=contoso, DC=com')).toEqual([]);
    expect(ou('OU=Sales\\, EMEA,DC=contoso,DC=com')).toEqual([]);
  });

  it('domain OU: the LDAP// typo is rejected with the right prefix', () => {
    const ou = (value: string) => check(domain((n) => (n.domainOU = value)));
    const p = expectOnlyError(ou('LDAP//OU=PCs,DC=contoso,DC=com'), 'configureNetwork.domainOU', /LDAP:\/\/ \(with a colon\)/);
    expect(p.value).toBe('LDAP//OU=PCs,DC=contoso,DC=com');
    expectOnlyError(ou('ldap//OU=PCs,DC=contoso,DC=com'), 'configureNetwork.domainOU', /with a colon/);
  });

  it('domain OU: needs an OU= and DC= components, each OU|CN|DC=value', () => {
    const ou = (value: string) => check(domain((n) => (n.domainOU = value)));
    expectOnlyError(ou('OU=PCs'), 'configureNetwork.domainOU', /^needs the DC= components of the domain/);
    expectOnlyError(ou('LDAP://OU=PCs'), 'configureNetwork.domainOU', /DC=/);
    expectOnlyError(ou('CN=Computers,DC=contoso,DC=com'), 'configureNetwork.domainOU', /^needs an OU= component/);
    expectOnlyError(ou('PCs'), 'configureNetwork.domainOU', /must be OU=name, CN=name or DC=name/);
    expectOnlyError(ou('O=PCs,DC=contoso,DC=com'), 'configureNetwork.domainOU', /component "O=PCs"/);
    expectOnlyError(ou('OU=,DC=contoso,DC=com'), 'configureNetwork.domainOU', /has no name/);
    expectOnlyError(ou('OU=PCs,,DC=contoso,DC=com'), 'configureNetwork.domainOU', /empty component/);
    expectOnlyError(ou('OU=PCs,DC=contoso,DC=com\\'), 'configureNetwork.domainOU', /lone backslash/);
  });

  it('domain OU: at most 32,767 characters as stored', () => {
    const ou = (length: number) => {
      const tail = ',DC=contoso,DC=com';
      const value = `LDAP://OU=${'o'.repeat(length - 'LDAP://OU='.length - tail.length)}${tail}`;
      expect(value).toHaveLength(length);
      return check(domain((n) => (n.domainOU = value)));
    };
    expect(ou(32767)).toEqual([]);
    const p = expectOnlyError(ou(32768), 'configureNetwork.domainOU', /at most 32767 characters \(it has 32768\)/);
    expect(p.value.length).toBeLessThanOrEqual(80);
  });

  it("domain OU: a warning, not an error, when the DC= components don't spell the domain", () => {
    const problems = check(domain((n) => (n.domainOU = 'OU=PCs,DC=fabrikam,DC=com')));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ severity: 'warning', path: 'configureNetwork.domainOU', page: 'Configure Network' });
    expect(problems[0].rule).toMatch(/spell fabrikam\.com but the domain is contoso\.com/);
    expect(check(domain((n) => (n.domainOU = 'OU=PCs,DC=CONTOSO,DC=Com')))).toEqual([]);
    expect(check(domain((n) => (n.domainOU = 'OU=PCs,DC=corp,DC=contoso,DC=com')))).toHaveLength(1);
    // A NetBIOS domain name need not resemble the DNS name.
    expect(check(domain((n) => ((n.domain = 'CORP'), (n.domainOU = 'OU=PCs,DC=contoso,DC=com'))))).toEqual([]);
  });

  it('account: DOMAIN\\user or %variable%, required', () => {
    const account = (value: string) => check(domain((n) => (n.account = value)));
    expect(account('CONTOSO\\svc')).toEqual([]);
    expect(account('contoso.com\\svc-join')).toEqual([]);
    expect(account('%JoinUser%')).toEqual([]);
    const bare = expectOnlyError(account('svc'), 'configureNetwork.account', /^must be DOMAIN\\user/);
    expect(bare.value).toBe('svc');
    expect(bare.field).toBe('Account');
    expectOnlyError(account(''), 'configureNetwork.account', /^required for a domain join/);
    expectOnlyError(account('svc@contoso.com'), 'configureNetwork.account');
    expectOnlyError(account('CONTOSO\\svc@contoso.com'), 'configureNetwork.account');
    expectOnlyError(account('%1Join%'), 'configureNetwork.account');
    expectOnlyError(account('CONTOSO\\'), 'configureNetwork.account');
  });

  it('account password: required, the confirmation must match, neither shown', () => {
    const empty = expectOnlyError(check(domain((n) => ((n.password = ''), (n.confirmPassword = '')))), 'configureNetwork.password', /^required/);
    expect(empty.value).toBe('(empty)');
    const mismatch = expectOnlyError(
      check(domain((n) => (n.confirmPassword = 'other'))),
      'configureNetwork.confirmPassword',
      /must be the same as Account password/,
    );
    expect(mismatch.value).toBe('********');
  });

  it('a workgroup join skips the domain fields', () => {
    expect(check(workgroup('WORKGROUP'))).toEqual([]);
  });
});

describe('Install Configuration Manager', () => {
  it("client package: the site's built-in package is the default", () => {
    expect(validateAnswers(BASE, SITE)).toEqual([]);
    expect(check((a) => (a.installConfigMgr.clientPackageId = 'PS100002'))).toEqual([]);
    expect(check((a) => (a.installConfigMgr.clientPackageId = 'PS100020'))).toEqual([]); // any package will do
  });

  it('client package: required without a site', () => {
    const noSite = check((a) => {
      a.stateMigration.usmtPackageId = 'PS100003';
      a.installApplications.applications = [SEVEN_ZIP];
    }, null);
    const p = expectOnlyError(noSite, 'installConfigMgr.clientPackageId');
    expect(p.rule).toBe('required: give the PackageID of the Configuration Manager Client Package');
    expect(p.page).toBe('Install Configuration Manager');
  });

  it('client package: required when the site has no built-in one; must be a client package or package', () => {
    const site: SiteManifest = { ...SITE, clientPackages: [] };
    expectOnlyError(
      validateAnswers(BASE, site),
      'installConfigMgr.clientPackageId',
      /^required: the site has no "Configuration Manager Client Package".*PS100020/,
    );
    expectOnlyError(
      check((a) => (a.installConfigMgr.clientPackageId = 'PS100099')),
      'installConfigMgr.clientPackageId',
      /^not a client package of the site: choose one of PS100002/,
    );
    expectOnlyError(
      check((a) => (a.installConfigMgr.clientPackageId = 'PS100003')),
      'installConfigMgr.clientPackageId',
      /^PS100003 is a USMT package, not a client package/,
    );
  });

  it('pre-production client package: required when used, and known to the site', () => {
    const pre = (use: boolean, id: string, site: SiteManifest | null = SITE) =>
      check((a) => {
        a.installConfigMgr.usePreProductionClient = use;
        a.installConfigMgr.preProductionClientPackageId = id;
      }, site);
    expect(pre(false, '')).toEqual([]);
    expect(pre(true, 'PS100006')).toEqual([]);
    expectOnlyError(pre(true, ''), 'installConfigMgr.preProductionClientPackageId', /^required/);
    expectOnlyError(pre(true, 'PS100098'), 'installConfigMgr.preProductionClientPackageId', /^not a client package of the site/);
    expect(errorsAt(pre(true, 'PS100098', null), 'installConfigMgr.preProductionClientPackageId')).toEqual([]);
    expect(errorsAt(pre(true, '', null), 'installConfigMgr.preProductionClientPackageId')).toHaveLength(1);
  });

  it('installation properties: SMSSITECODE is rejected, site assignment is automatic', () => {
    const props = (value: string) => check((a) => (a.installConfigMgr.installationProperties = value));
    expect(props('')).toEqual([]);
    expect(props('SMSMP=mp1.contoso.com FSP=fsp.contoso.com SMSCACHESIZE=10240')).toEqual([]);
    expect(props('SMSSITECODEX=1')).toEqual([]);
    const p = expectOnlyError(
      props('SMSMP=mp1.contoso.com SMSSITECODE=PS1'),
      'installConfigMgr.installationProperties',
      /^must not set SMSSITECODE: site assignment is automatic/,
    );
    expect(p.field).toBe('Installation properties');
    expectOnlyError(props('smssitecode = AUTO'), 'installConfigMgr.installationProperties', /SMSSITECODE/);
  });

  it('installation properties: double quotes must be balanced', () => {
    const props = (value: string) => check((a) => (a.installConfigMgr.installationProperties = value));
    expect(props('CCMINSTALLDIR="C:\\Program Files\\CCM" SMSMP=mp1')).toEqual([]);
    expectOnlyError(props('CCMINSTALLDIR="C:\\Program Files\\CCM SMSMP=mp1'), 'installConfigMgr.installationProperties', /unbalanced double quote/);
  });
});

describe('State Migration', () => {
  it("USMT package: the site's built-in package is the default; required without a site", () => {
    expect(check((a) => (a.stateMigration.usmtPackageId = 'PS100003'))).toEqual([]);
    const noSite = (capture: boolean) =>
      check((a) => {
        a.stateMigration.captureUserSettings = capture;
        a.installConfigMgr.clientPackageId = 'PS100002';
        a.installApplications.applications = [SEVEN_ZIP];
      }, null);
    expectOnlyError(noSite(true), 'stateMigration.usmtPackageId', /^required: give the PackageID of the User State Migration Tool package/);
    expect(noSite(false)).toEqual([]);
  });

  it('USMT package: must be a USMT package or package of the site', () => {
    expect(check((a) => (a.stateMigration.usmtPackageId = 'PS100020'))).toEqual([]);
    const p = expectOnlyError(
      check((a) => (a.stateMigration.usmtPackageId = 'PS100002')),
      'stateMigration.usmtPackageId',
    );
    expect(p.rule).toBe(
      'PS100002 is a client package, not a USMT package: choose one of PS100003 "User State Migration Tool for Windows", PS100020 "Client 5.00.9128 copy"',
    );
    expect(p.page).toBe('State Migration');
    expectOnlyError(
      validateAnswers(BASE, { ...SITE, usmtPackages: [], packages: [] }),
      'stateMigration.usmtPackageId',
      /^required: the site has no "User State Migration Tool for Windows"/,
    );
  });

  it('hard links with a state migration point: a warning, ignored', () => {
    const links = (saveTo: 'local' | 'stateMigrationPoint') =>
      check((a) => {
        a.stateMigration.useHardLinks = true;
        a.stateMigration.saveTo = saveTo;
      });
    expect(links('local')).toEqual([]);
    const problems = links('stateMigrationPoint');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ severity: 'warning', path: 'stateMigration.useHardLinks', page: 'State Migration' });
    expect(problems[0].rule).toMatch(/^ignored: hard links need a local store/);
  });
});

describe('Install Applications', () => {
  it('display names and model names of allowed applications are accepted', () => {
    expect(check((a) => (a.installApplications.applications = ['7-zip 23.01']))).toEqual([]);
    expect(check((a) => (a.installApplications.applications = [SEVEN_ZIP]))).toEqual([]);
    expect(check((a) => (a.installApplications.applications = []))).toEqual([]);
  });

  it('an application not allowed in a task sequence is rejected, naming the app and the console option', () => {
    const p = expectOnlyError(
      check((a) => (a.installApplications.applications = ['7-Zip 23.01', 'Microsoft 365 Apps'])),
      'installApplications.applications[1]',
    );
    expect(p.rule).toContain('"Microsoft 365 Apps"');
    expect(p.rule).toContain('"Allow this application to be installed from the Install Application task sequence action without being deployed"');
    expect(p.page).toBe('Install Applications');
    expectOnlyError(
      check((a) => (a.installApplications.applications = [OFFICE])),
      'installApplications.applications[0]',
      /Microsoft 365 Apps/,
    );
  });

  it("an application the site doesn't know is rejected", () => {
    const p = expectOnlyError(
      check((a) => (a.installApplications.applications = ['7-Zip 23.01', 'Notepad++'])),
      'installApplications.applications[1]',
      /^not an application of the site/,
    );
    expect(p.value).toBe('Notepad++');
  });

  it('without a site only model names are accepted', () => {
    const noSite = (apps: string[]) =>
      check((a) => {
        a.installConfigMgr.clientPackageId = 'PS100002';
        a.stateMigration.usmtPackageId = 'PS100003';
        a.installApplications.applications = apps;
      }, null);
    expect(noSite([SEVEN_ZIP, OFFICE])).toEqual([]);
    expectOnlyError(noSite([SEVEN_ZIP, '7-Zip 23.01']), 'installApplications.applications[1]', /without a site manifest \(--site\)/);
  });

  it('the same application twice is rejected, also when named once by display name and once by model name', () => {
    const p = expectOnlyError(
      check((a) => (a.installApplications.applications = ['7-Zip 23.01', SEVEN_ZIP])),
      'installApplications.applications[1]',
      /^the same application as applications\[0\] \("7-Zip 23\.01"\)/,
    );
    expect(p.value).toBe(SEVEN_ZIP.slice(0, 79) + '…');
    expect(check((a) => (a.installApplications.applications = ['7-Zip 23.01', '7-ZIP 23.01'])).map((x) => x.path)).toEqual([
      'installApplications.applications[1]',
    ]);
  });

  it('continue on failure with no applications: a warning, ignored', () => {
    const cont = (apps: string[]) =>
      check((a) => {
        a.installApplications.applications = apps;
        a.installApplications.continueOnFailure = true;
      });
    expect(cont(['7-Zip 23.01'])).toEqual([]);
    const problems = cont([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ severity: 'warning', path: 'installApplications.continueOnFailure', rule: 'ignored: no applications are listed' });
  });
});

describe('every problem at once', () => {
  const MANY = answers((a) => {
    a.taskSequence.name = 'n'.repeat(51); // 1
    a.taskSequence.bootImageId = 'PS100004'; // 2: x86 boot image, x64 image
    a.installWindows.productKey = 'ABCDE-FGHIJ'; // 3
    a.installWindows.serverLicensing = { mode: 'perServer', maxConnections: 4 }; // 4
    a.installWindows.localAdministrator = { mode: 'enabled', password: SECRET, confirmPassword: `${SECRET}!` }; // 5
    a.configureNetwork = {
      join: 'domain',
      domain: 'contoso.com',
      domainOU: 'LDAP//OU=PCs,DC=contoso,DC=com',
      account: 'svc',
      password: SECRET,
      confirmPassword: 'x',
    }; // 6, 7, 8
    a.installConfigMgr.installationProperties = 'SMSSITECODE=PS1'; // 9
    a.stateMigration.useHardLinks = true; // warning 1
    a.installApplications.applications = ['Microsoft 365 Apps']; // 10
  });
  const problems = validateAnswers(MANY, SITE);

  it('reports all ten errors and the warning, in page order', () => {
    expect(problems.map((p) => `${p.severity} ${p.path}`)).toEqual([
      'error taskSequence.name',
      'error taskSequence.bootImageId',
      'error installWindows.productKey',
      'error installWindows.serverLicensing.maxConnections',
      'error installWindows.localAdministrator.confirmPassword',
      'error configureNetwork.domainOU',
      'error configureNetwork.account',
      'error configureNetwork.confirmPassword',
      'error installConfigMgr.installationProperties',
      'warning stateMigration.useHardLinks',
      'error installApplications.applications[0]',
    ]);
    expect(problems.filter((p) => p.severity === 'error')).toHaveLength(10);
  });

  it('each problem names the page of its path', () => {
    for (const p of problems) {
      const section = p.path.split(/[.[]/)[0] as keyof typeof PAGES;
      expect(p.page, p.path).toBe(PAGES[section]);
      expect(p.field, p.path).not.toBe('');
      expect(p.rule, p.path).not.toBe('');
    }
  });

  it('never shows a password, neither in the problems nor in the formatted text', () => {
    const text = formatWizardErrors(problems);
    expect(text).not.toContain(SECRET);
    expect(JSON.stringify(problems)).not.toContain(SECRET);
    const tooLong = validateAnswers(
      answers((a) => (a.installWindows.localAdministrator = { mode: 'enabled', password: SECRET.repeat(40), confirmPassword: SECRET.repeat(40) })),
      SITE,
    );
    expect(tooLong).toHaveLength(1);
    expect(formatWizardErrors(tooLong)).not.toContain(SECRET);
    expect(JSON.stringify(tooLong)).not.toContain(SECRET);
  });
});

describe('formatWizardErrors', () => {
  it('one line per problem: page › field (path) = "value": rule, warnings prefixed', () => {
    const problems = validateAnswers(
      answers((a) => {
        a.installWindows.productKey = 'ABCDE-FGHIJ';
        a.installWindows.localAdministrator = { mode: 'enabled', password: '', confirmPassword: '' };
        a.stateMigration.useHardLinks = true;
      }),
      SITE,
    );
    expect(formatWizardErrors(problems).split('\n')).toEqual([
      '  Install Windows › Product key (installWindows.productKey) = "*****-FGHIJ": must be five groups of five letters or digits separated by dashes (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX), or an encoded volume licence key without dashes',
      '  Install Windows › Local administrator password (installWindows.localAdministrator.password) = (empty): required: give the password for the enabled local administrator account, or let the wizard generate one (mode randomAndDisabled)',
      '  warning: State Migration › Capture locally by using links instead of by copying files (stateMigration.useHardLinks) = "true": ignored: hard links need a local store and cannot be used with a state migration point; set saveTo to local, or turn off useHardLinks',
    ]);
  });

  it('keeps a multi-line value on one line', () => {
    const problems = check((a) => (a.taskSequence.description = `first line\n${'d'.repeat(520)}`));
    expect(problems).toHaveLength(1);
    expect(problems[0].value.startsWith('first line\\nddd')).toBe(true);
    expect(formatWizardErrors(problems).split('\n')).toHaveLength(1);
  });

  it('is empty for no problems', () => {
    expect(formatWizardErrors([])).toBe('');
  });
});
