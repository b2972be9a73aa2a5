/**
 * Which task sequence values are secrets. ConfigMgr never exports them (task-sequence-format §1);
 * we never print them. The list covers every password property of the step catalog plus the
 * naming convention admins use for their own variables.
 */
const SECRET_NAMES = new Set(
  [
    'OSDLocalAdminPassword',
    'OSDJoinPassword',
    'OSDBitLockerPIN',
    'SMSTSRunCommandLineUserPassword',
    'SMSTSRunPowerShellUserPassword',
    'OSDMigrateLocalAccountPassword',
    'OSDCaptureAccountPassword',
    'SMSConnectNetworkFolderPassword',
    'AdminPassword',
    'DomainAdminPassword',
    'UserPassword',
  ].map((n) => n.toLowerCase()),
);

export const MASK = '********';

export function isSecretVariable(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_NAMES.has(lower) || /password|passwd|secret|(^|_)pin$/i.test(name);
}

/** Empty stays empty (so "no password given" is visible); anything else is masked. */
export function maskSecret(value: string): string {
  return value === '' ? '' : MASK;
}
