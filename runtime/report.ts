// `mssmc report`: one self-contained HTML page about a trained run: training and
// validation curves per task from metrics.jsonl, a heatmap of field selection (fields x groups,
// the selections the pruned export cuts outlined) next to one of permutation importance (fields x
// tasks), the mean weights of softmax gates, each stage's connections drawn with their open
// fraction, and the pruning summary.
//
// The page is static: inline CSS and SVG, no script, and a Content-Security-Policy that forbids
// every fetch, so it reads the same offline, from file://, or as a mail attachment. Every piece of
// text from the run (field, group and task names are user input) goes through `escapeHtml`.

import type { EpochRecord } from "./train.js";
import type { GateUsage } from "./gate-usage.js";
import type { Importance } from "./importance.js";
import type { Edge, FieldSelection, Inspection, StageState } from "./inspect.js";

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const esc = escapeHtml;
/** A number for SVG coordinates: short and deterministic. */
const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));
const fmt = (x: number) => x.toLocaleString("en-US");

/** Parses metrics.jsonl: one EpochRecord per non-empty line (a torn last line, from a killed run, is skipped). */
export function parseMetrics(text: string): EpochRecord[] {
  const out: EpochRecord[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as EpochRecord);
    } catch {
      // A run killed mid-write leaves a partial line; the records before it still stand.
    }
  }
  return out;
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];

/** One line of a chart. */
interface Series {
  name: string;
  points: [number, number][];
  dashed?: boolean;
}

/** A line chart of `series` over epochs, as an SVG element. */
function lineChart(title: string, series: Series[]): string {
  const W = 360;
  const H = 220;
  const m = { l: 52, r: 12, t: 26, b: 56 };
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  if (all.length === 0) return `<svg class="chart" width="${W}" height="${H}" role="img" aria-label="${esc(title)}"><text x="${W / 2}" y="${H / 2}" text-anchor="middle">${esc(title)}: no data</text></svg>`;
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const px = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(`<text class="title" x="${m.l}" y="16">${esc(title)}</text>`);
  parts.push(`<line class="axis" x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}"/><line class="axis" x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}"/>`);
  for (let i = 0; i <= 4; i++) {
    const y = y0 + ((y1 - y0) * i) / 4;
    parts.push(`<line class="grid" x1="${m.l}" y1="${num(py(y))}" x2="${W - m.r}" y2="${num(py(y))}"/><text class="tick" x="${m.l - 4}" y="${num(py(y) + 3)}" text-anchor="end">${esc(y.toPrecision(3))}</text>`);
  }
  const epochs = [...new Set(xs)].sort((a, b) => a - b);
  const step = Math.max(1, Math.ceil(epochs.length / 10));
  epochs.forEach((x, i) => {
    if (i % step === 0 || i === epochs.length - 1) parts.push(`<text class="tick" x="${num(px(x))}" y="${H - m.b + 14}" text-anchor="middle">${x}</text>`);
  });
  parts.push(`<text class="tick" x="${num((m.l + W - m.r) / 2)}" y="${H - m.b + 28}" text-anchor="middle">epoch</text>`);
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const pts = s.points.filter(([, y]) => Number.isFinite(y));
    const d = pts.map(([x, y], k) => `${k ? "L" : "M"}${num(px(x))},${num(py(y))}`).join("");
    parts.push(`<path class="series" d="${d}" stroke="${color}"${s.dashed ? ' stroke-dasharray="5,3"' : ""}/>`);
    for (const [x, y] of pts) parts.push(`<circle cx="${num(px(x))}" cy="${num(py(y))}" r="2.5" fill="${color}"><title>${esc(`${s.name}, epoch ${x}: ${y.toPrecision(5)}`)}</title></circle>`);
    // Legend entries side by side under the axis (a chart has at most two series).
    const lx = m.l + (i % 2) * 150;
    const ly = H - 14 - Math.floor(i / 2) * 14;
    parts.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 16}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ""}/><text class="legend" x="${lx + 20}" y="${ly}">${esc(s.name)}</text>`);
  });
  return `<svg class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">${parts.join("")}</svg>`;
}

