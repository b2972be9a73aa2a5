/**
 * The Properties tab's typed forms: for each step type the wizard generates (and a few more), its
 * fields as ConfigMgr's task sequence editor shows them — label, kind of control, choices, limits —
 * each bound to the step variable it edits (task-sequence-format §8). Types not listed here get the
 * generic property grid, driven by the catalog's property definitions (GET /step-types).
 */

export type FieldKind = 'text' | 'textarea' | 'number' | 'checkbox' | 'choice' | 'password';

export interface FormField {
  variable: string;
  label: string;
  kind: FieldKind;
  /** choice: [value written, label shown]. */
  choices?: Array<[string, string]>;
  min?: number;
  max?: number;
  maxLength?: number;
  required?: boolean;
  /** A pattern the value must match, and the rule in words when it does not. */
  pattern?: [RegExp, string];
  hint?: string;
  /** Shown only when another variable has one of these values (e.g. the domain fields for a domain join). */
  when?: { variable: string; values: string[] };
}

const bool = (variable: string, label: string, hint?: string): FormField => ({ variable, label, kind: 'checkbox', ...(hint ? { hint } : {}) });
const text = (variable: string, label: string, extra: Partial<FormField> = {}): FormField => ({ variable, label, kind: 'text', ...extra });
const packageId: [RegExp, string] = [/^$|^[A-Za-z0-9]{3}[0-9A-Fa-f]{5}$/, 'a package ID is a 3-character site code and 5 hex digits, e.g. PS100014'];
const guid: [RegExp, string] = [
  /^$|^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$/,
  'a GUID, e.g. {90160000-0011-0000-0000-0000000FF1CE}',
];

