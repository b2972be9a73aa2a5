/**
 * Which step variables name content by PackageID: the properties of Apply Operating System,
 * Setup Windows and ConfigMgr, the USMT steps, Apply Driver Package, Install Package, Run Task
 * Sequence … and the variables that carry PackageIDs. One rule for lint's site check and for the
 * site's reference list, so they never disagree.
 */
import type { StepVariable } from './model/task-sequence.js';

const PACKAGE_PROPERTIES =
  /^(ImagePackageID|InstallPackageID|ConfigFilePackage|DriverPackageID|ClientPackageID|ClientPreProductionPackageID|UsmtPackageID|UsmtRestorePackageID|PackageID|TsPackageID)$/i;
const PACKAGE_VARIABLES = /^(_?SMSClient(PreProduction)?PackageID|OSDSubTasksequencePackageID|OSDPackage\d+PackageId)$/i;

export function namesPackage(variable: Pick<StepVariable, 'name' | 'property'>): boolean {
  return PACKAGE_PROPERTIES.test(variable.property ?? variable.name) || PACKAGE_VARIABLES.test(variable.name);
}
