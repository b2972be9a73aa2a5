/**
 * Where start-up variables come from and which wins (engine-semantics §2): collection variables
 * of every collection the device is in — by the collection's variable precedence, 1 lowest to 9
 * highest, as the console's collection properties describe it (§12.2, our reading) — then device
 * variables; from media, the media's variables replace both. The result is the list the engine
 * applies in order, later entries winning.
 */
import type { InitialVariable } from './engine.js';

export interface CollectionVariables {
  collection: string;
  /** CollectionVariablePrecedence: 1 (lowest, the default) … 9 (highest). */
  precedence?: number;
  variables: InitialVariable[];
}

export interface VariableSources {
  collections?: CollectionVariables[];
  device?: InitialVariable[];
  /** Media and prestart-command variables: used instead of collection and device variables. */
  media?: InitialVariable[];
}

export function startupVariables(sources: VariableSources): InitialVariable[] {
  if (sources.media) return [...sources.media];
  const collections = [...(sources.collections ?? [])]
    .map((c, i) => ({ c, i }))
    // Lower precedence first so higher precedence is applied later and wins; ties keep their order.
    .sort((a, b) => (a.c.precedence ?? 1) - (b.c.precedence ?? 1) || a.i - b.i)
    .flatMap(({ c }) => c.variables);
  return [...collections, ...(sources.device ?? [])];
}
