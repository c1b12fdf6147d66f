// Headless Chromium (Debian's, driven by playwright-core) with guards that every test relies on:
// console errors and page errors are collected, requests to any host but 127.0.0.1 are blocked and
// recorded, and a failing test leaves screenshots in artifacts/.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { chromium } from "playwright-core";

import { ARTIFACTS } from "./server.mjs";

const require = createRequire(import.meta.url);

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** A file-name-safe version of a test or page name. */
export function slug(s) {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80);
}

/**
 * Whether a console message is the browser's own note that the *page document* came with an HTTP
 * error status (a 404 page, a form re-shown with 422). The tests check those statuses themselves;
 * any other console error, and any failed sub-resource, still counts.
 */
function isDocumentStatusNote(msg, documentStatuses) {
  const text = msg.text();
  if (!/^Failed to load resource: the server responded with a status of \d+/.test(text)) return false;
  const url = msg.location()?.url;
  if (!url) return false;
  return documentStatuses.has(url) || url === msg.page()?.url();
}

/**
 * Collects console errors and uncaught exceptions of a page or a whole context into `errors`
 * (objects with page, text, location).
 */
export function watchConsole(target, errors = [], label = "") {
  const documentStatuses = new Set();
  target.on("response", (res) => {
    if (res.request().isNavigationRequest() && res.status() >= 400) documentStatuses.add(res.url());
  });
  target.on("console", (msg) => {
    if (msg.type() !== "error") return;
    if (isDocumentStatusNote(msg, documentStatuses)) return;
    errors.push({ context: label, page: msg.page()?.url(), text: msg.text(), location: msg.location() });
  });
  if ("pages" in target) {
    target.on("weberror", (err) => {
      errors.push({ context: label, page: err.page()?.url(), text: `uncaught: ${err.error()?.stack || err.error()}` });
    });
  } else {
    target.on("pageerror", (err) => {
      errors.push({ context: label, page: target.url(), text: `uncaught: ${err.stack || err}` });
    });
  }
  return errors;
}

export function formatConsoleErrors(errors) {
  return errors
    .map(
      (e) =>
        `  ${e.context ? `[${e.context}] ` : ""}${e.page}: ${e.text}` +
        (e.location?.url ? ` (at ${e.location.url}:${e.location.lineNumber})` : ""),
    )
    .join("\n");
}

/**
 * One test's browser state: its contexts (one per logged-in person), what went wrong in them, and
 * screenshots when the test fails.
 */
export class Harness {
  constructor(browser, baseURL, name) {
    this.browser = browser;
    this.baseURL = baseURL;
    this.name = name;
    this.contexts = [];
    this.consoleErrors = [];
    this.blocked = [];
    this.failedRequests = [];
  }

  /** A fresh browser context (its own cookies) with the guards attached. */
  async newContext(label = `context-${this.contexts.length + 1}`) {
    const context = await this.browser.newContext({ baseURL: this.baseURL });
    context.setDefaultTimeout(15_000);
    context.setDefaultNavigationTimeout(30_000);
    context.label = label;
    // Offline: only 127.0.0.1 may be reached. Routing also turns the HTTP cache off, so every page
    // load fetches (and weighs) all its CSS and JavaScript.
    await context.route("**/*", (route) => {
      const url = route.request().url();
      let host = "";
      try {
        host = new URL(url).hostname;
      } catch {
        /* not a URL we can parse: block it */
      }
      if (host === "127.0.0.1") return route.continue();
      this.blocked.push({ context: label, url, from: route.request().frame()?.url?.() });
      return route.abort("blockedbyclient");
    });
    watchConsole(context, this.consoleErrors, label);
    context.on("requestfailed", (req) => {
      this.failedRequests.push({
        context: label,
        url: req.url(),
        error: req.failure()?.errorText,
      });
    });
    this.contexts.push(context);
    return context;
  }

  /** A context with one page, logged in through the login form (or anonymous with no email). */
  async newPage(label, email, password) {
    const context = await this.newContext(label);
    const page = await context.newPage();
    if (email) {
      const { login } = await import("./flows.mjs");
      await login(page, email, password);
    }
    return page;
  }

  /** Fails if any page logged a console error or tried to leave 127.0.0.1. */
  assertClean() {
    const problems = [];
    if (this.consoleErrors.length) {
      problems.push(
        `console errors:\n${formatConsoleErrors(this.consoleErrors)}`,
      );
    }
    if (this.blocked.length) {
      problems.push(
        `requests to hosts other than 127.0.0.1 (blocked):\n${this.blocked
          .map((b) => `  [${b.context}] ${b.url} (from ${b.from})`)
          .join("\n")}`,
      );
    }
    if (problems.length) throw new Error(problems.join("\n"));
  }

  /** Fails if any page tried to leave 127.0.0.1. */
  assertNoForeignRequests() {
    if (this.blocked.length) {
      throw new Error(
        `requests to hosts other than 127.0.0.1 (blocked):\n${this.blocked
          .map((b) => `  [${b.context}] ${b.url} (from ${b.from})`)
          .join("\n")}`,
      );
    }
  }

