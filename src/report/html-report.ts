import { writeReportFile } from '../util/safe-dir.ts';
import * as hdr from 'hdr-histogram-js';
import type { DrillResult } from '../core/result.ts';
import type { DrillRecord } from '../engine/drill.ts';
import type { RequestTimeline, TimelineEvent } from '../measure/timeline.ts';
import { maxOf } from '../util/numbers.ts';
import { redact } from '../util/redact.ts';
import { formatDuration, formatLoad, formatObjective } from './format.ts';

/** One time bin of the chart: answers per second and latency percentiles of the requests that ended in it. */
export interface ChartBin {
  /** Start of the bin, seconds since the load started. */
  t: number;
  okPerSecond: number;
  failedPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/** The chart holds at most about this many bins, whatever the drill's length. */
export const MAX_CHART_BINS = 480;
const NICE_BIN_MS = [250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000];

/** The bin width for a chart spanning `spanMs`: 250 ms, or the next round width that keeps it within MAX_CHART_BINS bins. */
export function chartBinMs(spanMs: number): number {
  const wanted = spanMs / MAX_CHART_BINS;
  return NICE_BIN_MS.find((b) => b >= wanted) ?? Math.ceil(wanted / 600_000) * 600_000;
}

/**
 * Bins a timeline by answer time (`binMs` wide, from `originMs`; by default
 * as wide as keeps the chart within MAX_CHART_BINS points): successes and
 * failures per second, and p50/p99 latency (hdr-histogram) per bin. Reads the
 * timeline's columns once; memory is one number per request, not an object.
 */
export function binTimeline(timeline: RequestTimeline, originMs: number, binMs?: number): ChartBin[] {
  if (timeline.length === 0) return [];
  const last = timeline.lastEndAt();
  const width = binMs ?? chartBinMs(last - originMs);
  // Whole bins only: a last, partial bin would read as a drop in throughput.
  const count = Math.max(1, Math.floor((last - originMs) / width));
  const ok = new Float64Array(count);
  const failed = new Float64Array(count);
  // Latencies grouped by bin (a counting sort), so each bin's histogram reads one slice.
  const binOf = new Int32Array(timeline.length);
  const starts = new Uint32Array(count + 1);
  for (let i = 0; i < timeline.length; i++) {
    const b = Math.max(0, Math.floor((timeline.endAt(i) - originMs) / width));
    binOf[i] = b < count ? b : -1;
    if (b >= count) continue;
    if (timeline.ok(i)) ok[b]!++;
    else failed[b]!++;
    starts[b + 1]!++;
  }
  for (let b = 0; b < count; b++) starts[b + 1]! += starts[b]!;
  const latencies = new Uint32Array(starts[count]!);
  const fill = starts.slice(0, count);
  for (let i = 0; i < timeline.length; i++) {
    const b = binOf[i]!;
    if (b >= 0) latencies[fill[b]!++] = Math.max(1, Math.round(timeline.endAt(i) - timeline.sentAt(i)));
  }
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 3 });
  try {
    const bins: ChartBin[] = [];
    for (let b = 0; b < count; b++) {
      histogram.reset();
      for (let k = starts[b]!; k < starts[b + 1]!; k++) histogram.recordValue(Math.min(latencies[k]!, 3_600_000));
      const has = starts[b + 1]! > starts[b]!;
      bins.push({
        t: (b * width) / 1000,
        okPerSecond: (ok[b]! * 1000) / width,
        failedPerSecond: (failed[b]! * 1000) / width,
        p50Ms: has ? histogram.getValueAtPercentile(50) : null,
        p99Ms: has ? histogram.getValueAtPercentile(99) : null,
      });
    }
    return bins;
  } finally {
    histogram.destroy();
  }
}

