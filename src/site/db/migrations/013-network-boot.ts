/**
 * Issue 14, network boot (docs/network-boot.md):
 *
 * - a distribution point's `client_url`: the address computers use to fetch content, when it
 *   differs from the one the site pushes to (ConfigMgr's DP FQDN for clients vs the site's
 *   connection; in the VM lab the guest reaches the host's loopback as 10.0.2.2). NULL = `url`.
 *
 * Boot images of kind "boot environment" (a Linux kernel + initramfs carrying the agent) keep their
 * facts in `packages.properties` (jsonb) like WinPE boot images; the network-boot settings (the
 * Available prompt's time-out) are a `site_settings` row. Neither needs a column.
 */
export const sql = `
ALTER TABLE distribution_points ADD COLUMN client_url text;
`;
