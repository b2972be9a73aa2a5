/**
 * Issue 13, Install Application and Install Software Updates (osd-features §2.7, §2.8;
 * docs/software-updates.md):
 *
 * - application dependencies (a deployment type's "dependencies": installed first by the step),
 *   one row per edge, in the order the administrator listed them; a dependency cannot be deleted
 *   while an application depends on it. Deployment types keep living in `applications.deployment_types`
 *   (jsonb): their success and restart codes and the detection kinds (file, folder, registry,
 *   msi-product-code, script) are fields of that JSON, checked by the service.
 * - software update metadata for applicability (OS build range, architectures; the products were
 *   already there), the updates an update supersedes, its payload files (name in the deployment
 *   package, size, SHA-256) and whether installing it asks for a restart.
 */
export const sql = `
CREATE TABLE application_dependencies (
  ci_id bigint NOT NULL REFERENCES applications(ci_id) ON DELETE CASCADE,
  depends_on bigint NOT NULL REFERENCES applications(ci_id),
  position integer NOT NULL,
  PRIMARY KEY (ci_id, depends_on)
);
CREATE INDEX application_dependencies_depends_on ON application_dependencies (depends_on);

ALTER TABLE software_updates ADD COLUMN applicability jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE software_updates ADD COLUMN supersedes jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE software_updates ADD COLUMN files jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE software_updates ADD COLUMN restart_required boolean NOT NULL DEFAULT false;
`;
