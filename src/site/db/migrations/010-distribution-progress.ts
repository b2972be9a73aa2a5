/**
 * How far a copy to a distribution point has got (issue 12: `osd distribute --wait` shows bytes,
 * not only copies done). The server copying a row writes the bytes it has pushed about once a
 * second; `copy_bytes` is what this copy has to push (the blobs the DP lacks), known once the DP
 * has said which it lacks.
 */
export const sql = `
ALTER TABLE distribution_status ADD COLUMN copied_bytes bigint NOT NULL DEFAULT 0;
ALTER TABLE distribution_status ADD COLUMN copy_bytes bigint;
`;
