import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAULTS } from '../../src/faults/index.ts';

describe('fault registry', () => {
  it('registers every fault file under the name its fault reports', () => {
    const dir = path.resolve(import.meta.dirname, '../../src/faults');
    const faultFiles = readdirSync(dir).filter((f) => f.endsWith('.ts') && !['fault.ts', 'index.ts', 'proxy-link.ts'].includes(f));
    expect(Object.keys(FAULTS)).toHaveLength(faultFiles.length);
    for (const [name, make] of Object.entries(FAULTS)) {
      const fault = make();
      expect(fault.name, `registry key ${name}`).toBe(name);
      expect(fault.description.length).toBeGreaterThan(10);
    }
  });
});
