import { writeReportFile } from '../util/safe-dir.ts';
import type { DrillResult } from '../core/result.ts';
import { redactDeep } from '../util/redact.ts';

/** Writes drill results as JSON (one object, or an array for several), secrets redacted. */
export function writeJsonReport(file: string, results: DrillResult | DrillResult[]): void {
  writeReportFile(file, `${JSON.stringify(redactDeep(results), null, 2)}\n`);
}
