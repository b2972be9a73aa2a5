/**
 * Site hardening (issue 10). Distribution work records who copies it and when that process last
 * said it was still at it: a row whose owner died (a server killed mid-copy) is taken over
 * promptly instead of waiting for a fixed time-out (src/site/distribution/distribution.ts).
 */
export const sql = `
-- The server process copying the row (<host>.<pid>.<random>), and its heartbeat while it copies.
ALTER TABLE distribution_status ADD COLUMN claimed_by text;
ALTER TABLE distribution_status ADD COLUMN heartbeat_at timestamptz;
CREATE INDEX distribution_status_in_progress ON distribution_status (heartbeat_at) WHERE state = 'in-progress';
`;
