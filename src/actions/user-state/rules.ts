/**
 * The user state rules format (user-state.md §2.2): which users are captured and which of their
 * and the computer's files, as YAML or JSON. Parsed with limits checked before any work, every
 * error naming the file, the line where there is one, and the rule; built-in rule sets
 * `standard` (≈ MigDocs), `extensions` (≈ MigUser) and `appdata-min` (empty in v1); tokens resolved
 * per user; USMT's precedence (§1.5 [D]): within a component the most specific rule wins (a deeper
 * folder beats a file extension), equally specific ⇒ exclude; any component including a file
 * captures it; an unconditional exclude anywhere beats everything; order never matters.
 */
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { InputError, type InputLocation } from '../../sequence/input-error.js';

export const RULES_API_VERSION = 'openosd/v1';
export const RULES_KIND = 'UserStateRules';

/** Limits checked before a rules file is parsed or used [I]. */
export const RULES_LIMITS = {
  bytes: 1024 * 1024,
  components: 64,
  patternsPerList: 1000,
  patternsTotal: 5000,
  userPatterns: 1000,
  pathChars: 1024,
} as const;

export const USER_TOKENS = [
  'UserProfile',
  'Documents',
  'Desktop',
  'Pictures',
  'Music',
  'Videos',
  'Favorites',
  'Downloads',
  'Contacts',
  'Links',
  'SavedGames',
  'AppDataRoaming',
  'AppDataLocal',
  'StartMenu',
] as const;
export const SYSTEM_TOKENS = [
  'PublicDocuments',
  'PublicDesktop',
  'PublicPictures',
  'PublicMusic',
  'PublicVideos',
  'PublicDownloads',
  'Windows',
  'ProgramFiles',
  'ProgramFilesX86',
  'ProgramData',
  'ProfilesDirectory',
  'SystemDrive',
  'FixedDriveRoots',
  'StateStore',
] as const;
export type UserToken = (typeof USER_TOKENS)[number];
export type SystemToken = (typeof SYSTEM_TOKENS)[number];

/** Where each user token lies under the profile when the user's hive does not say otherwise (Windows 10 defaults). */
export const DEFAULT_USER_FOLDERS: Record<UserToken, string> = {
  UserProfile: '',
  Documents: 'Documents',
  Desktop: 'Desktop',
  Pictures: 'Pictures',
  Music: 'Music',
  Videos: 'Videos',
  Favorites: 'Favorites',
  Downloads: 'Downloads',
  Contacts: 'Contacts',
  Links: 'Links',
  SavedGames: 'Saved Games',
  AppDataRoaming: 'AppData\\Roaming',
  AppDataLocal: 'AppData\\Local',
  StartMenu: 'AppData\\Roaming\\Microsoft\\Windows\\Start Menu',
};

/** `User Shell Folders` value names (HKCU\Software\Microsoft\Windows\CurrentVersion\Explorer\User Shell Folders) per token. */
export const SHELL_FOLDER_VALUES: Partial<Record<UserToken, string[]>> = {
  Documents: ['Personal'],
  Desktop: ['Desktop'],
  Pictures: ['My Pictures'],
  Music: ['My Music'],
  Videos: ['My Video'],
  Favorites: ['Favorites'],
  Downloads: ['{374DE290-123F-4565-9164-39C4925E467B}'],
  AppDataRoaming: ['AppData'],
  AppDataLocal: ['Local AppData'],
  StartMenu: ['Start Menu'],
  SavedGames: ['{4C5C32FF-BB9D-43b0-B5B4-2D72E54EAAA4}'],
  Contacts: ['{56784854-C6CB-462B-8169-88E350ACB882}'],
  Links: ['{BFB9D5E0-C6A9-404C-B2B2-AE6DB6AF4968}'],
};

// --- the document ------------------------------------------------------------------------------

const filesSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(RULES_LIMITS.patternsPerList)]);
const patternSchema = z.strictObject({
  path: z.string().min(1).max(RULES_LIMITS.pathChars),
  /** [I] default true: a folder's whole tree, like USMT's `Dir\* [*]`. */
  recurse: z.boolean().default(true),
  files: filesSchema.default('*'),
});
const patternList = z.array(patternSchema).max(RULES_LIMITS.patternsPerList).default([]);
const componentSchema = z.strictObject({
  name: z.string().min(1).max(128),
  context: z.enum(['user', 'system']),
  include: patternList,
  exclude: patternList,
  unconditionalExclude: patternList,
});
const userPatterns = z.array(z.string().min(1).max(512)).max(RULES_LIMITS.userPatterns).default([]);

