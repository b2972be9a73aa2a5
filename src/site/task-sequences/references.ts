/**
 * What a revision references (osd-features §2.10 `References[]`, §4.1 "Deploy is greyed out"):
 * the boot image, every PackageID a step property names (Apply Operating System's image, the
 * client package, USMT, driver packages, packages, Download Package Content lists, child task
 * sequences) and application model names — the same properties lint's site check follows
 * (sequence/lint/lint.ts checkContent), plus the `<referenceList>`. Values holding a %variable%
 * are resolved at run time and cannot be listed.
 */
import type { TaskSequence } from '../../sequence/model/task-sequence.js';
import { variableValue } from '../../sequence/model/options.js';
import { walkItems } from '../../sequence/model/walk.js';
import { namesPackage } from '../../sequence/content-references.js';

export type ReferenceKind = 'package' | 'application';

export interface SequenceReference {
  refId: string;
  refKind: ReferenceKind;
}

const INSTALL_APPLICATION = 'sms_tasksequence_installapplicationaction';

export function sequenceReferences(ts: TaskSequence, bootImageId: string | null | undefined): SequenceReference[] {
  const out = new Map<string, SequenceReference>();
  const addPackage = (raw: string): void => {
    const id = raw.trim();
    if (id === '' || id.includes('%')) return;
    // A PackageID is case-insensitive in ConfigMgr; one row per package.
    out.set(`p:${id.toUpperCase()}`, { refId: id.toUpperCase(), refKind: 'package' });
  };
  const addApplication = (raw: string): void => {
    const name = raw.trim();
    if (name === '' || name.includes('%')) return;
    // Model names are case-sensitive (§2.7): kept as written.
    out.set(`a:${name}`, { refId: name, refKind: 'application' });
  };
  if (bootImageId) addPackage(bootImageId);
  for (const r of ts.references ?? []) {
    if (r.package) addPackage(r.package);
    if (r.application) addApplication(r.application);
  }
  for (const visit of walkItems(ts)) {
    if (visit.item.kind !== 'step') continue;
    const step = visit.item;
    for (const v of step.variables ?? []) {
      if (namesPackage(v)) addPackage(v.value);
      if (/^OSDDownloadDownloadPackages$/i.test(v.name)) v.value.split(',').forEach(addPackage);
    }
    if ((step.type ?? '').toLowerCase() === INSTALL_APPLICATION) {
      (variableValue(step, 'ApplicationName') ?? '').split(',').forEach(addApplication);
    }
  }
  return [...out.values()].sort((a, b) => (a.refKind === b.refKind ? (a.refId < b.refId ? -1 : 1) : a.refKind === 'package' ? -1 : 1));
}

const APPLY_OS = 'sms_tasksequence_applyoperatingsystemaction';

/** An OS deployment task sequence (§4.5): it has a boot image or an Apply Operating System Image step. */
export function isOsDeployment(ts: TaskSequence, bootImageId: string | null | undefined): boolean {
  if (bootImageId) return true;
  for (const visit of walkItems(ts)) {
    if (visit.item.kind === 'step' && (visit.item.type ?? '').toLowerCase() === APPLY_OS) return true;
  }
  return false;
}