  /** Screenshots of every open page, into artifacts/. Returns the files written. */
  async screenshots(suffix = "failure") {
    const files = [];
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const context of this.contexts) {
      for (const [i, page] of context.pages().entries()) {
        if (page.isClosed()) continue;
        const file = path.join(
          ARTIFACTS,
          `${slug(this.name)}--${slug(context.label)}-${i + 1}--${suffix}.png`,
        );
        try {
          await page.screenshot({ path: file, fullPage: true, timeout: 10_000 });
          files.push(file);
        } catch (err) {
          writeFileSync(`${file}.txt`, `screenshot failed: ${err}`);
        }
      }
    }
    return files;
  }

  async close() {
    for (const context of this.contexts) {
      try {
        await context.close();
      } catch {
        /* already gone */
      }
    }
    this.contexts = [];
  }
}

/**
 * Runs a test body with a fresh harness; checks console errors and off-host requests at the end,
 * takes screenshots on failure, and always closes the contexts.
 */
export async function withHarness(browser, baseURL, t, body) {
  const h = new Harness(browser, baseURL, t.name);
  try {
    await body(h);
    h.assertClean();
  } catch (err) {
    const files = await h.screenshots();
    if (files.length) t.diagnostic(`screenshots: ${files.join(", ")}`);
    throw err;
  } finally {
    await h.close();
  }
}

/** Runs axe-core in the page (evaluated through the DevTools protocol, so the page's CSP allows it). */
export async function runAxe(page) {
  const loaded = await page.evaluate(() => typeof window.axe === "object");
  if (!loaded) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({
        target: n.target.join(" "),
        html: n.html,
        impact: n.impact,
        summary: n.failureSummary,
      })),
    }));
  });
}

/** The serious and critical violations, one readable block each. */
export function formatViolations(violations) {
  return violations
    .map(
      (v) =>
        `  ${v.impact} ${v.id}: ${v.help} (${v.helpUrl})\n` +
        v.nodes
          .map(
            (n) =>
              `    - ${n.target}\n      ${n.html.slice(0, 200)}\n      ${(n.summary || "").replace(/\n/g, "\n      ")}`,
          )
          .join("\n"),
    )
    .join("\n");
}

/**
 * Watches a page's CSS and JavaScript responses. `stop()` waits for their bodies and returns
 * { total, files: [{url, type, bytes}] }, bytes as delivered to the page (decoded).
 */
export function watchAssets(page) {
  const pending = [];
  const onResponse = (res) => {
    const type = res.request().resourceType();
    const contentType = (res.headers()["content-type"] || "").toLowerCase();
    const isCss = type === "stylesheet" || contentType.includes("text/css");
    const isJs = type === "script" || /javascript|ecmascript/.test(contentType);
    if (!isCss && !isJs) return;
    pending.push(
      res
        .body()
        .then((b) => b.length)
        .catch(async () => Number(res.headers()["content-length"] || 0))
        .then((bytes) => ({ url: res.url(), type: isCss ? "css" : "js", bytes })),
    );
  };
  page.on("response", onResponse);
  return {
    async stop() {
      page.off("response", onResponse);
      const files = await Promise.all(pending);
      return { total: files.reduce((n, f) => n + f.bytes, 0), files };
    },
  };
}

/**
 * The page's Largest Contentful Paint in milliseconds after navigation started, from Chromium's
 * performance timeline (the last `largest-contentful-paint` entry so far; call it after the load,
 * before any input, which ends the measurement). 0 when Chromium recorded none.
 */
export async function largestContentfulPaint(page) {
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        let largest = 0;
        const observer = new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) largest = Math.max(largest, entry.startTime);
        });
        // Buffered entries arrive in a task of their own: wait two frames and a tick for them.
        observer.observe({ type: "largest-contentful-paint", buffered: true });
        requestAnimationFrame(() =>
          requestAnimationFrame(() =>
            setTimeout(() => {
              for (const entry of observer.takeRecords()) largest = Math.max(largest, entry.startTime);
              observer.disconnect();
              resolve(largest);
            }, 50),
          ),
        );
      }),
  );
}

/** The phone width every page must fit without scrolling sideways. */
export const PHONE_WIDTH = 390;

/**
 * Sets the page to a phone's viewport (390 × 844) and returns how wide the document is there
 * (`document.documentElement.scrollWidth`): more than 390 means it scrolls sideways.
 */
export async function widthOnPhone(page) {
  await page.setViewportSize({ width: PHONE_WIDTH, height: 844 });
  // Let the layout settle after the resize (media queries, wrapped rows).
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  return page.evaluate(() => document.documentElement.scrollWidth);
}

/** Fails when the page scrolls sideways at a phone's width; `what` names it in the message. */
export async function assertFitsPhone(page, what) {
  const width = await widthOnPhone(page);
  if (width > PHONE_WIDTH) {
    const wide = await page.evaluate((limit) => {
      // The widest elements that stick out, to say what to fix.
      return [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > limit + 0.5)
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${el.className && typeof el.className === "string" ? `.${el.className.trim().split(/\s+/).join(".")}` : ""} (${Math.round(el.getBoundingClientRect().right)} px)`);
    }, PHONE_WIDTH);
    throw new Error(`${what} is ${width} px wide at a ${PHONE_WIDTH} px viewport; sticking out: ${wide.join(", ")}`);
  }
}