/** The charts of the training section: per task its losses and its validation metric, then the L0 term. */
function trainingCharts(history: EpochRecord[], tasks: string[]): string {
  if (history.length === 0) return `<p class="note">metrics.jsonl has no epochs yet.</p>`;
  const charts: string[] = [];
  for (const t of tasks) {
    const loss: Series[] = [{ name: "train loss", points: history.map((r) => [r.epoch, r.task_loss?.[t] ?? NaN]) }];
    const valid = history.filter((r) => r.valid?.[t]);
    const metrics = valid.length ? Object.keys(valid[0]!.valid![t]!) : [];
    if (metrics.includes("logloss")) loss.push({ name: "valid logloss", points: valid.map((r) => [r.epoch, (r.valid![t] as Record<string, number>)["logloss"]!]), dashed: true });
    charts.push(`<figure>${lineChart(`${t}: loss`, loss)}</figure>`);
    const main = metrics.find((k) => k !== "logloss");
    if (main) charts.push(`<figure>${lineChart(`${t}: validation ${main}`, [{ name: `valid ${main}`, points: valid.map((r) => [r.epoch, (r.valid![t] as Record<string, number>)[main]!]) }])}</figure>`);
  }
  charts.push(`<figure>${lineChart("expected L0 (mean over steps)", [{ name: "L0", points: history.map((r) => [r.epoch, r.l0]) }])}</figure>`);
  return `<div class="charts">${charts.join("")}</div>`;
}

