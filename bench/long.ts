/**
 * `npm run bench -- long [--minutes 2] [--rate 1000]`: a real drill
 * (service-crash, its fault held for most of the run) lasting N minutes at R
 * requests/s on a lab of its own, then every report of it. Prints the peak
 * resident memory of this process, the analysis time (measurements, then
 * each report) and the report sizes, and extrapolates them to the seed's
 * longest drill: 30 minutes at 1000 requests/s. Targets for that drill:
 * under 500 MB resident for the whole process, measurement and every report
 * in under 5 s.
 */
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import serviceCrash from '../scenarios/service-crash.ts';
import pg from 'pg';
import { DEFAULT_SLOW_REQUEST_MS, presentIds, runDrill, type DrillRecord } from '../src/engine/drill.ts';
import { applyLatencyObjective, measureRecovery } from '../src/measure/recovery.ts';
import { RequestTimeline } from '../src/measure/timeline.ts';
import { Lab } from '../src/lab/lab.ts';
import { formatLoad } from '../src/report/format.ts';
import { writeHtmlReport } from '../src/report/html-report.ts';
import { writeJsonReport } from '../src/report/json-report.ts';
import { writeJunitReport } from '../src/report/junit-report.ts';
import { renderMarkdownSummary } from '../src/report/markdown-summary.ts';
import { renderDrillResult } from '../src/report/terminal-report.ts';

/** The drill the targets are for: 30 minutes at the seed's 1000 requests/s. */
export const TARGET_MINUTES = 30;
export const TARGET_RATE = 1000;
export const TARGET_RSS_MB = 500;
export const TARGET_ANALYSIS_MS = 5000;

const USAGE = `usage: npm run bench -- long [--minutes <n>] [--rate <n>]
  --minutes <n>  how long the drill runs (default 2; the target is for ${TARGET_MINUTES})
  --rate <n>     load in requests per second (default ${TARGET_RATE})
`;

const mb = (bytes: number) => bytes / 1048576;

/** `timeline` repeated end to end (each copy shifted by its span) until it holds `n` requests. */
function tile(timeline: RequestTimeline, n: number): RequestTimeline {
  const out = new RequestTimeline(n);
  const span = timeline.lastEndAt() + 1;
  for (let copy = 0; out.length < n && timeline.length > 0; copy++) {
    for (let i = 0; i < timeline.length && out.length < n; i++) {
      out.add(timeline.kind(i), timeline.sentAt(i) + copy * span, timeline.endAt(i) + copy * span, timeline.ok(i), timeline.status(i), timeline.error(i), timeline.id(i));
    }
  }
  return out;
}

/** Times each report of a drill; returns [name, ms, bytes] rows. */
function timeReports(record: DrillRecord, dir: string): Array<[string, number, number]> {
  const rows: Array<[string, number, number]> = [];
  const time = (name: string, write: () => number) => {
    const started = performance.now();
    const bytes = write();
    rows.push([name, performance.now() - started, bytes]);
  };
  const file = (name: string, write: (f: string) => void) => () => {
    const f = path.join(dir, name);
    write(f);
    return statSync(f).size;
  };
  time('terminal', () => Buffer.byteLength(renderDrillResult(record.result)));
  time('json', file('r.json', (f) => writeJsonReport(f, record.result)));
  time('junit', file('r.xml', (f) => writeJunitReport(f, [record.result])));
  time('markdown', () => Buffer.byteLength(renderMarkdownSummary([record.result])));
  time('html (chart)', file('r.html', (f) => writeHtmlReport(f, [record])));
  return rows;
}