/** Spacing of the time axis' ticks, in seconds: a round number giving at most about 12 ticks. */
function tickSeconds(spanSeconds: number): number {
  const steps = [2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
  return steps.find((s) => spanSeconds / s <= 12) ?? Math.ceil(spanSeconds / 12 / 3600) * 3600;
}

function tickLabel(seconds: number): string {
  if (seconds < 60 || seconds % 60 !== 0) return `${seconds}s`;
  return seconds % 3600 === 0 ? `${seconds / 3600}h` : `${seconds / 60}m`;
}

function esc(text: string): string {
  return redact(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const W = 880;
const H = 280;
const PAD = { left: 56, right: 60, top: 16, bottom: 36 };

/** An SVG chart of throughput, errors and latency over time, with the fault, each runbook step and the recovery point marked. */
export function renderChart(record: DrillRecord): string {
  const timeline = record.load?.timeline;
  const origin = chartOrigin(record.events);
  const bins = timeline ? binTimeline(timeline, origin) : [];
  if (bins.length === 0) return '<p class="muted">No load was recorded for this drill.</p>';
  const binSeconds = bins.length > 1 ? bins[1]!.t - bins[0]!.t : Math.max(0.25, (timeline!.lastEndAt() - origin) / 1000);
  return renderChartSvg(bins, binSeconds, record.events, origin);
}

/** Where a drill's chart starts: when the load started (drill-clock ms). */
export function chartOrigin(events: readonly TimelineEvent[]): number {
  return events.find((e) => e.kind === 'load-start')?.at ?? 0;
}

/**
 * The chart itself, from bins already made (`binTimeline`): what a game
 * day's journal keeps instead of every request. `events` are on the drill
 * clock; `origin` is the clock reading of the chart's zero.
 */
export function renderChartSvg(bins: readonly ChartBin[], binSeconds: number, events: readonly TimelineEvent[], origin: number): string {
  const tMax = bins.length * binSeconds;
  const rMax = maxOf(bins.map((b) => Math.max(b.okPerSecond, b.failedPerSecond)), 1) * 1.1;
  const lMax = maxOf(bins.map((b) => b.p99Ms ?? 0), 10) * 1.1;
  const x = (t: number) => PAD.left + (t / tMax) * (W - PAD.left - PAD.right);
  const yRate = (v: number) => H - PAD.bottom - (v / rMax) * (H - PAD.top - PAD.bottom);
  const yLat = (v: number) => H - PAD.bottom - (v / lMax) * (H - PAD.top - PAD.bottom);
  const path = (pick: (b: ChartBin) => number | null, y: (v: number) => number) =>
    bins
      .map((b) => [b, pick(b)] as const)
      .filter(([, v]) => v !== null)
      .map(([b, v], i) => `${i === 0 ? 'M' : 'L'}${x(b.t + binSeconds / 2).toFixed(1)},${y(v!).toFixed(1)}`)
      .join(' ');
  const failedArea = `M${x(0)},${yRate(0)} ${bins.map((b) => `L${x(b.t).toFixed(1)},${yRate(b.failedPerSecond).toFixed(1)} L${x(b.t + binSeconds).toFixed(1)},${yRate(b.failedPerSecond).toFixed(1)}`).join(' ')} L${x(tMax)},${yRate(0)} Z`;
  const at = (e: TimelineEvent) => (e.at - origin) / 1000;
  const markers = events
    .filter((e) => e.kind === 'fault-injected' || e.kind === 'step-start' || e.kind === 'recovered' || e.kind === 'note')
    .map((e, i) => {
      const cls = e.kind === 'fault-injected' ? 'fault' : e.kind === 'recovered' ? 'recovered' : e.kind === 'note' ? 'note' : 'step';
      const label = e.kind === 'fault-injected' ? 'fault' : e.kind === 'recovered' ? 'recovered' : e.label;
      const xx = x(at(e)).toFixed(1);
      const ly = PAD.top + 10 + (i % 6) * 12;
      return `<line class="marker ${cls}" x1="${xx}" x2="${xx}" y1="${PAD.top}" y2="${H - PAD.bottom}"><title>${esc(`${label} at ${at(e).toFixed(2)} s`)}</title></line><text class="mlabel ${cls}" x="${Number(xx) + 3}" y="${ly}">${esc(label)}</text>`;
    })
    .join('');
  const tick = tickSeconds(tMax);
  const ticks = Array.from({ length: Math.floor(tMax / tick) + 1 }, (_, i) => i * tick)
    .map((t) => `<line class="grid" x1="${x(t)}" x2="${x(t)}" y1="${PAD.top}" y2="${H - PAD.bottom}"/><text class="axis" x="${x(t)}" y="${H - PAD.bottom + 14}" text-anchor="middle">${tickLabel(t)}</text>`)
    .join('');
  const yTicks = [0, 0.5, 1]
    .map((f) => `<text class="axis" x="${PAD.left - 6}" y="${yRate(rMax * f) + 4}" text-anchor="end">${Math.round(rMax * f)}</text><text class="axis" x="${W - PAD.right + 6}" y="${yLat(lMax * f) + 4}">${Math.round(lMax * f)} ms</text>`)
    .join('');
  return `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="throughput, errors and latency over time">
${ticks}${yTicks}
<path class="failed" d="${failedArea}"/>
<path class="ok" d="${path((b) => b.okPerSecond, yRate)}"/>
<path class="p99" d="${path((b) => b.p99Ms, yLat)}"/>
<path class="p50" d="${path((b) => b.p50Ms, yLat)}"/>
${markers}
<text class="axis" x="${PAD.left}" y="${H - 4}">answers/s (left) · latency (right) · time since the load started</text>
</svg>
<p class="legend"><span class="k ok"></span>successful answers/s <span class="k failed"></span>failed/s <span class="k p99"></span>p99 latency <span class="k p50"></span>p50 latency <span class="k fault"></span>fault <span class="k step"></span>runbook step <span class="k recovered"></span>recovered</p>`;
}

function numbers(r: DrillResult): string {
  const rows: Array<[string, string, string]> = [
    ['RTO', formatObjective(r.objectives.rtoMs), formatDuration(r.rtoMs)],
    ['time to detect', '', formatDuration(r.ttdMs)],
    ['lost acknowledged writes', r.objectives.rpoMs === 0 ? '0' : '', `${r.lostWrites} of ${r.ackedWrites}`],
    ['RPO (loss window)', formatObjective(r.objectives.rpoMs), formatDuration(r.rpoMs)],
    ['unacknowledged but present', '', String(r.unackedPresentWrites)],
    ['requests sent / failed', '', `${r.requests} / ${r.failedRequests}`],
    ['load sent', '', esc(formatLoad(r.load))],
  ];
  const steps = r.steps.map((s) => `<tr><td>${esc(s.id)}</td><td>${esc(s.status)}</td><td>${s.status === 'skipped' ? '' : formatDuration(s.durationMs)}</td></tr>`).join('');
  return `<table><tr><th></th><th>objective</th><th>measured</th></tr>${rows.map(([a, b, c]) => `<tr><td>${a}</td><td>${b}</td><td>${c}</td></tr>`).join('')}</table>
<table><tr><th>runbook step</th><th>status</th><th>duration</th></tr>${steps}</table>
${r.reasons.length ? `<ul class="reasons">${r.reasons.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : ''}`;
}

/**
 * Writes a self-contained HTML report (inline CSS and SVG, nothing fetched):
 * per scenario, the verdict, a chart of the load over time with the fault,
 * the runbook steps and the recovery point marked, and the numbers beside it.
 */
export function writeHtmlReport(file: string, records: readonly DrillRecord[], title = 'pgdrill recovery drills'): void {
  const sections = records
    .map((record) => {
      const r = record.result;
      return `<section class="${r.status}">
<h2>${esc(r.variant ? `${r.scenario} (${r.variant})` : r.scenario)} <span class="status">${r.status.toUpperCase()}</span></h2>
<p class="muted">${esc(r.title)} · fault: ${esc(r.fault.name)}, ${esc(r.fault.description)}${r.fault.evidence ? ` (${esc(r.fault.evidence)})` : ''} · held ${formatDuration(r.fault.holdMs)} · ${esc(r.startedAt)}</p>
<div class="row"><div class="chart">${renderChart(record)}</div><div class="numbers">${numbers(r)}</div></div>
</section>`;
    })
    .join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d232b;background:#fafbfc}
h1{font-size:22px}h2{font-size:17px;margin:0 0 4px}
section{background:#fff;border:1px solid #dde2e8;border-left:6px solid #8a94a3;border-radius:6px;padding:14px 16px;margin:0 0 18px}
section.passed{border-left-color:#2da44e}section.breached{border-left-color:#cf222e}section.ineffective{border-left-color:#bf8700}section.error{border-left-color:#8250df}
.status{font-size:12px;padding:2px 8px;border-radius:10px;background:#eef1f4;margin-left:6px}
.row{display:flex;gap:16px;flex-wrap:wrap}.chart{flex:1 1 600px}.numbers{flex:0 0 320px}
svg{width:100%;height:auto}.muted{color:#5b6573;font-size:12px}
table{border-collapse:collapse;margin:0 0 10px;width:100%}td,th{border-bottom:1px solid #eef1f4;padding:3px 6px;text-align:left;font-size:13px}
path.ok{fill:none;stroke:#2da44e;stroke-width:1.6}path.failed{fill:#cf222e;opacity:.35}path.p99{fill:none;stroke:#0969da;stroke-dasharray:4 3}path.p50{fill:none;stroke:#8c959f}
line.grid{stroke:#eef1f4}text.axis{font-size:10px;fill:#5b6573}
line.marker{stroke-width:1.4}line.fault{stroke:#cf222e}line.step{stroke:#8250df;stroke-dasharray:2 2}line.recovered{stroke:#2da44e}
text.mlabel{font-size:10px}text.fault{fill:#cf222e}text.step{fill:#8250df}text.recovered{fill:#2da44e}
.legend{font-size:12px;color:#5b6573}.k{display:inline-block;width:14px;height:3px;margin:0 4px 3px 10px;vertical-align:middle}
.k.ok{background:#2da44e}.k.failed{background:#cf222e;opacity:.5}.k.p99{background:#0969da}.k.p50{background:#8c959f}.k.fault{background:#cf222e}.k.step{background:#8250df}.k.recovered{background:#2da44e}
ul.reasons{margin:4px 0 0 18px;padding:0;color:#cf222e}
</style></head><body>
<h1>${esc(title)}</h1>
<p class="muted">Generated ${new Date().toISOString()} by pgdrill. RTO is read from the answers the load saw; see the README for the definitions.</p>
${sections}
</body></html>
`;
  writeReportFile(file, html);
}
