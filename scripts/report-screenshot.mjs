// Regenerates docs/report.png: `node scripts/report-screenshot.mjs report.html docs/report.png`.
// Opens the report in Debian's headless chromium and saves a full-page screenshot; fails if the page
// logs an error or makes a request (the report must be self-contained).
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const [html, out] = process.argv.slice(2);
if (!html || !out) {
  console.error("usage: node scripts/report-screenshot.mjs REPORT.html OUT.png");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("request", (r) => r.url() !== pathToFileURL(resolve(html)).href && problems.push(`request ${r.url()}`));
  await page.goto(pathToFileURL(resolve(html)).href);
  if (problems.length) throw new Error(problems.join("\n"));
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