export const rulesSchema = z.strictObject({
  apiVersion: z.literal(RULES_API_VERSION),
  kind: z.literal(RULES_KIND),
  metadata: z.strictObject({ name: z.string().min(1).max(128), description: z.string().max(4096).optional() }),
  users: z
    .strictObject({
      include: userPatterns,
      exclude: userPatterns,
      loggedOnWithinDays: z.number().int().min(0).max(36500).nullable().default(null),
    })
    .default({ include: [], exclude: [], loggedOnWithinDays: null }),
  options: z
    .strictObject({
      localOnly: z.boolean().default(true),
      skipHiddenSystemFiles: z.boolean().default(true),
      followReparsePoints: z.literal(false).default(false),
      maxFileSizeBytes: z.number().int().positive().nullable().default(null),
    })
    .default({ localOnly: true, skipHiddenSystemFiles: true, followReparsePoints: false, maxFileSizeBytes: null }),
  components: z.array(componentSchema).max(RULES_LIMITS.components).default([]),
  restore: z
    .strictObject({
      collision: z.enum(['rename', 'sourceWins', 'destinationWins']).default('rename'),
      createMissingLocalAccounts: z.boolean().default(false),
    })
    .default({ collision: 'rename', createMissingLocalAccounts: false }),
});
export type UserStateRules = z.infer<typeof rulesSchema>;
export type RulePattern = z.infer<typeof patternSchema>;
export type RuleComponent = z.infer<typeof componentSchema>;

const TOKEN = /^\{([A-Za-z0-9]+)\}(?:[\\/]+(.*))?$/;
const ABSOLUTE = /^[A-Za-z]:(?:[\\/]|$)/;

/**
 * A rules document from YAML or JSON text: the size limit before parsing, the schema, then the
 * pattern rules (absolute path or a known token; a user token only in a user component; `*`/`?`
 * only in the last path segment). Every error is an InputError naming `input`, the line and the rule.
 */
export function parseRules(text: string, input: string): UserStateRules {
  if (Buffer.byteLength(text, 'utf8') > RULES_LIMITS.bytes) {
    throw new InputError({ input, rule: `a rules file is at most ${RULES_LIMITS.bytes} bytes (this one is ${Buffer.byteLength(text, 'utf8')})` });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new InputError({ input, rule: `not valid YAML/JSON: ${e.message.split('\n')[0]}`, location: toLocation(lineCounter, e.pos[0]) });
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  const where = (path: PropertyKey[]): InputLocation | undefined => {
    const node = doc.getIn(path as Iterable<unknown>, true) as { range?: [number, number, number] } | undefined;
    return node?.range ? toLocation(lineCounter, node.range[0]) : undefined;
  };
  // Counts before the schema walks every element.
  const comps = (raw as { components?: unknown })?.components;
  if (Array.isArray(comps)) {
    let total = 0;
    for (const c of comps) for (const k of ['include', 'exclude', 'unconditionalExclude']) total += Array.isArray(c?.[k]) ? c[k].length : 0;
    if (total > RULES_LIMITS.patternsTotal)
      throw new InputError({
        input,
        rule: `at most ${RULES_LIMITS.patternsTotal} patterns in all components (this file has ${total})`,
        location: where(['components']),
      });
  }
  const parsed = rulesSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path as PropertyKey[];
    throw new InputError({
      input,
      rule: `${path.length ? path.join('.') : '(document)'}: ${issue.message}`,
      location: where(path),
      hint: path[0] === 'apiVersion' || path[0] === 'kind' ? `a rules file starts with apiVersion: ${RULES_API_VERSION} and kind: ${RULES_KIND}` : undefined,
    });
  }
  const rules = parsed.data;
  rules.components.forEach((c, ci) => {
    for (const list of ['include', 'exclude', 'unconditionalExclude'] as const) {
      c[list].forEach((p, pi) => {
        const problem = patternProblem(p, c.context);
        if (problem)
          throw new InputError({
            input,
            rule: `components[${ci}] "${c.name}" ${list}[${pi}] ${p.path}: ${problem}`,
            location: where(['components', ci, list, pi, 'path']),
          });
      });
    }
  });
  for (const list of ['include', 'exclude'] as const) {
    rules.users[list].forEach((u, i) => {
      if ((u.match(/\\/g) ?? []).length > 1)
        throw new InputError({ input, rule: `users.${list}[${i}] "${u}": write DOMAIN\\user (one backslash)`, location: where(['users', list, i]) });
    });
  }
  return rules;
}

