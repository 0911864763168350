// mssmc report: one self-contained HTML page, checked in a real headless browser (Debian's
// chromium through playwright-core): it loads from file:// with no console error and no request
// beyond itself, and its figures are there. Names in the spec are user input, so the model here
// uses names full of markup.

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileSpec } from "../../compiler/compile.js";
import { initialValue } from "../../compiler/ir/init.js";
import { loadSpec } from "../../compiler/load/load.js";
import { loadTrainingData } from "../../runtime/data/dataset.js";
import { inspectModel, type FieldSelection, type Inspection } from "../../runtime/inspect.js";
import { escapeHtml, parseMetrics, renderReport } from "../../runtime/report.js";
import type { EpochRecord } from "../../runtime/train.js";
import type { EmbeddingTable, TrainedModel } from "../../runtime/trained-model.js";
import { smallCsv, tempDir, writeTemp } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const FIELD = `<b>x & 'y'</b>`;
const GROUP = `<r>`;

const SPEC = `fields {
  "${FIELD}" numeric(column: x)
  c categorical(dim: 4)
}
tasks {
  y binary(label: y)
  r regression(label: r)
}
model "<i>gated</i>" {
  groups y, "${GROUP}"
  select fields per group
  level 1 { experts: mlp[8] relu, connect: cssm }
  towers { tower: mlp[4] relu }
}
`;

/** Three epochs of a made-up history. */
const HISTORY: EpochRecord[] = [1, 2, 3].map((epoch) => ({
  epoch,
  step: 10 * epoch,
  loss: 1.5 / epoch,
  task_loss: { y: 0.7 / epoch, r: 0.8 / epoch },
  l0: 30 - epoch,
  valid: { y: { auc: 0.8 + epoch / 100, logloss: 0.6 / epoch }, r: { rmse: 0.5 / epoch } },
  train_seconds: 1,
  seconds: 1,
  samples_per_second: 100,
}));

/** The inspection of a model with one closed block (y reading <r>'s input) and the rest open. */
async function inspection(): Promise<Inspection> {
  const spec = loadSpec(writeTemp("names.mssm", SPEC)).spec!;
  const loaded = await loadTrainingData(spec, writeTemp("small.csv", smallCsv(400)), {});
  const manifest = compileSpec(spec).manifest;
  const params = new Map<string, Float32Array>();
  for (const p of manifest.params) {
    const data = initialValue({ value: { name: p.name, dtype: p.dtype, shape: p.shape }, init: p.init, group: p.group, doc: p.doc }, 3) as Float32Array;
    if (p.name.endsWith("/log_alpha")) data.fill(p.name.startsWith("level1/y/expert0/gates/input/<r>/") ? -10 : 10);
    params.set(p.name, data);
  }
  const tables = new Map<string, EmbeddingTable>();
  for (const t of manifest.tables) tables.set(t.field, { rows: 5, dim: t.dim, data: Float32Array.from({ length: 5 * t.dim }, (_v, i) => Math.cos(i)) });
  const model: TrainedModel = { manifest, params, tables, preprocessing: loaded.preprocessing };
  return inspectModel(model, { checkpoint: "best", data: loaded.train });
}

