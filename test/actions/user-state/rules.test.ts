// The rules format (user-state.md §2.2) and its precedence: every case of §2.8 #1 and #2.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/sequence/input-error.js';
import {
  BUILT_IN_RULES,
  combineRules,
  fileRank,
  parseRules,
  parseUsmtOptions,
  remapAccount,
  RuleEngine,
  RULES_LIMITS,
  selectUsers,
  systemTokens,
  userFolders,
  type RuleComponent,
  type UserStateRules,
} from '../../../src/actions/user-state/rules.js';

const doc = (components: RuleComponent[]): UserStateRules => ({ ...BUILT_IN_RULES['appdata-min'], components });
const comp = (name: string, parts: Partial<RuleComponent>): RuleComponent => ({
  name,
  context: 'system',
  include: [],
  exclude: [],
  unconditionalExclude: [],
  ...parts,
});
const engine = (components: RuleComponent[]): RuleEngine => new RuleEngine(doc(components), systemTokens('C:'), []);

describe('rule precedence (§2.8 #1, one test per USMT example)', () => {
  it('include C:\\Dir1\\* + exclude C:\\*.txt in one component: all of Dir1, its .txt too (a folder beats an extension)', () => {
    const e = engine([comp('a', { include: [{ path: 'C:\\Dir1', recurse: true, files: '*' }], exclude: [{ path: 'C:\\', recurse: true, files: '*.txt' }] })]);
    expect(e.decide('C:\\Dir1\\a.txt').included).toBe(true);
    expect(e.decide('C:\\Dir1\\sub\\b.doc').included).toBe(true);
    expect(e.decide('C:\\Other\\a.txt').included).toBe(false);
  });

  it('include C:\\Dir1\\* + exclude C:\\Dir1\\Dir2\\*.txt: Dir1 without the .txt files of Dir2', () => {
    const e = engine([
      comp('a', { include: [{ path: 'C:\\Dir1', recurse: true, files: '*' }], exclude: [{ path: 'C:\\Dir1\\Dir2', recurse: true, files: '*.txt' }] }),
    ]);
    expect(e.decide('C:\\Dir1\\a.txt').included).toBe(true);
    expect(e.decide('C:\\Dir1\\Dir2\\b.txt')).toMatchObject({ included: false, reason: expect.stringContaining('exclude C:\\Dir1\\Dir2') });
    expect(e.decide('C:\\Dir1\\Dir2\\Deeper\\c.txt').included).toBe(false);
    expect(e.decide('C:\\Dir1\\Dir2\\b.doc').included).toBe(true);
  });

  it('the same pattern included and excluded: excluded (equal specificity, exclude wins)', () => {
    const p = { path: 'C:\\Dir1', recurse: true, files: '*' };
    expect(engine([comp('a', { include: [p], exclude: [p] })]).decide('C:\\Dir1\\x.txt').included).toBe(false);
  });

  it('include in one component and exclude in another: included (components do not affect each other)', () => {
    const p = { path: 'C:\\Dir1', recurse: true, files: '*' };
    const e = engine([comp('a', { include: [p] }), comp('b', { exclude: [p] })]);
    expect(e.decide('C:\\Dir1\\x.txt')).toMatchObject({ included: true, component: 'a' });
    // and the order of components does not matter
    expect(engine([comp('b', { exclude: [p] }), comp('a', { include: [p] })]).decide('C:\\Dir1\\x.txt').included).toBe(true);
  });

  it('unconditionalExclude in another component: excluded, whatever includes it', () => {
    const e = engine([
      comp('a', { include: [{ path: 'C:\\Dir1\\Dir2', recurse: true, files: 'exact.txt' }] }),
      comp('b', { unconditionalExclude: [{ path: 'C:\\', recurse: true, files: '*.txt' }] }),
    ]);
    expect(e.decide('C:\\Dir1\\Dir2\\exact.txt')).toMatchObject({ included: false, reason: expect.stringContaining('unconditionalExclude') });
  });

  it('file ranks: exact 3 > *.ext 2 > other glob 1 > * 0; on equal depth a named file beats an extension exclude', () => {
    expect([fileRank('a.txt'), fileRank('*.txt'), fileRank('~$*'), fileRank('*')]).toEqual([3, 2, 1, 0]);
    const e = engine([
      comp('a', { include: [{ path: 'C:\\D', recurse: true, files: 'keep.txt' }], exclude: [{ path: 'C:\\D', recurse: true, files: '*.txt' }] }),
    ]);
    expect(e.decide('C:\\D\\keep.txt').included).toBe(true);
    expect(e.decide('C:\\D\\other.txt').included).toBe(false);
  });

  it('recurse: false matches only files directly in the folder; case does not matter', () => {
    const e = engine([comp('a', { include: [{ path: 'C:\\Dir1', recurse: false, files: '*' }] })]);
    expect(e.decide('c:\\dir1\\A.TXT').included).toBe(true);
    expect(e.decide('C:\\Dir1\\sub\\a.txt').included).toBe(false);
  });

  it('a walk skips a folder only when nothing below it can be captured', () => {
    const e = new RuleEngine(BUILT_IN_RULES.standard, systemTokens('C:', { stateStore: 'C:\\_SMSTaskSequence\\UserState' }), [
      { id: 'u1', folders: userFolders('C:\\Users\\alice') },
    ]);
    expect(e.canSkipFolder('C:\\Windows')).toBe(true);
    expect(e.canSkipFolder('C:\\Windows\\System32')).toBe(true);
    expect(e.canSkipFolder('C:\\_SMSTaskSequence\\UserState')).toBe(true);
    expect(e.canSkipFolder('C:\\Users')).toBe(false); // alice's folders are below
    expect(e.canSkipFolder('C:\\Users\\bob')).toBe(true);
    expect(e.canSkipFolder('C:\\Users\\alice\\AppData\\Local')).toBe(true);
    expect(e.canSkipFolder('C:\\Data')).toBe(false);
  });
});