/** White (0) to dark blue (1). */
function heat(v: number): string {
  const t = Math.min(1, Math.max(0, v));
  const mix = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${mix(247, 8)},${mix(251, 48)},${mix(255, 107)})`;
}

/** One cell of a matrix picture: its shade in [0, 1], its text, its tooltip and extra attributes. */
interface MatrixCell {
  shade: number;
  text: string;
  title: string;
  /** Attributes of the cell's <g> (names fixed, values escaped here). */
  data: Record<string, string>;
  /** An extra class of the cell's <g>. */
  mark?: string;
}

/** A matrix as an SVG heatmap: row heads on the left, column heads on top, one shaded cell each. */
function matrixPicture(kind: string, label: string, rows: string[], cols: string[], cell: (i: number, j: number) => MatrixCell): string {
  const size = { w: 86, h: 20 };
  const left = Math.min(220, 12 + 7 * Math.max(...rows.map((f) => f.length)));
  const top = 34;
  const W = left + size.w * cols.length + 10;
  const H = top + size.h * rows.length + 10;
  const parts: string[] = [];
  cols.forEach((g, j) => parts.push(`<text class="colhead" x="${left + size.w * j + size.w / 2}" y="${top - 8}" text-anchor="middle">${esc(g)}</text>`));
  rows.forEach((f, i) => {
    const y = top + size.h * i;
    parts.push(`<text class="rowhead" x="${left - 6}" y="${y + 14}" text-anchor="end">${esc(f)}</text>`);
    cols.forEach((_g, j) => {
      const c = cell(i, j);
      const x = left + size.w * j;
      const data = Object.entries(c.data).map(([k, v]) => ` data-${k}="${esc(v)}"`).join("");
      parts.push(
        `<g class="cell${c.mark ? ` ${c.mark}` : ""}"${data}><rect x="${x}" y="${y}" width="${size.w - 2}" height="${size.h - 2}" fill="${heat(c.shade)}"><title>${esc(c.title)}</title></rect>` +
          `<text class="${c.shade > 0.55 ? "light" : "dark"}" x="${x + size.w / 2 - 1}" y="${y + 14}" text-anchor="middle">${esc(c.text)}</text></g>`,
      );
    });
  });
  return `<svg class="${kind}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(label)}">${parts.join("")}</svg>`;
}

/** The field-selection heatmap: one row per field, one column per group, each cell its mean mask; a selection the pruned export cuts is outlined. */
function heatmap(fs: FieldSelection): string {
  return matrixPicture("heatmap", "field selection", fs.fields, fs.groups, (i, j) => {
    const [f, g, v] = [fs.fields[i]!, fs.groups[j]!, fs.strength[i]![j]!];
    const cut = fs.selected ? !fs.selected[i]![j] : false;
    return { shade: v, text: v.toFixed(2), title: `${f} in ${g}: ${v.toFixed(3)}${cut ? ", cut by pruning" : ""}`, data: { field: f, group: g }, ...(cut ? { mark: "cut" } : {}) };
  });
}

/** The importance heatmap: one row per field, one column per task; shade: the drop relative to the task's largest. */
function importancePicture(imp: Importance): string {
  const largest = imp.tasks.map((_t, k) => Math.max(1e-12, ...imp.drop[k]!));
  return matrixPicture("importance", "permutation importance", imp.fields, imp.tasks, (i, k) => {
    const [f, t, d] = [imp.fields[i]!, imp.tasks[k]!, imp.drop[k]![i]!];
    const spread = `${imp.min[k]![i]!.toFixed(4)} to ${imp.max[k]![i]!.toFixed(4)}`;
    return { shade: Math.max(0, d) / largest[k]!, text: d.toFixed(3), title: `${f} for ${t}: ${imp.metrics[k]} ${imp.metrics[k] === "rmse" ? "rise" : "drop"} ${d.toFixed(4)} (${imp.repeats} shuffles: ${spread})`, data: { field: f, task: t } };
  });
}

/** One heatmap per softmax-gated stage: a row per consumer, a column per source, each cell its mean weight. */
function gateUsagePictures(usage: GateUsage[]): string {
  return [...new Set(usage.map((u) => u.label))]
    .map((label) => {
      const here = usage.filter((u) => u.label === label);
      const sources = [...new Set(here.flatMap((u) => u.sources))];
      const picture = matrixPicture("gates", `${label}: softmax gate usage`, here.map((u) => u.consumer), sources, (i, j) => {
        const u = here[i]!;
        const s = u.sources.indexOf(sources[j]!);
        const v = s >= 0 ? u.mean[s]! : 0;
        return { shade: v, text: s >= 0 ? v.toFixed(2) : "-", title: s >= 0 ? `${u.consumer} reads ${sources[j]!} with mean weight ${v.toFixed(3)}` : `${u.consumer} does not read ${sources[j]!}`, data: { consumer: u.consumer, source: sources[j]! } };
      });
      return `<h3>${esc(label)}</h3>${picture}`;
    })
    .join("");
}

/** One stage's connections: sources on top, readers below, an edge per read with its open fraction. */
function stagePicture(s: StageState): string {
  const box = { w: 168, h: 30 };
  const gap = 24;
  const cols = Math.max(s.sources.length, s.consumers.length);
  const W = Math.max(cols * (box.w + gap) + gap, 320);
  const H = 230;
  const rowX = (count: number, i: number) => (W - (count * (box.w + gap) - gap)) / 2 + i * (box.w + gap);
  const srcY = 24;
  const dstY = H - box.h - 12;
  const parts: string[] = [];
  const edgeParts: string[] = [];
  const labelParts: string[] = [];
  const byConsumer = new Map<string, Edge[]>();
  for (const e of s.edges) byConsumer.set(e.consumer, [...(byConsumer.get(e.consumer) ?? []), e]);
  s.edges.forEach((e) => {
    const si = s.sources.indexOf(e.source);
    const ci = s.consumers.indexOf(e.consumer);
    const x1 = rowX(s.sources.length, si) + box.w / 2;
    const x2 = rowX(s.consumers.length, ci) + box.w / 2;
    const y1 = srcY + box.h;
    const y2 = dstY;
    const frac = e.total ? e.open / e.total : 0;
    const label = e.gated ? `${e.open}/${e.total}` : "dense";
    const width = e.gated ? 0.5 + 5.5 * frac : 2;
    const opacity = e.gated ? 0.15 + 0.85 * frac : 0.6;
    edgeParts.push(
      `<line class="edge${e.gated ? " gated" : ""}${e.gated && e.open === 0 ? " closed" : ""}" data-consumer="${esc(e.consumer)}" data-source="${esc(e.source)}" x1="${num(x1)}" y1="${y1}" x2="${num(x2)}" y2="${y2}" stroke-width="${num(width)}" stroke-opacity="${num(opacity)}"><title>${esc(`${e.source} -> ${e.consumer}: ${e.gated ? `${e.open} of ${e.total} gates open, expected L0 ${e.expectedL0.toFixed(1)}` : "not gated"}`)}</title></line>`,
    );
    // Labels sit on the edge at a height that depends on the reader, so labels of crossing edges part.
    const t = 0.3 + (0.4 * (ci + 0.5)) / Math.max(1, s.consumers.length);
    const lx = x1 + (x2 - x1) * t;
    const ly = y1 + (y2 - y1) * t;
    labelParts.push(`<text class="edgelabel${e.gated && e.open === 0 ? " closed" : ""}" x="${num(lx)}" y="${num(ly + 3)}" text-anchor="middle">${esc(label)}</text>`);
  });
  const boxes = (names: string[], y: number, kind: string) =>
    names.forEach((name, i) => {
      const x = rowX(names.length, i);
      const shown = name.length > 25 ? `${name.slice(0, 24)}…` : name;
      parts.push(`<g class="box ${kind}"><rect x="${num(x)}" y="${y}" width="${box.w}" height="${box.h}" rx="4"><title>${esc(name)}</title></rect><text x="${num(x + box.w / 2)}" y="${y + 19}" text-anchor="middle">${esc(shown)}</text></g>`);
    });
  boxes(s.sources, srcY, "source");
  boxes(s.consumers, dstY, "consumer");
  return `<svg class="stage" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(s.label)}">${edgeParts.join("")}${labelParts.join("")}${parts.join("")}</svg>`;
}

