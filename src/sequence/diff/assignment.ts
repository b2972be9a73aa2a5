/**
 * Maximum-weight bipartite matching (Hungarian algorithm, O(n³)). Greedy pairing goes wrong when
 * an item has two equally good partners and only one choice leaves a good partner for a third
 * item (identical "Use Toolkit Package" steps in several groups); the optimum does not.
 */

/**
 * `weights[i][j] > 0` ⇒ row i may pair with column j, with that benefit; 0 ⇒ may not.
 * Returns the chosen [row, column] pairs, maximising the total weight.
 */
export function maxWeightMatching(weights: number[][]): Array<[number, number]> {
  const rows = weights.length;
  const cols = rows ? weights[0].length : 0;
  if (!rows || !cols) return [];
  const n = Math.max(rows, cols);
  // Minimise cost = −weight on a square matrix; padding and forbidden pairs cost 0 (= unpaired).
  const cost = (i: number, j: number): number => (i < rows && j < cols ? -weights[i][j] : 0);
  // e-maxx formulation, 1-based: u/v potentials, p[j] = row matched to column j.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1);
  const way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(n + 1).fill(Infinity);
    const used = new Uint8Array(n + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = cost(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  const out: Array<[number, number]> = [];
  for (let j = 1; j <= n; j++) {
    const i = p[j] - 1;
    if (i >= 0 && i < rows && j - 1 < cols && weights[i][j - 1] > 0) out.push([i, j - 1]);
  }
  return out.sort((x, y) => x[0] - y[0]);
}
