/**
 * Ink renders only its last frame when the CI or CONTINUOUS_INTEGRATION
 * variable is set (it reads them once, when loaded). A guided session runs
 * only on a real terminal, with a person at it, even on a machine where CI
 * is set: load the UI with those variables hidden, then put them back for
 * everything else.
 */
export async function importWithoutCiDetection<T>(load: () => Promise<T>): Promise<T> {
  const saved = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION };
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  try {
    return await load();
  } finally {
    for (const [key, value] of Object.entries(saved)) if (value !== undefined) process.env[key] = value;
  }
}