describe('the built-in standard rules on one user', () => {
  const e = new RuleEngine(BUILT_IN_RULES.standard, systemTokens('C:', { stateStore: 'C:\\_SMSTaskSequence\\UserState' }), [
    { id: 'u1', folders: userFolders('C:\\Users\\alice', { Personal: 'D:\\Redirected\\Docs' }) },
  ]);
  it('takes known folders, profile-root files, drive-root folders; not NTUSER.DAT, AppData\\Local, temp files, Windows, the store', () => {
    expect(e.decide('D:\\Redirected\\Docs\\a.docx')).toMatchObject({ included: true, user: 'u1' });
    expect(e.decide('C:\\Users\\alice\\Desktop\\b.txt').included).toBe(true);
    expect(e.decide('C:\\Users\\alice\\settings.ini').included).toBe(true);
    expect(e.decide('C:\\Users\\alice\\NTUSER.DAT').included).toBe(false);
    expect(e.decide('C:\\Users\\alice\\AppData\\Local\\x.db').included).toBe(false);
    expect(e.decide('C:\\Users\\alice\\Desktop\\~$draft.docx').included).toBe(false);
    expect(e.decide('C:\\Users\\alice\\Documents\\x.docx').included).toBe(false); // redirected: not the default
    expect(e.decide('C:\\Data\\project\\plan.txt')).toMatchObject({ included: true, component: 'drive-roots' });
    expect(e.decide('C:\\Windows\\notepad.exe').included).toBe(false);
    expect(e.decide('C:\\pagefile.sys').included).toBe(false);
    expect(e.decide('C:\\_SMSTaskSequence\\UserState\\USMT\\store.json').included).toBe(false);
    expect(e.decide('C:\\Users\\Public\\Documents\\shared.txt')).toMatchObject({ included: true, component: 'public-folders' });
  });
});

describe('users (§2.8 #2)', () => {
  const now = Date.UTC(2026, 11, 7);
  const day = 86_400_000;
  const profiles = [
    { sid: 'S-1-5-21-1-2-3-1104', account: 'CONTOSO\\alice', folderName: 'alice', kind: 'domain' as const, ntuserModifiedMs: now - 30 * day },
    { sid: 'S-1-5-21-1-2-3-1105', account: 'CONTOSO\\bob', folderName: 'bob', kind: 'domain' as const, ntuserModifiedMs: now - 1 * day },
    { sid: 'S-1-5-21-9-9-9-1001', account: 'PC-042\\kiosk', folderName: 'kiosk', kind: 'local' as const, ntuserModifiedMs: now - 100 * day },
    { sid: 'S-1-5-18', account: 'NT AUTHORITY\\SYSTEM', folderName: 'systemprofile', kind: 'local' as const },
    { sid: 'S-1-5-21-9-9-9-500', account: 'PC-042\\Default', folderName: 'Default', kind: 'local' as const },
  ];
  const chosen = (sel: { include?: string[]; exclude?: string[]; loggedOnWithinDays?: number | null }): string[] =>
    selectUsers(profiles, { include: [], exclude: [], loggedOnWithinDays: null, ...sel }, { computerName: 'PC-042', nowMs: now })
      .filter((r) => r.selected)
      .map((r) => r.profile.account);

  it('exclude *\\* with include contoso\\alice: alice only (include beats exclude, any case)', () => {
    expect(chosen({ exclude: ['*\\*'], include: ['contoso\\alice'] })).toEqual(['CONTOSO\\alice']);
  });
  it('exclude contoso\\bob with loggedOnWithinDays 14 and bob active yesterday: bob included (/uel beats /ue)', () => {
    expect(chosen({ exclude: ['contoso\\bob'], loggedOnWithinDays: 14 })).toEqual(['CONTOSO\\bob']);
  });
  it('no rules: every user, never a system profile; %computername%\\* is the local accounts', () => {
    expect(chosen({})).toEqual(['CONTOSO\\alice', 'CONTOSO\\bob', 'PC-042\\kiosk']);
    expect(chosen({ exclude: ['%computername%\\*'] })).toEqual(['CONTOSO\\alice', 'CONTOSO\\bob']);
  });
  it('offline + loggedOnWithinDays is a validation error (tested with the capture options)', () => {
    // see capture.test.ts: validateCapture refuses it with USERSTATE_INVALID_OPTIONS
    expect(parseUsmtOptions('/uel:14 /ue:contoso\\bob').uel).toBe(14);
  });
});

