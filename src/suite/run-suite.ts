import { rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { DrillResult } from '../core/result.ts';
import type { Objectives, Scenario } from '../core/scenario.ts';
import { runDrill, type DrillOptions, type DrillRecord } from '../engine/drill.ts';
import { Lab } from '../lab/lab.ts';
import { DockerLab } from '../docker/docker-lab.ts';
import { dockerImages } from '../docker/images.ts';
import { ensureDir } from '../util/safe-dir.ts';

/** How to run several scenarios one after another. */
export interface SuiteOptions extends Omit<DrillOptions, 'labDir' | 'objectives'> {
  /** A directory of this suite's own: each scenario's fresh lab lives in it while it runs; removed at the end. */
  workDir: string;
  /** Objective overrides by scenario id. */
  objectives?: Record<string, Partial<Objectives>>;
  /** Called when a scenario starts and when it ends (progress lines). */
  onScenario?: (event: { index: number; total: number; scenario: Scenario; result?: DrillResult }) => void;
}

/**
 * Runs scenarios one after another, each in a fresh lab of its own (created,
 * used, stopped and purged), so that no scenario inherits another's damage.
 * Never throws for a failing scenario: each ends with its own result.
 */
export async function runSuite(scenarios: readonly Scenario[], options: SuiteOptions): Promise<DrillRecord[]> {
  const records: DrillRecord[] = [];
  ensureDir(options.workDir, { what: 'suite work directory', nextStep: 'Run pgdrill from a directory you can write to (suites run their labs under .pgdrill/runs there).' }, 0o755);
  for (const [index, scenario] of scenarios.entries()) {
    if (options.signal?.aborted) break;
    options.onScenario?.({ index, total: scenarios.length, scenario });
    const labDir = path.join(options.workDir, scenario.id);
    try {
      const record = await runDrill(scenario, { ...options, labDir, objectives: options.objectives?.[scenario.id] });
      records.push(record);
      options.onScenario?.({ index, total: scenarios.length, scenario, result: record.result });
    } finally {
      if (options.target === 'docker') await new DockerLab({ labDir, images: options.dockerImages ?? dockerImages({}) }).down().catch(() => {});
      else await new Lab({ labDir }).down({ purge: true }).catch(() => {});
      rmSync(labDir, { recursive: true, force: true });
    }
  }
  rmSync(options.workDir, { recursive: true, force: true });
  // Remove the parent too (`.pgdrill/runs`) once no other suite uses it.
  try {
    rmdirSync(path.dirname(options.workDir));
  } catch {
    // not empty, or already gone
  }
  return records;
}