function toLocation(lc: LineCounter, offset: number): InputLocation {
  const p = lc.linePos(offset);
  return { line: p.line, column: p.col };
}

function patternProblem(p: RulePattern, context: 'user' | 'system'): string | undefined {
  const m = TOKEN.exec(p.path);
  let rest: string;
  if (m) {
    const token = m[1];
    const isUser = (USER_TOKENS as readonly string[]).includes(token);
    const isSystem = (SYSTEM_TOKENS as readonly string[]).includes(token);
    if (!isUser && !isSystem) return `unknown token {${token}} (user tokens: ${USER_TOKENS.join(' ')}; system: ${SYSTEM_TOKENS.join(' ')})`;
    if (isUser && context === 'system') return `{${token}} is a user token: it resolves only in a component with context: user`;
    rest = m[2] ?? '';
  } else if (ABSOLUTE.test(p.path)) {
    rest = p.path.slice(2);
  } else {
    return 'a path is absolute (C:\\Data) or starts with a token ({Documents}\\Projects)';
  }
  const segs = rest.split(/[\\/]+/).filter(Boolean);
  for (let i = 0; i < segs.length - 1; i++) if (/[*?]/.test(segs[i])) return '`*` and `?` are allowed only in the last path segment';
  if (segs.some((s) => s === '..' || s === '.')) return "'.' and '..' are not allowed in a pattern's path";
  return undefined;
}

// --- built-in rule sets -------------------------------------------------------------------------

const userKnownFolders = (names: UserToken[]): RulePattern[] => names.map((t) => ({ path: `{${t}}`, recurse: true, files: '*' }));
const standardUserUnconditional: RulePattern[] = [
  { path: '{UserProfile}', recurse: false, files: ['ntuser.dat*', 'ntuser.ini', 'ntuser.pol'] },
  { path: '{AppDataLocal}', recurse: true, files: '*' },
  { path: '{UserProfile}', recurse: true, files: ['~$*', '*.tmp'] },
];
const systemExclusions: RulePattern[] = ['Windows', 'ProgramFiles', 'ProgramFilesX86', 'ProgramData', 'ProfilesDirectory', 'StateStore'].map((t) => ({
  path: `{${t}}`,
  recurse: true,
  files: '*',
}));
const globalComponent: RuleComponent = {
  name: 'global',
  context: 'system',
  include: [],
  exclude: [],
  unconditionalExclude: [{ path: '{FixedDriveRoots}', recurse: true, files: ['pagefile.sys', 'hiberfil.sys', 'swapfile.sys'] }],
};
const base = (name: string, description: string, components: RuleComponent[]): UserStateRules => ({
  apiVersion: RULES_API_VERSION,
  kind: RULES_KIND,
  metadata: { name, description },
  users: { include: [], exclude: [], loggedOnWithinDays: null },
  options: { localOnly: true, skipHiddenSystemFiles: true, followReparsePoints: false, maxFileSizeBytes: null },
  components,
  restore: { collision: 'rename', createMissingLocalAccounts: false },
});

/** The MigUser.xml extension list (user-state.md §1.5 [D]). */
export const MIGUSER_EXTENSIONS = [
  '*.qdf', '*.qsd', '*.qel', '*.qph', '*.doc*', '*.dot*', '*.rtf', '*.mcw', '*.wps', '*.scd', '*.wri', '*.wpd', '*.xl*', '*.csv', '*.iqy',
  '*.dqy', '*.oqy', '*.rqy', '*.wk*', '*.wq1', '*.slk', '*.dif', '*.ppt*', '*.pps*', '*.pot*', '*.sh3', '*.ch3', '*.pre', '*.ppa', '*.txt',
  '*.pst', '*.one*', '*.vl*', '*.vsd', '*.mpp', '*.or6', '*.accdb', '*.mdb', '*.pub',
]; // prettier-ignore

