import { defineConfig } from 'vitest/config';

/**
 * Files whose assertions hold a measurement to a tolerance (an outage measured
 * within 250 ms, a latency toxic within its jitter, a step cancelled within a
 * deadline, one run's RTO against another's), or race their own work (a sender killed mid-copy while side
 * clusters replay WAL). They run one at a time, with the machine to
 * themselves, so a neighbour's CPU or disk never decides whether they pass.
 */
const measuredAgainstTheClock = [
  'test/cli/bad-input.test.ts',
  'test/cli/gameday-tty.test.ts',
  'test/cli/guide-plain.test.ts',
  'test/cli/guide-tty.test.ts',
  'test/cli/interrupt-cli.test.ts',
  'test/engine/drill.test.ts',
  'test/engine/loss-calibration.test.ts',
  'test/engine/runbook-runner.test.ts',
  'test/engine/step-cancel.test.ts',
  'test/engine/steady-state.test.ts',
  'test/restore/verified-copy.test.ts',
  'test/guide/session.test.ts',
  'test/load/load-generator.test.ts',
  'test/scenarios/database-lost.test.ts',
  'test/scenarios/migration-data-loss.test.ts',
  'test/scenarios/pooler-scenarios.test.ts',
  'test/scenarios/service-scenarios.test.ts',
  'test/service/payments-service.test.ts',
  'test/system/user-service.test.ts',
  'test/toxiproxy/**/*.test.ts',
  'test/ui/guide-app.test.ts',
  'test/util/work-scope.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    reporters: ['default'],
    setupFiles: ['test/helpers/setup-file.ts'],
    // Ink renders only its last frame when CI is set; the UI tests drive a live UI, as a person at a terminal sees it.
    env: { CI: 'false', CONTINUOUS_INTEGRATION: 'false' },
    globalSetup: ['test/helpers/global-setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'timed',
          include: measuredAgainstTheClock,
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Every other file starts its own clusters, ports and temp dirs (named
        // by the run), so two run side by side: they wait on PostgreSQL and
        // HTTP far more than they use a core.
        extends: true,
        test: {
          name: 'paired',
          include: ['test/**/*.test.ts'],
          exclude: measuredAgainstTheClock,
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