describe('the rules file', () => {
  const good = `apiVersion: openosd/v1
kind: UserStateRules
metadata:
  name: mine
components:
  - name: data
    context: system
    include:
      - { path: "C:\\\\Data" }
`;
  it('reads YAML and JSON with defaults (recurse true, files *)', () => {
    const r = parseRules(good, 'mine.osdstate.yaml');
    expect(r.components[0].include[0]).toEqual({ path: 'C:\\Data', recurse: true, files: '*' });
    expect(r.restore.collision).toBe('rename');
    const j = parseRules(JSON.stringify({ apiVersion: 'openosd/v1', kind: 'UserStateRules', metadata: { name: 'j' } }), 'j.json');
    expect(j.components).toEqual([]);
  });

  it('errors name the file, the line and the rule', () => {
    const bad = good.replace('context: system', 'context: sistem');
    const e = (() => {
      try {
        parseRules(bad, 'mine.osdstate.yaml');
      } catch (err) {
        return err as InputError;
      }
    })()!;
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toMatch(/^mine\.osdstate\.yaml:7:\d+: components\.0\.context/);
    expect(() => parseRules(good.replace('"C:\\\\Data"', '"{Documents}"'), 'f.yaml')).toThrow(/f\.yaml:9:\d+: .*\{Documents\} is a user token/);
    expect(() => parseRules(good.replace('"C:\\\\Data"', '"{Nope}"'), 'f.yaml')).toThrow(/unknown token \{Nope\}/);
    expect(() => parseRules(good.replace('"C:\\\\Data"', '"C:\\\\D*\\\\x"'), 'f.yaml')).toThrow(/only in the last path segment/);
    expect(() => parseRules(good.replace('"C:\\\\Data"', '"Data"'), 'f.yaml')).toThrow(/absolute/);
    expect(() => parseRules('a: [1,', 'broken.yaml')).toThrow(/^broken\.yaml:1:\d+: not valid YAML/);
    expect(() => parseRules(good.replace('openosd/v1', 'openosd/v2'), 'f.yaml')).toThrow(/f\.yaml:1:\d+: apiVersion/);
  });

  it('limits are checked before the work: size, pattern counts', () => {
    expect(() => parseRules(`#${'x'.repeat(RULES_LIMITS.bytes)}`, 'big.yaml')).toThrow(/at most 1048576 bytes/);
    const many = {
      apiVersion: 'openosd/v1',
      kind: 'UserStateRules',
      metadata: { name: 'm' },
      components: Array.from({ length: 6 }, (_, i) => ({ name: `c${i}`, context: 'system', include: Array.from({ length: 1000 }, () => ({ path: 'C:\\x' })) })),
    };
    expect(() => parseRules(JSON.stringify(many), 'many.json')).toThrow(/at most 5000 patterns/);
  });

  it('standard with extensions is refused (USERSTATE_DUPLICATE_RULESETS)', () => {
    expect(() => combineRules([BUILT_IN_RULES.standard, BUILT_IN_RULES.extensions])).toThrow(/USERSTATE_DUPLICATE_RULESETS/);
    expect(combineRules([BUILT_IN_RULES.standard, BUILT_IN_RULES['appdata-min']]).components.length).toBe(BUILT_IN_RULES.standard.components.length);
  });
});

describe('USMT options', () => {
  it('parses the honoured switches and lists the rest as ignored', () => {
    const o = parseUsmtOptions(
      '/ui:contoso\\alice /ue:*\\* /md:OLD:NEW /mu:OLD\\x:NEW\\y /lac:"pass word" /lae /hardlink /nocompress /v:5 /c /config:x.xml',
      Date.UTC(2026, 0, 10),
    );
    expect(o).toMatchObject({
      ui: ['contoso\\alice'],
      ue: ['*\\*'],
      md: [{ from: 'OLD', to: 'NEW' }],
      lac: { password: 'pass word' },
      lae: true,
      hardlink: true,
      nocompress: true,
      verbose: 5,
      continueOnError: true,
      ignored: ['/config:x.xml'],
    });
    expect(parseUsmtOptions('/uel:2026/01/01', Date.UTC(2026, 0, 10)).uel).toBe(9);
    expect(remapAccount('OLD\\bob', o)).toBe('NEW\\bob');
    expect(remapAccount('OLD\\x', o)).toBe('NEW\\y');
    expect(remapAccount('OTHER\\bob', o)).toBe('OTHER\\bob');
  });
});