/** The rule sets shipped with the agent (§2.2). `standard` is ConfigMgr's Simple mode [I]. */
export const BUILT_IN_RULES: Record<'standard' | 'extensions' | 'appdata-min', UserStateRules> = {
  standard: base('standard', 'Documents-style capture (like MigDocs)', [
    {
      name: 'user-known-folders',
      context: 'user',
      include: [
        ...userKnownFolders(['Documents', 'Desktop', 'Pictures', 'Music', 'Videos', 'Favorites', 'Downloads', 'Contacts', 'Links', 'SavedGames']),
        { path: '{UserProfile}', recurse: false, files: '*' },
      ],
      exclude: [],
      unconditionalExclude: standardUserUnconditional,
    },
    {
      name: 'public-folders',
      context: 'system',
      include: [
        { path: '{PublicDocuments}', recurse: true, files: '*' },
        { path: '{PublicDesktop}', recurse: true, files: '*' },
        { path: '{PublicPictures}', recurse: true, files: '*' },
      ],
      exclude: [],
      unconditionalExclude: [],
    },
    {
      name: 'drive-roots',
      context: 'system',
      include: [{ path: '{FixedDriveRoots}', recurse: true, files: '*' }],
      exclude: systemExclusions,
      unconditionalExclude: [],
    },
    globalComponent,
  ]),
  extensions: base('extensions', 'Known folders and document extensions on fixed drives (like MigUser)', [
    {
      name: 'user-known-folders',
      context: 'user',
      include: [
        ...userKnownFolders(['Videos', 'Music', 'Desktop', 'StartMenu', 'Documents', 'Pictures', 'Favorites']),
        { path: '{UserProfile}', recurse: true, files: MIGUSER_EXTENSIONS },
      ],
      exclude: [],
      unconditionalExclude: standardUserUnconditional,
    },
    {
      name: 'document-extensions',
      context: 'system',
      include: [{ path: '{FixedDriveRoots}', recurse: true, files: MIGUSER_EXTENSIONS }],
      exclude: systemExclusions,
      unconditionalExclude: [],
    },
    globalComponent,
  ]),
  'appdata-min': base('appdata-min', 'Application settings (empty in v1: no application rules yet)', []),
};

/** The built-in set a USMT XML file name stands for (OSDMigrateConfigFiles in exports) [I]. */
export function builtInForUsmtXml(file: string): keyof typeof BUILT_IN_RULES | undefined {
  const n = file.trim().toLowerCase();
  if (n === 'migdocs.xml') return 'standard';
  if (n === 'miguser.xml') return 'extensions';
  if (n === 'migapp.xml') return 'appdata-min';
  return undefined;
}

/**
 * Several rule sets as one (Advanced mode with several files): components side by side (they never
 * affect each other), user patterns joined, the shortest logged-on window, the first file's options
 * and restore settings. `standard` with `extensions` is refused (§2.2 USERSTATE_DUPLICATE_RULESETS).
 */
export function combineRules(sets: UserStateRules[]): UserStateRules {
  if (sets.length === 0) return BUILT_IN_RULES.standard;
  const names = new Set(sets.map((s) => s.metadata.name));
  if (names.has('standard') && names.has('extensions')) {
    throw new InputError({
      input: 'OSDMigrateConfigFiles',
      rule: 'USERSTATE_DUPLICATE_RULESETS: standard (MigDocs) and extensions (MigUser) together capture files twice — use one',
    });
  }
  if (sets.length === 1) return sets[0];
  const windows = sets.map((s) => s.users.loggedOnWithinDays).filter((d): d is number => d !== null);
  return {
    ...sets[0],
    metadata: { name: sets.map((s) => s.metadata.name).join('+') },
    users: {
      include: sets.flatMap((s) => s.users.include),
      exclude: sets.flatMap((s) => s.users.exclude),
      loggedOnWithinDays: windows.length ? Math.min(...windows) : null,
    },
    components: sets.flatMap((s) => s.components),
  };
}

// --- paths and patterns -------------------------------------------------------------------------

/** A Windows path's components, lower-cased for comparison ('C:\\Users\\A' → ['c:', 'users', 'a']). */
export function pathSegments(path: string): string[] {
  return path
    .split(/[\\/]+/)
    .filter(Boolean)
    .map((s) => s.toLowerCase());
}

