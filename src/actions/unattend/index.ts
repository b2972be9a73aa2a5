/** The answer file written by Apply OS, Apply Windows Settings and Apply Network Settings (spec unattend.md). */
export { UnattendDocument, type AdminAccountState, type CreateOptions, type InstallKind, type ParseOptions } from './document.js';
export { UnattendError, UNATTEND_ERRORS } from './errors.js';
export { encodePassword, decodePassword, generateRandomPassword, type PasswordElement } from './password.js';
export { buildDriversXml, addStagedDriversCommand, appendDevicePath, stagedDriversCommand, DEFAULT_DEVICE_PATH } from './drivers.js';
export { computerNameProblem, type UnattendFinding } from './lint.js';
export { normalizeMac, prefixLength, type NetworkAdapter } from './network-settings.js';
export { archFromWim, PASSES, type UnattendArch, type UnattendPass } from './schema.js';
export { LANGUAGE_SETTINGS, type VariableLookup, type WindowsSettingsOptions } from './windows-settings.js';
