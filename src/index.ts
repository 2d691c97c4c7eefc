/**
 * pgdrill's public API for scenario, runbook and config files:
 * `import { defineConfig, defineScenario, defineRunbook } from 'pgdrill'`.
 */
export { defineConfig, type PgdrillConfig } from './config/config.ts';
export { defineRunbook, type Runbook, type RunbookStep, type StepContext, type Verification } from './core/runbook.ts';
export { defineScenario, type Objectives, type Scenario } from './core/scenario.ts';
export type { DrillResult, DrillStatus, StepResult } from './core/result.ts';
export type { Fault, FaultContext, FaultEvidence } from './faults/fault.ts';
export { FAULTS } from './faults/index.ts';
export { SAMPLE_SYSTEM, systemUnderDrill, type SystemUnderDrill } from './system/system.ts';