function globRegExp(glob: string): RegExp {
  const body = glob
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

/** A file-name pattern's rank in specificity (§2.2): exact name 3, a glob with a literal extension (`*.txt`) 2, another glob 1, `*` 0. */
export function fileRank(glob: string): number {
  if (glob === '*' || glob === '*.*') return 0;
  if (!/[*?]/.test(glob)) return 3;
  if (/\.[^.*?]+$/.test(glob)) return 2;
  return 1;
}

export type RuleKind = 'include' | 'exclude' | 'unconditionalExclude';

/** A pattern with its tokens resolved: one per resolved path ({FixedDriveRoots} may give several). */
export interface CompiledPattern {
  kind: RuleKind;
  /** Component instance: the component's name, and the user it was resolved for. */
  component: string;
  user?: string;
  /** As written, for logs. */
  source: string;
  dir: Array<string | RegExp>;
  literal: number;
  recurse: boolean;
  files: Array<{ re: RegExp; rank: number; all: boolean }>;
}

/** What the tokens stand for on one computer, and for one user. Paths are Windows paths (`C:\\Users\\alice`). */
export interface TokenValues {
  system: Partial<Record<SystemToken, string[]>>;
  user?: Partial<Record<UserToken, string>>;
}

/** The paths a pattern's path stands for; [] when its token does not resolve (then it matches nothing: §2.2). */
export function resolvePatternPath(path: string, tokens: TokenValues): string[] {
  const m = TOKEN.exec(path);
  if (!m) return [path];
  const t = m[1];
  const rest = m[2] ? `\\${m[2]}` : '';
  const sys = tokens.system[t as SystemToken];
  if (sys) return sys.map((p) => `${p.replace(/[\\/]+$/, '')}${rest}`);
  const u = tokens.user?.[t as UserToken];
  return u ? [`${u.replace(/[\\/]+$/, '')}${rest}`] : [];
}

export function compilePattern(p: RulePattern, kind: RuleKind, component: string, tokens: TokenValues, user?: string): CompiledPattern[] {
  const files = (Array.isArray(p.files) ? p.files : [p.files]).map((g) => ({ re: globRegExp(g), rank: fileRank(g), all: fileRank(g) === 0 }));
  return resolvePatternPath(p.path, tokens).map((resolved) => {
    const segs = pathSegments(resolved);
    const dir = segs.map((s) => (/[*?]/.test(s) ? globRegExp(s) : s));
    return { kind, component, user, source: p.path, dir, literal: dir.filter((d) => typeof d === 'string').length, recurse: p.recurse, files };
  });
}

function dirMatches(p: CompiledPattern, dir: string[]): boolean {
  if (p.dir.length > dir.length) return false;
  if (!p.recurse && p.dir.length !== dir.length) return false;
  for (let i = 0; i < p.dir.length; i++) {
    const d = p.dir[i];
    if (typeof d === 'string' ? d !== dir[i] : !d.test(dir[i])) return false;
  }
  return true;
}

/** The pattern's specificity for a file it matches, or undefined when it does not match: [literal segments, file rank]. */
export function matchFile(p: CompiledPattern, dir: string[], name: string): [number, number] | undefined {
  if (!dirMatches(p, dir)) return undefined;
  let best = -1;
  for (const f of p.files) if (f.rank > best && f.re.test(name)) best = f.rank;
  return best < 0 ? undefined : [p.literal, best];
}

const more = (a: [number, number], b: [number, number]): number => a[0] - b[0] || a[1] - b[1];

/** One component as resolved for one user (or for the computer). */
interface ComponentInstance {
  name: string;
  user?: string;
  include: CompiledPattern[];
  exclude: CompiledPattern[];
}

export interface Decision {
  included: boolean;
  /** The component (and user) that included it. */
  component?: string;
  user?: string;
  /** Why not: the pattern that excluded it, or that nothing included it. */
  reason?: string;
}

/**
 * The rules resolved on one computer for its captured users: decides file by file (§2.2
 * precedence), and whether a folder can be skipped whole while walking.
 */
export class RuleEngine {
  private readonly instances: ComponentInstance[] = [];
  private readonly unconditional: CompiledPattern[] = [];

  constructor(rules: UserStateRules, system: TokenValues['system'], users: Array<{ id: string; folders: Partial<Record<UserToken, string>> }>) {
    for (const c of rules.components) {
      const contexts =
        c.context === 'user' ? users.map((u) => ({ user: u.id, tokens: { system, user: u.folders } })) : [{ user: undefined, tokens: { system } }];
      for (const { user, tokens } of contexts) {
        const inst: ComponentInstance = { name: c.name, user, include: [], exclude: [] };
        for (const p of c.include) inst.include.push(...compilePattern(p, 'include', c.name, tokens, user));
        for (const p of c.exclude) inst.exclude.push(...compilePattern(p, 'exclude', c.name, tokens, user));
        for (const p of c.unconditionalExclude) this.unconditional.push(...compilePattern(p, 'unconditionalExclude', c.name, tokens, user));
        this.instances.push(inst);
      }
    }
  }

  /** Always excluded (the store folder itself: §1.1 [D]). */
  excludeAlways(path: string): void {
    this.unconditional.push(...compilePattern({ path, recurse: true, files: '*' }, 'unconditionalExclude', '(store)', { system: {} }));
  }

  /** The folders a capture walks: the literal base of every include, nested ones dropped. */
  roots(): string[][] {
    const bases: string[][] = [];
    for (const inst of this.instances) {
      for (const p of inst.include) {
        const b: string[] = [];
        for (const d of p.dir) {
          if (typeof d !== 'string') break;
          b.push(d);
        }
        bases.push(b);
      }
    }
    bases.sort((a, b) => a.length - b.length);
    const out: string[][] = [];
    for (const b of bases) if (!out.some((o) => o.length <= b.length && o.every((s, i) => s === b[i]))) out.push(b);
    return out;
  }

  /** A file `path` (Windows path) by §2.2: unconditional exclude, else included when any component's most specific rule includes it. */
  decide(path: string): Decision {
    const segs = pathSegments(path);
    const name = segs.pop() ?? '';
    for (const u of this.unconditional) if (matchFile(u, segs, name)) return { included: false, reason: `unconditionalExclude ${u.source} (${u.component})` };
    let lastReason = 'no include rule matches';
    for (const inst of this.instances) {
      let best: [number, number] | undefined;
      let bestKind: RuleKind | undefined;
      let bestSource = '';
      for (const p of inst.include) {
        const s = matchFile(p, segs, name);
        if (s && (!best || more(s, best) > 0)) [best, bestKind, bestSource] = [s, 'include', p.source];
      }
      for (const p of inst.exclude) {
        const s = matchFile(p, segs, name);
        // Equally specific: exclude wins [D].
        if (s && (!best || more(s, best) >= 0)) [best, bestKind, bestSource] = [s, 'exclude', p.source];
      }
      if (bestKind === 'include') return { included: true, component: inst.name, user: inst.user };
      if (bestKind === 'exclude') lastReason = `exclude ${bestSource} (${inst.name})`;
    }
    return { included: false, reason: lastReason };
  }

  /** Whether nothing under folder `path` can be captured, so a walk may skip it (never wrong the other way). */
  canSkipFolder(path: string): boolean {
    const dir = pathSegments(path);
    for (const u of this.unconditional) if (u.recurse && u.files.some((f) => f.all) && dirMatches(u, dir)) return true;
    for (const inst of this.instances) {
      for (const p of inst.include) {
        // An include deeper inside the folder (or beside it through a glob) may match below it.
        const under = p.dir.length > dir.length && dir.every((s, i) => (typeof p.dir[i] === 'string' ? p.dir[i] === s : (p.dir[i] as RegExp).test(s)));
        if (under) return false;
        if (!p.recurse || !dirMatches(p, dir)) continue;
        // p covers everything below: only an exclude of the whole folder, more specific, overrides it.
        const overridden = inst.exclude.some(
          (e) =>
            e.recurse &&
            e.files.some((f) => f.all) &&
            dirMatches(e, dir) &&
            (e.literal > p.literal || (e.literal === p.literal && p.files.every((f) => f.rank === 0))),
        );
        if (!overridden) return false;
      }
    }
    return true;
  }
}

// --- users --------------------------------------------------------------------------------------

/** A profile on the computer, as user selection sees it. */
export interface ProfileCandidate {
  sid: string;
  /** DOMAIN\name (the computer name as domain for a local account). */
  account: string;
  /** The profile folder's name (Default, Public …). */
  folderName: string;
  kind: 'local' | 'domain';
  /** NTUSER.DAT's modification time, ms. */
  ntuserModifiedMs?: number;
}

export interface UserSelection {
  include: string[];
  exclude: string[];
  loggedOnWithinDays: number | null;
}

const SYSTEM_SIDS = new Set(['S-1-5-18', 'S-1-5-19', 'S-1-5-20']);
const SYSTEM_FOLDERS = new Set(['default', 'default user', 'public', 'all users', 'defaultapppool']);

/** A profile never captured as a user (§2.2): system SIDs, Default, Public, and a SID that is not an account's. */
export function isSystemProfile(p: Pick<ProfileCandidate, 'sid' | 'folderName'>): boolean {
  return SYSTEM_SIDS.has(p.sid.toUpperCase()) || SYSTEM_FOLDERS.has(p.folderName.toLowerCase()) || !/^S-1-5-21-/i.test(p.sid);
}

/** `DOMAIN\user` with `*`/`?` wildcards, case-insensitive; `%computername%` is the computer's name; a bare name means any domain [I]. */
export function accountMatches(pattern: string, account: string, computerName: string): boolean {
  let p = pattern.trim().replace(/%computername%/gi, computerName);
  if (!p.includes('\\')) p = `*\\${p}`;
  return globRegExp(p).test(account.toLowerCase());
}

/**
 * The profiles a capture takes (§2.2, USMT's /ui > /uel > /ue [D]): included when a pattern of
 * `include` matches; otherwise, with `loggedOnWithinDays`, iff NTUSER.DAT changed inside the window
 * (even when excluded); otherwise unless `exclude` matches. System profiles never. `/uel` offline is
 * refused before this is called (validateOptions).
 */
export function selectUsers<P extends ProfileCandidate>(
  profiles: P[],
  sel: UserSelection,
  context: { computerName: string; nowMs: number },
): Array<{ profile: P; selected: boolean; reason: string }> {
  return profiles.map((profile) => {
    if (isSystemProfile(profile)) return { profile, selected: false, reason: 'a system profile (never captured as a user)' };
    const inc = sel.include.find((p) => accountMatches(p, profile.account, context.computerName));
    if (inc) return { profile, selected: true, reason: `included by ${inc}` };
    if (sel.loggedOnWithinDays !== null) {
      const windowMs = Math.max(sel.loggedOnWithinDays, 1) * 86_400_000; // [I] 0 ("logged on now"): within the last day
      const recent = profile.ntuserModifiedMs !== undefined && context.nowMs - profile.ntuserModifiedMs <= windowMs;
      return {
        profile,
        selected: recent,
        reason: recent ? `logged on within ${sel.loggedOnWithinDays} days` : `not logged on within ${sel.loggedOnWithinDays} days`,
      };
    }
    const exc = sel.exclude.find((p) => accountMatches(p, profile.account, context.computerName));
    if (exc) return { profile, selected: false, reason: `excluded by ${exc}` };
    return { profile, selected: true, reason: 'all users are captured unless excluded' };
  });
}

// --- USMT command-line options (OSDMigrateAdditional*Options) ------------------------------------

export interface UsmtOptions {
  ui: string[];
  ue: string[];
  /** /uel:<days>, /uel:<YYYY/MM/DD> (as days before `now`) or /uel:0. */
  uel: number | null;
  localOnly?: boolean;
  continueOnError?: boolean;
  verbose?: number;
  efs?: 'skip' | 'abort';
  md: Array<{ from: string; to: string }>;
  mu: Array<{ from: string; to: string }>;
  lac?: { password?: string };
  lae?: boolean;
  hardlink?: boolean;
  nocompress?: boolean;
  ignored: string[];
}

/** Splits a command line as cmd.exe would for these options (double quotes group). */
function tokens(text: string): string[] {
  const out: string[] = [];
  const re = /(?:"[^"]*"|[^\s"]+)+/g;
  for (const m of text.matchAll(re)) out.push(m[0].replace(/"/g, ''));
  return out;
}

/** The options we honour from OSDMigrateAdditionalCaptureOptions/RestoreOptions (§2.1); others are listed as ignored. */
export function parseUsmtOptions(text: string | undefined, nowMs: number = Date.now()): UsmtOptions {
  const o: UsmtOptions = { ui: [], ue: [], uel: null, md: [], mu: [], ignored: [] };
  for (const t of tokens(text ?? '')) {
    const m = /^[/-]([a-z]+)(?::(.*))?$/i.exec(t);
    if (!m) {
      o.ignored.push(t);
      continue;
    }
    const name = m[1].toLowerCase();
    const arg = m[2];
    if (name === 'ui' && arg) o.ui.push(arg);
    else if (name === 'ue' && arg) o.ue.push(arg);
    else if (name === 'uel' && arg !== undefined) {
      const date = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(arg);
      if (date) o.uel = Math.max(0, Math.ceil((nowMs - Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]))) / 86_400_000));
      else if (/^\d+$/.test(arg)) o.uel = Number(arg);
      else o.ignored.push(t);
    } else if (name === 'localonly') o.localOnly = true;
    else if (name === 'c') o.continueOnError = true;
    else if (name === 'v') o.verbose = Number(arg ?? '0') || 0;
    else if (name === 'efs' && (arg?.toLowerCase() === 'skip' || arg?.toLowerCase() === 'abort')) o.efs = arg.toLowerCase() as 'skip' | 'abort';
    else if ((name === 'md' || name === 'mu') && arg && arg.includes(':')) {
      const i = arg.indexOf(':');
      o[name].push({ from: arg.slice(0, i), to: arg.slice(i + 1) });
    } else if (name === 'lac') o.lac = { password: arg };
    else if (name === 'lae') o.lae = true;
    else if (name === 'hardlink') o.hardlink = true;
    else if (name === 'nocompress') o.nocompress = true;
    else o.ignored.push(t);
  }
  return o;
}

