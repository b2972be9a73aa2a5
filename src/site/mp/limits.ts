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

/**
 * Milliseconds a server trusts what it read of a device credential (its device, expiry, revocation,
 * the device's approval) before reading it again: the management point checks a credential on every
 * request from memory (credentials.ts). A revocation, rotation, approval or refusal made on a server
 * takes effect there at once; on the other servers sharing the database within this long.
 */
export const DEVICE_CREDENTIAL_CACHE_MS = 5_000;

/** Device credentials a server keeps in memory at most (beyond it, the oldest is read again when used). */
export const MAX_CACHED_DEVICE_CREDENTIALS = 100_000;

/** Days a revoked or expired device credential is kept (so its 401 says why) before it is deleted. */
export const KEEP_ENDED_CREDENTIAL_DAYS = 7;

/** Characters of the registration password. */
export const MIN_REGISTRATION_PASSWORD_LENGTH = 8;
export const MAX_REGISTRATION_PASSWORD_LENGTH = 256;