/** A small HTML table. */
function htmlTable(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

const pct = (a: number, b: number) => (b === 0 ? "-" : `${((100 * a) / b).toFixed(1)}%`);

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:24px auto;max-width:1180px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:16px 0 4px}
.meta,.note{color:#666}.charts{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0;border:1px solid #eee;border-radius:6px;padding:4px}
svg text{font-size:11px;fill:#333}svg .cell text.light{fill:#fff}svg .cell text.dark{fill:#222}svg .title{font-size:12px;font-weight:600}svg .tick,svg .legend{font-size:10px;fill:#555}
.axis{stroke:#888}.grid{stroke:#eee}.series{fill:none;stroke-width:2}
.heatmap rect,.importance rect,.gates rect{stroke:#fff}.colhead{font-weight:600}.heatmap .cell.cut rect{stroke:#c33;stroke-width:2;stroke-dasharray:3,2}
.side{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}.side figure{border:0}figcaption{font-weight:600;margin-bottom:4px}
.edge{stroke:#1f4e99}.edge.closed{stroke:#c33;stroke-dasharray:3,3}.edgelabel{font-size:10px;paint-order:stroke;stroke:#fff;stroke-width:3px;fill:#123}.edgelabel.closed{fill:#c33}
svg.stage,svg.heatmap,svg.importance,svg.gates{max-width:100%;height:auto}.box rect{fill:#f3f6fb;stroke:#6b7f99}.box.consumer rect{fill:#fff7e6;stroke:#b38000}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #ddd;padding:3px 10px;text-align:right}th:first-child,td:first-child{text-align:left}th{background:#f6f6f6}
`;

/** Field selection (what each group reads) and permutation importance (what each task uses), side by side. */
function fieldsSection(x: Inspection): string {
  const fs = x.fieldSelection;
  const imp = x.importance;
  const notes: string[] = [];
  const figures: string[] = [];
  if ("unavailable" in fs) notes.push(`Field selection: ${fs.unavailable}.`);
  else {
    const cut = fs.selected ? " Outlined red: a selection the pruned export cuts (the group reads the field as 0 for every example)." : "";
    notes.push(`Field selection: the mean FSCM mask w = relu(tanh(g·e + b)) per field (rows) and group (columns) over ${fmt(fs.rows)} rows of ${fs.file}; 0 means the group ignores the field.${cut}`);
    figures.push(`<figure><figcaption>field selection</figcaption>${heatmap(fs)}</figure>`);
  }
  if ("unavailable" in imp) notes.push(`Permutation importance: ${imp.unavailable}.`);
  else {
    notes.push(`Permutation importance: how much worse each task (columns) gets when one field's values are shuffled across ${fmt(imp.rows)} rows of ${imp.file} (AUC or accuracy drop, RMSE rise; mean of ${imp.repeats} shuffles, seed ${imp.seed}); shaded relative to the task's largest.`);
    figures.push(`<figure><figcaption>permutation importance</figcaption>${importancePicture(imp)}</figure>`);
  }
  return `${notes.map((n) => `<p class="note">${esc(n)}</p>`).join("")}${figures.length ? `<div class="side">${figures.join("")}</div>` : ""}`;
}

/** The whole report page for a run: its inspection and its training history. */
export function renderReport(x: Inspection, history: EpochRecord[], tasks: string[], title = `mssmc report: ${x.model}`): string {
  const body: string[] = [];
  body.push(`<h1>${esc(title)}</h1><p class="meta">model ${esc(x.model)}, checkpoint ${esc(x.checkpoint)}, ${history.length} epoch(s) in metrics.jsonl</p>`);
  body.push(`<h2>Training</h2>${trainingCharts(history, tasks)}`);
  body.push(`<h2>Field selection and importance</h2>`, fieldsSection(x));
  if (!("unavailable" in x.gateUsage)) body.push(`<h2>Softmax gate usage</h2><p class="note">Mean weight g = softmax(q W + b) each reader (rows) gives each source (columns) over the rows; each row sums to 1.</p>${gateUsagePictures(x.gateUsage)}`);
  body.push(`<h2>Connections</h2><p class="note">Edge thickness and opacity: the fraction of its L0 gates still open (deterministic gate &gt; 0); label: open/total; red dashed: every gate closed.</p>`);
  for (const s of x.stages) {
    const gated = s.edges.filter((e) => e.gated);
    const open = gated.reduce((a, e) => a + e.open, 0);
    const total = gated.reduce((a, e) => a + e.total, 0);
    body.push(`<h3>${esc(`${s.label}: ${s.connect}`)}${total ? esc(` (${open} of ${total} gates open)`) : ""}</h3>${stagePicture(s)}`);
  }
  body.push(`<h2>Pruning</h2>`);
  const g = x.gates;
  body.push(`<p>${g.total ? esc(`L0 gates: ${fmt(g.open)} of ${fmt(g.total)} open (${pct(g.open, g.total)}), ${fmt(g.closed)} closed; expected L0 ${g.expectedL0.toFixed(1)}.`) : "No L0 gates."} ${esc(`Training graph: ${fmt(x.trained.params)} parameters (embedding tables excluded), ${fmt(x.trained.macs)} multiply-adds per example.`)}</p>`);
  const p = x.pruning;
  if ("unavailable" in p) body.push(`<p class="note">${esc(`The pruned export is not available: ${p.unavailable}`)}</p>`);
  else {
    body.push(`<p>${esc(`Exported model (weights and embedding tables), before and after removing what closed gates cut (${p.blocks} block(s), ${p.units} unit(s), ${p.fields.length} field(s)${p.fields.length ? `: ${p.fields.join(", ")}` : ""}):`)}</p>`);
    body.push(
      htmlTable(
        ["", "before", "after", "saved"],
        [
          ["parameters", fmt(p.params.before), fmt(p.params.after), pct(p.params.before - p.params.after, p.params.before)],
          ["multiply-adds / example", fmt(p.macs.before), fmt(p.macs.after), pct(p.macs.before - p.macs.after, p.macs.before)],
          ["graph nodes", fmt(p.nodes.before), fmt(p.nodes.after), pct(p.nodes.before - p.nodes.after, p.nodes.before)],
        ],
      ),
    );
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>
${body.join("\n")}
</body></html>
`;
}