export const STEP_FORMS: Record<string, FormField[]> = {
  SMS_TaskSequence_RebootAction: [
    {
      variable: 'SMSRebootTarget',
      label: 'Specify what to run after restart',
      kind: 'choice',
      choices: [
        ['WinPE', 'The boot image assigned to this task sequence'],
        ['HD', 'The currently installed default operating system'],
      ],
    },
    { variable: 'SMSRebootMessage', label: 'Notification message', kind: 'textarea', maxLength: 512 },
    { variable: 'SMSRebootTimeout', label: 'Message display time-out (seconds)', kind: 'number', min: 0, max: 999999, hint: '0: the user is not notified' },
  ],
  SMS_TaskSequence_PartitionDiskAction: [
    { variable: 'OSDDiskIndex', label: 'Disk number', kind: 'number', min: 0, max: 99 },
    {
      variable: 'OSDPartitionStyle',
      label: 'Disk type',
      kind: 'choice',
      choices: [
        ['MBR', 'Standard (MBR)'],
        ['GPT', 'GPT'],
      ],
    },
    bool('OSDGPTBootDisk', 'Create an EFI partition (GPT boot disk)'),
    text('OSDDiskIndexVariable', 'Variable holding the disk number', { hint: 'instead of the disk number' }),
  ],
  SMS_TaskSequence_ApplyOperatingSystemAction: [
    text('ImagePackageID', 'Image package', { required: true, pattern: packageId }),
    { variable: 'OSDImageIndex', label: 'Image index', kind: 'number', min: 1, max: 999, required: true },
    text('ConfigFilePackage', 'Unattended or Sysprep answer file package', { pattern: packageId }),
    text('OSDConfigFileName', 'Answer file name'),
    text('DestinationVariable', 'Destination: variable name', { hint: 'empty: the next available partition' }),
    bool('RunFromNet', 'Access content directly from the distribution point'),
  ],
  SMS_TaskSequence_ApplyWindowsSettingsAction: [
    text('OSDRegisteredUserName', 'User name', { required: true }),
    text('OSDRegisteredOrgName', 'Organization name', { required: true }),
    text('OSDProductKey', 'Product key', { pattern: [/^$|^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){4}$/, 'a product key is five groups of five characters'] }),
    {
      variable: 'OSDServerLicenseMode',
      label: 'Server licensing',
      kind: 'choice',
      choices: [
        ['', 'Do not specify'],
        ['PerSeat', 'Per seat'],
        ['PerServer', 'Per server'],
      ],
    },
    {
      variable: 'OSDServerLicenseConnectionLimit',
      label: 'Maximum connections',
      kind: 'number',
      min: 5,
      max: 9999,
      when: { variable: 'OSDServerLicenseMode', values: ['PerServer'] },
    },
    bool('OSDRandomAdminPassword', 'Randomly generate the local administrator password and disable the account'),
    {
      variable: 'OSDLocalAdminPassword',
      label: 'Local administrator password',
      kind: 'password',
      when: { variable: 'OSDRandomAdminPassword', values: ['false'] },
    },
    text('OSDTimeZone', 'Time zone', { hint: 'e.g. W. Europe Standard Time' }),
    text('OSDComputerName', 'Computer name'),
    text('OSDWindowsSettingsInputLocale', 'Input locale'),
    text('OSDWindowsSettingsSystemLocale', 'System locale'),
    text('OSDWindowsSettingsUserLocale', 'User locale'),
    text('OSDWindowsSettingsUILanguage', 'UI language'),
  ],
  SMS_TaskSequence_ApplyNetworkSettingsAction: [
    {
      variable: 'OSDNetworkJoinType',
      label: 'Join',
      kind: 'choice',
      choices: [
        ['1', 'Join a workgroup'],
        ['0', 'Join a domain'],
      ],
    },
    text('OSDWorkgroupName', 'Workgroup', { maxLength: 32, when: { variable: 'OSDNetworkJoinType', values: ['1'] } }),
    text('OSDDomainName', 'Domain', { when: { variable: 'OSDNetworkJoinType', values: ['0'] } }),
    text('OSDDomainOUName', 'Domain OU', {
      pattern: [/^$|^LDAP:\/\/\S/i, 'an OU is written as LDAP://OU=…,DC=…'],
      when: { variable: 'OSDNetworkJoinType', values: ['0'] },
    }),
    text('OSDJoinAccount', 'Account', { when: { variable: 'OSDNetworkJoinType', values: ['0'] } }),
    { variable: 'OSDJoinPassword', label: 'Password', kind: 'password', when: { variable: 'OSDNetworkJoinType', values: ['0'] } },
    text('OSDDNSDomain', 'Primary DNS suffix'),
  ],
  SMS_TaskSequence_AutoApplyAction: [
    {
      variable: 'OSDAutoApplyDriverBestMatch',
      label: 'Drivers to install',
      kind: 'choice',
      choices: [
        ['true', 'Install only the best matched compatible drivers'],
        ['false', 'Install all compatible drivers'],
      ],
    },
    text('OSDAutoApplyDriverCategoryList', 'Limit driver matching to these categories', { hint: 'comma-separated category IDs; empty: all categories' }),
  ],
  SMS_TaskSequence_SetupWindowsAndSMSAction: [
    text('_SMSClientPackageID', 'Client package', { required: true, pattern: packageId }),
    text('_SMSClientPreProductionPackageID', 'Pre-production client package', { pattern: packageId }),
    {
      variable: 'SMSClientInstallProperties',
      label: 'Installation properties',
      kind: 'textarea',
      pattern: [/^(?![\s\S]*\bSMSSITECODE\s*=)/i, 'SMSSITECODE is set by the site; leave it out'],
    },
  ],
  SMS_TaskSequence_InstallUpdateAction: [
    {
      variable: 'SMSInstallUpdateTarget',
      label: 'Required for installation',
      kind: 'choice',
      choices: [
        ['Mandatory', 'Required for installation - Mandatory software updates only'],
        ['All', 'Available for installation - All software updates'],
      ],
    },
    bool('SMSTSSoftwareUpdateScanUseCache', 'Evaluate software updates from cached scan results'),
  ],
  SMS_TaskSequence_InstallApplicationAction: [
    text('ApplicationName', 'Applications (in order)', { hint: 'comma-separated application names' }),
    text('BaseVariableName', 'Install applications according to dynamic variable list (base name)'),
    bool('ContinueOnInstallError', 'If an application installation fails, continue installing other applications in the list'),
    bool('OSDAppClearCache', 'Clear application content from cache after installing'),
  ],
  SMS_TaskSequence_EnableBitLockerAction: [
    text('OSDBitLockerTargetDrive', 'Drive to encrypt', { hint: 'empty: the current operating system drive' }),
    {
      variable: 'OSDBitLockerMode',
      label: 'Key management',
      kind: 'choice',
      choices: [
        ['TPM', 'TPM only'],
        ['Key', 'Startup key on USB only'],
        ['TPMAndKey', 'TPM and startup key on USB'],
        ['TPMAndPIN', 'TPM and PIN'],
      ],
    },
    {
      variable: 'OSDBitLockerCreateRecoveryPassword',
      label: 'Recovery password',
      kind: 'choice',
      choices: [
        ['AD', 'In Active Directory'],
        ['None', 'Do not create a recovery key'],
      ],
    },
    bool('OSDBitLockerWaitForEncryption', 'Wait for BitLocker to complete the drive encryption process'),
    bool('OSDBitLockerSkipWhenNoValidTPM', 'Skip this step for computers that do not have a TPM or when TPM is not enabled'),
  ],
  SMS_TaskSequence_DisableBitLockerAction: [
    text('OSDBitLockerTargetDrive', 'Drive', { hint: 'empty: the current operating system drive' }),
    { variable: 'OSDBitLockerRebootCount', label: 'Resume protection after this many restarts', kind: 'number', min: 1, max: 15 },
  ],
  SMS_TaskSequence_OfflineEnableBitLockerAction: [
    text('OSDBitLockerDestinationVariable', 'Variable holding the drive', { hint: 'e.g. OSDisk' }),
    bool('OSDBitLockerSkipWhenTPMInvalid', 'Skip this step for computers that do not have a TPM or when TPM is not enabled'),
  ],
  SMS_TaskSequence_CaptureWindowsSettingsAction: [
    bool('OSDMigrateComputerName', 'Migrate computer name'),
    bool('OSDMigrateRegistrationInfo', 'Migrate registered user and organization names'),
    bool('OSDMigrateTimeZone', 'Migrate time zone'),
  ],
  SMS_TaskSequence_CaptureNetworkSettingsAction: [
    bool('OSDMigrateNetworkMembership', 'Migrate domain and workgroup membership'),
    bool('OSDMigrateAdapterSettings', 'Migrate network adapter configuration'),
  ],
  SMS_TaskSequence_RequestStateStoreAction: [
    {
      variable: 'OSDStateRequestType',
      label: 'Request',
      kind: 'choice',
      choices: [
        ['capture', 'Capture state from the computer'],
        ['restore', 'Restore state from another computer'],
      ],
    },
    { variable: 'OSDStateSMPRetryCount', label: 'Number of retries', kind: 'number', min: 0, max: 30 },
    { variable: 'OSDStateSMPRetryTime', label: 'Retry delay (in seconds)', kind: 'number', min: 0, max: 600 },
    bool('OSDStateFallbackToNAA', 'If computer account fails to connect to state store, use the Network Access account'),
  ],
  SMS_TaskSequence_ReleaseStateStoreAction: [],
  SMS_TaskSequence_CaptureUserStateAction: [
    text('_OSDMigrateUsmtPackageID', 'User state migration tool package', { required: true, pattern: packageId }),
    {
      variable: 'OSDMigrateMode',
      label: 'Capture',
      kind: 'choice',
      choices: [
        ['Simple', 'Capture all user profiles by using standard options'],
        ['Advanced', 'Customize how user profiles are captured'],
      ],
    },
    text('OSDMigrateConfigFiles', 'Configuration files', { when: { variable: 'OSDMigrateMode', values: ['Advanced'] } }),
    bool('OSDMigrateEnableVerboseLogging', 'Enable verbose logging'),
    bool('OSDMigrateSkipEncryptedFiles', 'Skip files that use the Encrypting File System (EFS)'),
    bool('OSDMigrateContinueOnLockedFiles', 'Continue if some files cannot be captured'),
    bool('_OSDMigrateUseHardlinks', 'Capture locally by using links instead of by copying files'),
    bool('_OSDMigrateOfflineUserState', 'Capture in off-line mode (Windows PE only)'),
    {
      variable: 'OSDMigrateFileAccess',
      label: 'Capture by using Volume Copy Shadow Services (VSS)',
      kind: 'choice',
      choices: [
        ['Normal', 'No'],
        ['VSS', 'Yes'],
      ],
    },
  ],
  SMS_TaskSequence_RestoreUserStateAction: [
    text('_OSDMigrateUsmtRestorePackageID', 'User state migration tool package', { required: true, pattern: packageId }),
    {
      variable: 'OSDMigrateMode',
      label: 'Restore',
      kind: 'choice',
      choices: [
        ['Simple', 'Restore all captured user profiles with standard options'],
        ['Advanced', 'Customize how user profiles are restored'],
      ],
    },
    bool('OSDMigrateLocalAccounts', 'Restore local computer user profiles'),
    {
      variable: 'OSDMigrateLocalAccountPassword',
      label: 'Password for restored local accounts',
      kind: 'password',
      when: { variable: 'OSDMigrateLocalAccounts', values: ['true'] },
    },
    bool('OSDMigrateContinueOnRestore', 'Continue if some files cannot be restored'),
    bool('OSDMigrateEnableVerboseLogging', 'Enable verbose logging'),
  ],
  SMS_TaskSequence_SetVariableAction: [
    text('VariableName', 'Task Sequence Variable', {
      required: true,
      maxLength: 256,
      pattern: [/^[A-Za-z][A-Za-z0-9_-]*$/, 'a variable name starts with a letter and has letters, digits, _ and - only (names starting with _ are read-only)'],
    }),
    { variable: 'VariableValue', label: 'Value', kind: 'textarea', maxLength: 4001 },
    bool('DoNotShowVariableValue', 'Do not display this value'),
  ],
  SMS_TaskSequence_RunCommandLineAction: [
    { variable: 'CommandLine', label: 'Command line', kind: 'textarea', required: true, maxLength: 32000 },
    text('WorkingDirectory', 'Start in', { maxLength: 255 }),
    text('PackageID', 'Package', { pattern: packageId }),
    bool('SMSTSDisableWow64Redirection', 'Disable 64-bit file system redirection'),
    text('SMSTSRunCommandLineOutputVariableName', 'Output to task sequence variable'),
    bool('_SMSTSRunCommandLineAsUser', 'Run this step as the following account'),
    text('SMSTSRunCommandLineUserName', 'Account', { when: { variable: '_SMSTSRunCommandLineAsUser', values: ['true'] } }),
    { variable: 'SMSTSRunCommandLineUserPassword', label: 'Password', kind: 'password', when: { variable: '_SMSTSRunCommandLineAsUser', values: ['true'] } },
  ],
};

/** Installed software condition GUIDs, shared with the condition editor. */
export const GUID_RULE = guid;

/** The value a field shows: the step's variable, else the catalog default, else empty. */
export function fieldValue(value: string | undefined, fallback: string | null | undefined): string {
  return value ?? fallback ?? '';
}

/** The rule a field's value breaks, in ConfigMgr's words; undefined when it is fine. */
export function fieldError(field: FormField, value: string): string | undefined {
  if (field.kind === 'checkbox' || field.kind === 'choice' || field.kind === 'password') return undefined;
  if (field.required && value.trim() === '') return `${field.label} is required`;
  if (field.maxLength !== undefined && value.length > field.maxLength) return `${field.label} is ${value.length} characters; at most ${field.maxLength}`;
  if (field.kind === 'number' && value.trim() !== '') {
    if (!/^-?\d+$/.test(value.trim())) return `${field.label} must be a whole number`;
    const n = Number(value);
    if (field.min !== undefined && n < field.min) return `${field.label} must be at least ${field.min}`;
    if (field.max !== undefined && n > field.max) return `${field.label} must be at most ${field.max}`;
  }
  if (field.pattern && !field.pattern[0].test(value)) return field.pattern[1];
  return undefined;
}