describe("renderReport", () => {
  it("escapes every name and loads nothing from elsewhere", async () => {
    const x = await inspection();
    const html = renderReport(x, HISTORY, ["y", "r"]);
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect(html).not.toContain(FIELD);
    expect(html).not.toContain("<r>");
    expect(html).not.toContain("<i>");
    expect(html).toContain(escapeHtml(FIELD));
    expect(html).not.toMatch(/<script|https?:|src=|<link/);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    // Deterministic: the same inputs give the same page.
    expect(renderReport(x, HISTORY, ["y", "r"])).toBe(html);
  });

  it("shows field selection (cut selections outlined) next to permutation importance, and the softmax gates' usage", async () => {
    const x = await inspection();
    const fs = x.fieldSelection as FieldSelection;
    fs.selected = [
      [true, false],
      [true, true],
    ];
    const drop = [
      [0.2, 0.01],
      [0.05, 0.3],
    ];
    x.importance = { file: "t.csv", rows: 100, repeats: 3, seed: 1, tasks: ["y", GROUP], fields: [FIELD, "c"], metrics: ["auc", "rmse"], base: [0.9, 1], drop, std: drop, min: drop, max: drop };
    x.gateUsage = [{ label: "towers", consumer: "y", sources: ["e0", "e1"], mean: [0.25, 0.75] }];
    const html = renderReport(x, HISTORY, ["y", "r"]);
    expect(html).not.toContain("<r>");
    const side = html.slice(html.indexOf('<div class="side">'));
    expect(side.indexOf('<svg class="heatmap"')).toBeGreaterThan(0);
    expect(side.indexOf('<svg class="importance"')).toBeGreaterThan(side.indexOf('<svg class="heatmap"'));
    expect(html.match(/<g class="cell cut"/g)).toHaveLength(1);
    expect(html).toContain(`<g class="cell cut" data-field="${escapeHtml(FIELD)}" data-group="${escapeHtml(GROUP)}">`);
    expect(html).toContain(`<g class="cell" data-field="c" data-task="${escapeHtml(GROUP)}">`);
    expect(html).toContain(">0.300</text>");
    expect(html).toContain('<svg class="gates"');
    expect(html).toContain('<g class="cell" data-consumer="y" data-source="e1">');
    expect(html).toContain(">0.75</text>");
  });

  it("reads metrics.jsonl, skipping a torn last line", () => {
    const text = HISTORY.map((r) => JSON.stringify(r)).join("\n") + '\n{"epoch":4,"st';
    expect(parseMetrics(text).map((r) => r.epoch)).toEqual([1, 2, 3]);
  });
});

describe.skipIf(!existsSync(CHROMIUM) && !process.env["CI"])("the report in headless chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Opens `file` and collects console errors, page errors and every request. */
  async function open(file: string) {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    const failed: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (r) => requests.push(r.url()));
    page.on("requestfailed", (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
    const url = pathToFileURL(file).href;
    const response = await page.goto(url, { waitUntil: "load" });
    return { page, errors, requests, failed, url, ok: response?.ok() ?? false };
  }

  it("loads from file:// with no console error and no other request, and shows every figure", async () => {
    const file = join(tempDir(), "report.html");
    writeFileSync(file, renderReport(await inspection(), HISTORY, ["y", "r"]));
    const { page, errors, requests, failed, url, ok } = await open(file);
    expect(ok).toBe(true);
    expect(errors).toEqual([]);
    expect(failed).toEqual([]);
    expect(requests).toEqual([url]);
    // Two charts per task (loss, validation metric) and the L0 chart; the heatmap; level 1 and the towers.
    expect(await page.locator("svg.chart").count()).toBe(5);
    expect(await page.locator("svg.heatmap").count()).toBe(1);
    expect(await page.locator("svg.stage").count()).toBe(2);
    expect(await page.locator("svg").count()).toBe(8);
    // fields x groups cells, the names shown as text, not markup.
    expect(await page.locator("svg.heatmap g.cell").count()).toBe(2 * 2);
    expect(await page.locator(`svg.heatmap g.cell[data-field="${FIELD.replace(/"/g, '\\"')}"][data-group="${GROUP}"]`).count()).toBe(1);
    expect(await page.locator("svg.heatmap text.rowhead").allTextContents()).toEqual([FIELD, "c"]);
    expect(await page.locator("h1").textContent()).toBe("mssmc report: <i>gated</i>");
    expect(await page.locator("b, i, r").count()).toBe(0);
    // Edges: 4 at level 1 (one closed), 2 at the towers.
    expect(await page.locator("svg.stage line.edge").count()).toBe(6);
    expect(await page.locator("svg.stage line.edge.closed").count()).toBe(1);
    expect(await page.locator("svg.stage text.edgelabel").allTextContents()).toEqual(["8/8", "0/8", "8/8", "8/8", "dense", "dense"]);
    expect(await page.locator("table td").allTextContents()).toContain("parameters");
    await page.close();
  });
});
