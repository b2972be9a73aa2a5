/**
 * The management point's input limits (docs/management-point.md, docs/site.md § Security): each
 * is checked before the work it bounds, with a 400 naming the field and the limit. Computers send
 * these; they are generous for real hardware (a computer has a few NICs).
 */

/** Bytes of a registration request (it needs no credential, so its work is kept small). */
export const MAX_REGISTER_BODY_BYTES = 64 * 1024;

/** MAC addresses in one registration. */
export const MAX_REGISTER_MACS = 32;

/** Characters of one identifier as sent (a MAC or SMBIOS GUID in any accepted spelling; a computer name). */
export const MAX_IDENTIFIER_LENGTH = 64;

/** Characters of a machine attribute given for the content manifest (language, model). */
export const MAX_ATTRIBUTE_LENGTH = 256;

/** Days a device credential is valid [I]. */
export const DEVICE_CREDENTIAL_DAYS = 30;

/** Days a revoked or expired device credential is kept (so its 401 says why) before it is deleted. */
export const KEEP_ENDED_CREDENTIAL_DAYS = 7;

/** Characters of the registration password. */
export const MIN_REGISTRATION_PASSWORD_LENGTH = 8;
export const MAX_REGISTRATION_PASSWORD_LENGTH = 256;
