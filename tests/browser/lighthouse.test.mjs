// Lighthouse audits of the storefront's home, search and product pages: every category
// (performance, accessibility, best practices, SEO) scores at least 95. Lighthouse drives Debian's
// Chromium over the DevTools protocol; the browser resolves no host but 127.0.0.1, so nothing
// leaves the machine, and the test also checks that every request went to the test server.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import lighthouse from "lighthouse";

import { CHROMIUM, CHROMIUM_ARGS, slug } from "./lib/browser.mjs";
import { ARTIFACTS, startServer } from "./lib/server.mjs";

const MIN_SCORE = 95;
const CATEGORIES = ["performance", "accessibility", "best-practices", "seo"];
// What the storefront audit found wanting, each of which must now pass outright (or not apply).
const MUST_PASS = ["uses-text-compression", "uses-long-cache-ttl", "errors-in-console", "meta-description", "unused-javascript"];

/**
 * Starts headless Chromium with a DevTools port of its own choosing and no way to reach any host
 * but 127.0.0.1. Returns { port, stop() }.
 */
async function startChromium() {
  const profile = mkdtempSync(path.join(os.tmpdir(), "agora-lighthouse-"));
  const child = spawn(
    CHROMIUM,
    [
      ...CHROMIUM_ARGS,
      "--headless=new",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
      "--disable-default-apps",
      "--disable-extensions",
      "--disable-domain-reliability",
      "--metrics-recording-only",
      "--no-default-browser-check",
      "--mute-audio",
      "about:blank",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);
  const port = await new Promise((resolve, reject) => {
    let stderr = "";
    const timer = setTimeout(() => reject(new Error(`Chromium did not start:\n${stderr}`)), 30_000);
    child.stderr.on("data", (chunk) => {
      stderr += chunk.toString();
      const m = stderr.match(/DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${code}):\n${stderr}`));
    });
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    process.off("exit", killOnExit);
    rmSync(profile, { recursive: true, force: true });
  };
  return { port, stop };
}

/** The categories' scores (0–100) and, for each category under the bar, its failing audits. */
function summarize(lhr) {
  const scores = {};
  const failing = {};
  for (const id of CATEGORIES) {
    const category = lhr.categories[id];
    scores[id] = category ? Math.round(category.score * 100) : null;
    if (scores[id] === null || scores[id] < MIN_SCORE) {
      failing[id] = (category?.auditRefs ?? [])
        .filter((ref) => ref.weight > 0)
        .map((ref) => lhr.audits[ref.id])
        .filter((audit) => audit && audit.score !== null && audit.score < 1)
        .map((audit) => `${audit.id} (${audit.score}): ${audit.displayValue ?? audit.title}`);
    }
  }
  return { scores, failing };
}

/** Lighthouse's report of one page. */
async function audit(url, port) {
  const run = await lighthouse(url, {
    port,
    output: "json",
    logLevel: "error",
    onlyCategories: CATEGORIES,
    disableFullPageScreenshot: true,
    // The default: Lighthouse simulates a mid-range phone on a slow 4G network from one
    // unthrottled load, so no throttling is applied to the real browser or network.
    throttlingMethod: "simulate",
  });
  assert.ok(run?.lhr, `Lighthouse returned no result for ${url}`);
  assert.equal(run.lhr.runtimeError, undefined, `Lighthouse failed on ${url}: ${JSON.stringify(run.lhr.runtimeError)}`);
  return run.lhr;
}

describe("Lighthouse", () => {
  let server;
  let chromium;
  const pages = [];

  before(async () => {
    server = await startServer({ name: "lighthouse" });
    chromium = await startChromium();
    const search = "/search?q=grinder";
    const html = await (await fetch(new URL(search, server.baseURL))).text();
    const product = html.match(/href="(\/p\/[^"]+)"/);
    assert.ok(product, "the search for the demo grinder lists a product");
    pages.push({ name: "home", path: "/" }, { name: "search", path: search }, { name: "product", path: product[1] });
  });

  after(async () => {
    await chromium?.stop();
    await server?.stop();
  });

  test("home, search and product pages score at least 95 in every category", { timeout: 150_000 }, async () => {
    const results = [];
    for (const page of pages) {
      const url = new URL(page.path, server.baseURL).href;
      let lhr = await audit(url, chromium.port);
      // Performance is measured from one real load: on a busy machine a slow task can cost a few
      // points of blocking time. Such a page gets a second run, and its better performance counts.
      if (lhr.categories.performance.score * 100 < MIN_SCORE) {
        const again = await audit(url, chromium.port);
        if (again.categories.performance.score > lhr.categories.performance.score) lhr = again;
      }
      const { scores, failing } = summarize(lhr);
      for (const id of MUST_PASS) {
        const a = lhr.audits[id];
        if (a && a.score !== null && a.score < 1) (failing.audits ??= []).push(`${id} (${a.score}): ${a.displayValue ?? a.title}`);
      }
      const requests = lhr.audits["network-requests"]?.details?.items ?? [];
      assert.ok(requests.length > 0, `Lighthouse recorded no requests for ${url}`);
      const elsewhere = requests.map((r) => r.url).filter((u) => !u.startsWith(server.baseURL) && !u.startsWith("data:"));
      results.push({ page: page.name, url, scores, failing, elsewhere });
      if (Object.keys(failing).length > 0) {
        mkdirSync(ARTIFACTS, { recursive: true });
        writeFileSync(path.join(ARTIFACTS, `lighthouse-${slug(page.name)}.json`), JSON.stringify(lhr, null, 1));
      }
    }
    for (const r of results) console.log(`lighthouse ${r.page}: ${JSON.stringify(r.scores)}`);
    const problems = results.filter((r) => Object.keys(r.failing).length > 0 || r.elsewhere.length > 0);
    assert.deepEqual(
      problems.map((r) => ({ page: r.page, scores: r.scores, failing: r.failing, elsewhere: r.elsewhere })),
      [],
      `every category must score at least ${MIN_SCORE}, with no request outside the test server`,
    );
  });
});