/** /md and /mu applied to an account (§1.5 [D]: first matching /md wins; unknown domains unchanged). */
export function remapAccount(account: string, o: Pick<UsmtOptions, 'md' | 'mu'>): string {
  const i = account.indexOf('\\');
  let domain = i >= 0 ? account.slice(0, i) : '';
  let user = i >= 0 ? account.slice(i + 1) : account;
  const mu = o.mu.find((r) => {
    const from = r.from.includes('\\') ? r.from : `${domain}\\${r.from}`;
    return from.toLowerCase() === `${domain}\\${user}`.toLowerCase();
  });
  if (mu) {
    const j = mu.to.indexOf('\\');
    if (j >= 0) [domain, user] = [mu.to.slice(0, j), mu.to.slice(j + 1)];
    else user = mu.to;
    return `${domain}\\${user}`;
  }
  const md = o.md.find((r) => r.from.toLowerCase() === domain.toLowerCase());
  if (md) domain = md.to;
  return `${domain}\\${user}`;
}

// --- token values --------------------------------------------------------------------------------

/**
 * A user's token folders: the `User Shell Folders` values of the user's hive when given (so
 * redirected folders are honoured; `%USERPROFILE%` expanded), else the defaults under the profile.
 */
export function userFolders(profilePath: string, shellFolders?: Record<string, string>): Record<UserToken, string> {
  const root = profilePath.replace(/[\\/]+$/, '');
  const lookup = new Map(Object.entries(shellFolders ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const out = {} as Record<UserToken, string>;
  for (const t of USER_TOKENS) {
    const fromHive = (SHELL_FOLDER_VALUES[t] ?? []).map((n) => lookup.get(n.toLowerCase())).find((v) => v && v.trim());
    const expanded = fromHive?.replace(/%USERPROFILE%/gi, root).trim();
    out[t] = expanded && /^[A-Za-z]:\\/.test(expanded) ? expanded : DEFAULT_USER_FOLDERS[t] ? `${root}\\${DEFAULT_USER_FOLDERS[t]}` : root;
  }
  return out;
}

/** The system tokens of a Windows installed on `systemDrive` ("C:"). */
export function systemTokens(
  systemDrive: string,
  options: { stateStore?: string; x86Folder?: boolean; profilesDirectory?: string; fixedDrives?: string[] } = {},
): Partial<Record<SystemToken, string[]>> {
  const d = systemDrive.replace(/[\\/]+$/, '').toUpperCase();
  const profiles = options.profilesDirectory ?? `${d}\\Users`;
  const out: Partial<Record<SystemToken, string[]>> = {
    PublicDocuments: [`${profiles}\\Public\\Documents`],
    PublicDesktop: [`${profiles}\\Public\\Desktop`],
    PublicPictures: [`${profiles}\\Public\\Pictures`],
    PublicMusic: [`${profiles}\\Public\\Music`],
    PublicVideos: [`${profiles}\\Public\\Videos`],
    PublicDownloads: [`${profiles}\\Public\\Downloads`],
    Windows: [`${d}\\Windows`],
    ProgramFiles: [`${d}\\Program Files`],
    ProgramData: [`${d}\\ProgramData`],
    ProfilesDirectory: [profiles],
    SystemDrive: [`${d}\\`],
    FixedDriveRoots: (options.fixedDrives ?? [d]).map((x) => `${x.replace(/[\\/]+$/, '').toUpperCase()}\\`),
  };
  if (options.x86Folder !== false) out.ProgramFilesX86 = [`${d}\\Program Files (x86)`];
  if (options.stateStore) out.StateStore = [options.stateStore];
  return out;
}
