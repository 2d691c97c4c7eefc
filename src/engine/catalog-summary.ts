import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabCapability } from '../lab/cluster.ts';

/** What `pgdrill list` shows of one shipped scenario. */
export interface ScenarioSummary {
  id: string;
  title: string;
  rtoMs: number;
  rpoMs: number;
  variants: string[];
  /** What it needs of the lab (see `LabCapability`): a target without one skips it. */
  needs: LabCapability[];
}

/** The shipped catalog as `pgdrill list` shows it: scenarios with their objectives, and runbook ids. */
export interface CatalogSummary {
  scenarios: ScenarioSummary[];
  runbooks: string[];
}

// The directory holding scenarios/ and runbooks/: the repository from the sources, dist/ when compiled.
const catalogRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Where the compiled build keeps the catalog summary it wrote (`dist/catalog.json`).
 * Only the compiled CLI reads it: it was built from exactly these
 * definitions (bin/pgdrill.mjs runs dist/ only when it is current).
 */
export const CATALOG_SUMMARY_FILE = path.join(catalogRoot, 'catalog.json');

/** Loads and validates every shipped scenario (the slow path: imports each definition). */
export async function buildCatalogSummary(): Promise<CatalogSummary> {
  const { loadScenario, runbookIds, scenarioIds } = await import('./catalog.ts');
  const scenarios: ScenarioSummary[] = [];
  for (const id of scenarioIds()) {
    const s = await loadScenario(id);
    scenarios.push({ id, title: s.title, rtoMs: s.objectives.rtoMs, rpoMs: s.objectives.rpoMs, variants: Object.keys(s.variants ?? {}), needs: [...(s.needs ?? [])] });
  }
  return { scenarios, runbooks: runbookIds() };
}

/** Writes the summary file the compiled CLI reads (run by the build, after compiling). */
export async function writeCatalogSummary(): Promise<void> {
  writeFileSync(CATALOG_SUMMARY_FILE, `${JSON.stringify(await buildCatalogSummary(), null, 2)}\n`);
}

/**
 * The shipped catalog: from the build's summary file when running compiled
 * (no definition is imported, so `pgdrill list` starts fast), else by
 * loading every definition.
 */
export async function catalogSummary(): Promise<CatalogSummary> {
  if (fileURLToPath(import.meta.url).endsWith('.js') && existsSync(CATALOG_SUMMARY_FILE)) {
    return JSON.parse(readFileSync(CATALOG_SUMMARY_FILE, 'utf8')) as CatalogSummary;
  }
  return buildCatalogSummary();
}
