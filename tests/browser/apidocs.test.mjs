// /api/docs (Swagger UI, a developer tool) works offline: everything it needs is served by Agora
// itself, it logs no console errors, no request fails, and it shows the API's title. It is exempt
// from the accessibility and page-weight checks of the storefront pages.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { launchBrowser, withHarness } from "./lib/browser.mjs";
import { assertText, assertVisible } from "./lib/flows.mjs";
import { startServer } from "./lib/server.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ name: "apidocs" });
  browser = await launchBrowser();
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: 60_000 });

test("/api/docs loads offline, without console errors or failed requests, and shows the Agora API", { timeout: 120_000 }, async (t) => {
  await withHarness(browser, server.baseURL, t, async (h) => {
    const context = await h.newContext("developer");
    const page = await context.newPage();
    const badResponses = [];
    page.on("response", (res) => {
      if (res.status() >= 400) badResponses.push(`${res.status()} ${res.request().method()} ${res.url()}`);
    });

    const response = await page.goto("/api/docs", { waitUntil: "load" });
    assert.equal(response.status(), 200, `/api/docs answered ${response.status()} at ${page.url()}`);
    await assertText(page.locator(".swagger-ui .info .title"), /^Agora API\b/, "the API title in Swagger UI");
    await assertVisible(page.locator(".swagger-ui .opblock").first(), "Swagger UI lists the API's operations");
    // Let everything the UI fetches after rendering arrive (or fail) before judging.
    await page.waitForLoadState("networkidle");

    assert.deepEqual(h.blocked, [], `/api/docs tried to reach other hosts:\n${h.blocked.map((b) => `  ${b.url}`).join("\n")}`);
    assert.deepEqual(
      h.failedRequests,
      [],
      `/api/docs had failed requests:\n${h.failedRequests.map((f) => `  ${f.url}: ${f.error}`).join("\n")}`,
    );
    assert.deepEqual(badResponses, [], `/api/docs had error responses:\n  ${badResponses.join("\n  ")}`);
    // Console errors (and, again, blocked requests) are checked by the harness when the body ends.
  });
});
