import { afterAll } from 'vitest';
import { removeTempDirs } from './test-lab.ts';

// Every test file removes the labs and temporary directories it made, whatever happened.
afterAll(async () => {
  await removeTempDirs();
});
