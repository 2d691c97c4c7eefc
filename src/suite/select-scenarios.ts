import { UserError } from '../core/errors.ts';
import type { Scenario } from '../core/scenario.ts';
import { loadScenario, scenarioIds } from '../engine/catalog.ts';

/** Which scenarios to run: by name (or path), every one, or by tag. */
export interface ScenarioSelection {
  names: string[];
  all?: boolean;
  tags?: string[];
}

/**
 * Resolves a selection to scenario definitions, in the order given (names)
 * or in catalog order (all, tags). Asking for nothing, or a tag no scenario
 * has, is a clear error.
 */
export async function selectScenarios(selection: ScenarioSelection): Promise<Scenario[]> {
  const tags = selection.tags ?? [];
  if (selection.names.length > 0 && (selection.all || tags.length > 0)) {
    throw new UserError('Give scenario names, or --all, or --tag, not several of them.', 'For example `pgdrill drill connection-loss slow-query`, `pgdrill drill --all` or `pgdrill drill --tag network`.');
  }
  if (selection.names.length > 0) return Promise.all(selection.names.map((name) => loadScenario(name)));
  if (!selection.all && tags.length === 0) {
    throw new UserError('No scenario given.', `Name one or more (${scenarioIds().join(', ')}), or use --all or --tag.`);
  }
  const every = await Promise.all(scenarioIds().map((id) => loadScenario(id)));
  if (selection.all) return every;
  const picked = every.filter((s) => s.tags.some((t) => tags.includes(t)));
  if (picked.length === 0) {
    const known = [...new Set(every.flatMap((s) => s.tags))].sort();
    throw new UserError(`No scenario has the tag${tags.length > 1 ? 's' : ''} ${tags.join(', ')}.`, `Known tags: ${known.join(', ')}.`);
  }
  return picked;
}
