/**
 * A site manifest: the content a ConfigMgr site knows (boot images, OS image packages with their
 * images, client/USMT/driver/other packages, applications, task sequences), as a JSON file. Lint
 * uses it to check that content references resolve; the wizard uses it to fill in its pickers.
 * The site server of a later issue produces the same shape from its database. See docs/site-manifest.md.
 */
import { z } from 'zod';
import { InputError } from './input-error.js';
import { readInputText } from './read-input.js';

const architecture = z.enum(['x86', 'x64', 'arm64']);

const image = z.object({
  index: z.number().int().min(1),
  name: z.string(),
  description: z.string().optional(),
  architecture: architecture.optional(),
  edition: z.string().optional(),
  version: z.string().optional(),
  languages: z.array(z.string()).optional(),
});

const pkg = z.object({
  id: z.string().regex(/^[A-Za-z0-9]{3}[0-9A-Fa-f]{5}$/, 'a PackageID is a 3-character site code and 5 hex digits, e.g. PS100012'),
  name: z.string(),
  version: z.string().optional(),
});

export const siteManifestSchema = z.object({
  site: z.string().optional(),
  bootImages: z.array(pkg.extend({ architecture, pxeEnabled: z.boolean().optional() })).default([]),
  imagePackages: z.array(pkg.extend({ images: z.array(image).min(1) })).default([]),
  upgradePackages: z.array(pkg).default([]),
  clientPackages: z.array(pkg).default([]),
  usmtPackages: z.array(pkg).default([]),
  driverPackages: z.array(pkg).default([]),
  packages: z.array(pkg.extend({ programs: z.array(z.string()).optional() })).default([]),
  taskSequences: z.array(pkg).default([]),
  applications: z
    .array(
      z.object({
        /** The app model name (`ScopeId_…/Application_…`) that task sequences reference. */
        modelName: z.string(),
        name: z.string(),
        /** Allowed to install from a task sequence ("Allow this application to be installed from the Install Application task sequence action"). */
        allowTaskSequenceInstall: z.boolean().default(true),
      }),
    )
    .default([]),
});

export type SiteManifest = z.infer<typeof siteManifestSchema>;

export function parseSiteManifest(text: string, input: string): SiteManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new InputError({ input, rule: `malformed JSON: ${(e as Error).message}` });
  }
  const parsed = siteManifestSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`);
    throw new InputError({ input, rule: `not a valid site manifest:\n  ${issues.join('\n  ')}`, hint: 'see docs/site-manifest.md' });
  }
  return parsed.data;
}

export function loadSiteManifest(path: string): SiteManifest {
  return parseSiteManifest(readInputText(path, 'site manifest'), path);
}

/** Every PackageID the site knows, upper-cased, with what kind of object it is. */
export function knownPackageIds(m: SiteManifest): Map<string, string> {
  const out = new Map<string, string>();
  const add = (list: Array<{ id: string }>, kind: string): void => {
    for (const p of list) out.set(p.id.toUpperCase(), kind);
  };
  add(m.bootImages, 'boot image');
  add(m.imagePackages, 'OS image package');
  add(m.upgradePackages, 'OS upgrade package');
  add(m.clientPackages, 'client package');
  add(m.usmtPackages, 'USMT package');
  add(m.driverPackages, 'driver package');
  add(m.packages, 'package');
  add(m.taskSequences, 'task sequence');
  return out;
}