/** Runs the long-drill benchmark with its flags; resolves with the exit code. */
export async function runLongBenchmark(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { minutes: { type: 'string', default: '2' }, rate: { type: 'string', default: String(TARGET_RATE) }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const minutes = Number(values.minutes);
  const rate = Number(values.rate);
  if (!(minutes > 0 && minutes <= 240) || !(Number.isInteger(rate) && rate > 0 && rate <= 10_000)) {
    process.stderr.write(`bad flags\n${USAGE}`);
    return 1;
  }
  const root = mkdtempSync(path.join(os.tmpdir(), 'pgdrill-bench-long-'));
  chmodSync(root, 0o755);
  const labDir = path.join(root, 'lab');
  let peakRss = process.memoryUsage.rss();
  const rssBefore = peakRss;
  const started = performance.now();
  // RSS over time: its growth while the load runs is what a longer drill adds.
  const samples: Array<[number, number]> = [];
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    peakRss = Math.max(peakRss, rss);
    samples.push([(performance.now() - started) / 60_000, rss]);
  }, 1000);
  try {
    const durationMs = minutes * 60_000;
    const holdMs = Math.max(1000, durationMs - serviceCrash.warmupMs - serviceCrash.observeMs - 5000);
    process.stderr.write(`· service-crash for ${minutes} min at ${rate} requests/s (fault held ${Math.round(holdMs / 1000)} s)\n`);
    // A lab brought up here outlives the drill, so the reconciliation can be timed at full size afterwards.
    const lab = new Lab({ labDir, log: (line) => process.stderr.write(`· ${line}\n`) });
    await lab.up();
    const record = await runDrill(serviceCrash, {
      labDir,
      holdMs,
      load: { rate, maxDurationMs: durationMs + 5 * 60_000 },
      log: (line) => process.stderr.write(`· ${line}\n`),
    });
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const r = record.result;
    const reports = timeReports(record, root);
    clearInterval(sampler);
    const maxRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
    const timeline = record.load?.timeline;
    const measureMs = record.measureMs ?? NaN;
    const analysisMs = measureMs + reports.reduce((sum, [, ms]) => sum + ms, 0);
    const requests = timeline?.length ?? 0;
    const scale = (TARGET_MINUTES * 60 * TARGET_RATE) / Math.max(1, requests);
    // RSS: the peak plus the growth per minute of the second half of the run, for the minutes a 30-minute drill adds
    // (the load at the target rate).
    const half = samples.filter(([m]) => m >= minutes / 2 && m <= minutes);
    const slope = half.length >= 2 ? (half[half.length - 1]![1] - half[0]![1]) / (half[half.length - 1]![0] - half[0]![0]) : 0;
    const rssAt30 = mb(maxRss) + (mb(Math.max(0, slope)) * Math.max(0, TARGET_MINUTES - minutes) * TARGET_RATE) / rate;
    // Analysis at full size: the recorded timeline repeated to 30 minutes' worth of requests, measured and charted for real.
    const full = timeline ? tile(timeline, TARGET_MINUTES * 60 * TARGET_RATE) : undefined;
    let fullMs = NaN;
    if (full && r.t0Ms !== null) {
      const t = performance.now();
      measureRecovery(applyLatencyObjective(full, serviceCrash.slowRequestMs ?? DEFAULT_SLOW_REQUEST_MS), r.t0Ms, full.lastEndAt());
      writeHtmlReport(path.join(root, 'full.html'), [{ ...record, load: { ...record.load!, timeline: full } }]);
      fullMs = performance.now() - t;
    }
    // The ledger reconciliation at full size: the drill's attempted write ids repeated to 30 minutes' worth, against the lab.
    const attempted = record.load?.attemptedWriteIds ?? [];
    const wanted = Math.round(attempted.length * scale);
    const ids = Array.from({ length: attempted.length === 0 ? 0 : wanted }, (_, i) => attempted[i % attempted.length]!);
    const client = new pg.Client({ connectionString: lab.adminUrl('payments_db') });
    await client.connect();
    let reconcileMs: number;
    try {
      const t = performance.now();
      await presentIds(async (text, params) => (await client.query(text, params)).rows, ids);
      reconcileMs = performance.now() - t;
    } finally {
      await client.end();
    }
    const analysisAt30 = fullMs + reconcileMs + reports.filter(([n]) => !n.startsWith('html')).reduce((sum, [, ms]) => sum + ms, 0);
    const lines = [
      '',
      `drill: ${r.scenario} ${r.status}${r.reasons.length ? ` (${r.reasons.join('; ')})` : ''}, RTO ${r.rtoMs} ms, ${requests} requests (${(requests / (durationMs / 1000)).toFixed(0)}/s), ${r.failedRequests} failed, ${r.ackedWrites} acknowledged writes`,
      `load: ${formatLoad(r.load)}`,
      `timeline: ${mb(timeline?.byteSize ?? 0).toFixed(1)} MB of columns (${((timeline?.byteSize ?? 0) / Math.max(1, requests)).toFixed(1)} bytes/request)`,
      `peak RSS of this process: ${mb(maxRss).toFixed(0)} MB (${mb(rssBefore).toFixed(0)} MB before the drill)`,
      `measurement (ledger reconciled, RTO, RPO): ${measureMs.toFixed(0)} ms`,
      ...reports.map(([name, ms, bytes]) => `report ${name.padEnd(12)} ${ms.toFixed(0).padStart(6)} ms  ${(bytes / 1024).toFixed(1)} KB`),
      `analysis in all: ${analysisMs.toFixed(0)} ms`,
      `RSS growth while the load ran: ${mb(slope).toFixed(1)} MB/min at ${rate}/s`,
      `RTO + chart of the timeline repeated to ${full?.length ?? 0} requests: ${fullMs.toFixed(0)} ms`,
      `ledger reconciliation of the attempted writes repeated to ${ids.length}: ${reconcileMs.toFixed(0)} ms`,
      `extrapolated to ${TARGET_MINUTES} min at ${TARGET_RATE}/s: peak RSS ≈ ${rssAt30.toFixed(0)} MB (target < ${TARGET_RSS_MB}: ${rssAt30 < TARGET_RSS_MB ? 'met' : 'NOT met'}), analysis ≈ ${analysisAt30.toFixed(0)} ms (target < ${TARGET_ANALYSIS_MS}: ${analysisAt30 < TARGET_ANALYSIS_MS ? 'met' : 'NOT met'})`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return r.status === 'error' ? 1 : 0;
  } finally {
    clearInterval(sampler);
    await new Lab({ labDir }).down({ purge: true }).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}
