// Search as people expect it, in the browser on the demo marketplace: the search box suggests as
// you type (an ARIA combobox used by keyboard), a corrected typo says so and links to the exact
// words, the sort and the stock box apply when changed (and the Apply button works without
// JavaScript), pages go forward and back keeping the filters, filters show as readable chips that
// remove them, and a search with no results offers a way on. Each page is checked with axe-core
// (no serious or critical violation) and for sideways scroll at 390 px.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { assertFitsPhone, formatViolations, launchBrowser, runAxe, watchAssets, withHarness } from "./lib/browser.mjs";
import { assertText, assertVisible } from "./lib/flows.mjs";
import { startServer } from "./lib/server.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ name: "search" });
  browser = await launchBrowser();
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: 60_000 });

const run = (t, body) => withHarness(browser, server.baseURL, t, body);

/** The page's URL query. */
const query = (page) => new URL(page.url()).searchParams;

/** No serious or critical axe violation, no sideways scroll at 390 px, then back to 1280 px. */
async function checkPage(page, what) {
  const blocking = (await runAxe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.equal(blocking.length, 0, `${what}:\n${formatViolations(blocking)}`);
  await assertFitsPhone(page, what);
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** The titles of the results on the page. */
const titles = (page) => page.locator("ol.result-list .result-title a").allInnerTexts();

describe("search", { timeout: 180_000 }, () => {
  test("the search box suggests as you type and is used by keyboard", async (t) => {
    await run(t, async (h) => {
      const page = await (await h.newContext("buyer")).newPage();
      const assets = watchAssets(page);
      await page.goto("/");
      const box = page.getByRole("combobox", { name: "Search products" });
      await assertVisible(box, "the search box is a combobox once its script runs");
      assert.equal(await box.getAttribute("aria-expanded"), "false");
      const listId = await box.getAttribute("aria-controls");
      const list = page.locator(`#${listId}`);
      assert.equal(await list.getAttribute("role"), "listbox");

      await box.focus();
      await box.pressSequentially("nord", { delay: 40 });
      await assertVisible(list, "suggestions after typing");
      assert.equal(await box.getAttribute("aria-expanded"), "true");
      const options = list.getByRole("option");
      const words = await options.allInnerTexts();
      assert.ok(words.length > 0 && words.every((w) => w.startsWith("nord")), `suggestions complete "nord": ${words}`);
      assert.equal(await box.getAttribute("aria-activedescendant"), null, "nothing chosen before the arrows");
      await checkPage(page, "the home page with the suggestions open");
      await box.focus();
      if ((await box.getAttribute("aria-expanded")) !== "true") await box.press("ArrowDown");
      await assertVisible(list, "suggestions open again");

      // Arrows move through the options; the box says which one is active.
      await box.press("ArrowDown");
      const first = await options.first().getAttribute("id");
      assert.equal(await box.getAttribute("aria-activedescendant"), first);
      assert.equal(await options.first().getAttribute("aria-selected"), "true");
      await box.press("ArrowUp");
      const last = await options.last().getAttribute("id");
      assert.equal(await box.getAttribute("aria-activedescendant"), last, "up from the first wraps to the last");
      await box.press("ArrowDown");
      assert.equal(await box.getAttribute("aria-activedescendant"), first);

      // Escape closes the list and keeps the words; the arrow opens it again.
      await box.press("Escape");
      assert.equal(await box.getAttribute("aria-expanded"), "false");
      assert.equal(await list.isVisible(), false);
      assert.equal(await box.inputValue(), "nord");
      await box.press("ArrowDown");
      await assertVisible(list, "the arrow opens the list again");
      await box.press("ArrowDown");
      const chosen = (await options.first().innerText()).trim();

      // Enter searches for the active suggestion.
      await box.press("Enter");
      await page.waitForURL((url) => url.pathname === "/search" && url.searchParams.get("q") === chosen);
      assert.ok((await titles(page)).length > 0, `results for the suggestion "${chosen}"`);
      const weight = await assets.stop();
      assert.ok(weight.files.some((f) => /\/assets\/search\.[0-9a-f]+\.js$/.test(f.url)), "the search box's script loads");
      assert.ok(!weight.files.some((f) => /htmx/.test(f.url)), "no htmx on storefront pages");
      assert.ok(weight.total <= 100 * 1024, `CSS and JavaScript within 100 KB: ${weight.total} bytes`);
      await checkPage(page, "the results of a suggestion");
    });
  });

  test("a corrected typo says so, links to the exact words, and the exact words suggest the correction", async (t) => {
    await run(t, async (h) => {
      const page = await (await h.newContext("buyer")).newPage();
      await page.goto("/search?q=headphnes");
      await assertText(page.locator("#spelling"), /^Showing results for headphones\./);
      assert.ok((await titles(page)).some((x) => /headphones/i.test(x)));
      await checkPage(page, "results for a corrected typo");
      await page.getByRole("link", { name: "Search for headphnes exactly instead" }).click();
      await page.waitForURL((url) => url.searchParams.get("exact") === "true");
      assert.equal(await page.locator("ol.result-list").count(), 0, "no product has the misspelt word");
      await assertVisible(page.locator("#no-results"), "help instead of an empty page");
      await checkPage(page, "no results for the exact words");
      await page.locator("#did-you-mean").getByRole("link", { name: "headphones" }).click();
      await page.waitForURL((url) => url.searchParams.get("q") === "headphones" && !url.searchParams.has("exact"));
      assert.equal(await page.locator("#spelling").count(), 0, "a correct spelling is not corrected");
      assert.ok((await titles(page)).length > 0);
    });
  });

  test("sort and the stock box apply when changed, and chips remove the filters", async (t) => {
    await run(t, async (h) => {
      const page = await (await h.newContext("buyer")).newPage();
      await page.goto("/search?q=headphones");
      await page.getByLabel("Sort by").selectOption("price_desc");
      await page.waitForURL((url) => url.searchParams.get("sort") === "price_desc");
      assert.equal(query(page).get("q"), "headphones");
      await page.getByLabel("In stock only").check();
      await page.waitForURL((url) => url.searchParams.get("in_stock") === "true");
      assert.equal(query(page).get("sort"), "price_desc", "the stock box keeps the order");

      // A price range and a category from the panel: chips in words, the facets marked.
      const filters = page.getByRole("complementary", { name: "Filters" });
      const price = filters.locator(".facet-list").last().getByRole("link").first();
      await price.click();
      await page.waitForURL((url) => url.searchParams.has("min_price"));
      assert.equal(await filters.locator(".facet-list").last().getByRole("link").first().getAttribute("aria-current"), "true", "the chosen price range is marked");
      const chips = await filters.locator("#filter-chips a").allInnerTexts();
      assert.ok(chips.some((c) => /^In stock only/.test(c)), `chips: ${chips}`);
      assert.ok(chips.some((c) => /^Price (from|up to) \d[\d,]*\.\d\d EUR/.test(c)), `price in words: ${chips}`);
      assert.ok(chips.every((c) => !/cents|min_price|max_price/.test(c)), `no field names: ${chips}`);
      await filters.getByRole("link", { name: "Audio & Headphones", exact: true }).click();
      await page.waitForURL((url) => url.searchParams.get("category") === "audio");
      assert.equal(await filters.getByRole("link", { name: "Audio & Headphones", exact: true }).getAttribute("aria-current"), "true");
      await assertVisible(filters.getByRole("link", { name: /^Category: Audio & Headphones/ }), "the category by name");
      await checkPage(page, "results with chips");

      // Each chip removes its own filter and keeps the rest.
      await filters.getByRole("link", { name: /^In stock only/ }).click();
      await page.waitForURL((url) => !url.searchParams.has("in_stock"));
      assert.equal(query(page).get("category"), "audio");
      assert.equal(query(page).get("sort"), "price_desc");
      assert.equal(await page.getByLabel("In stock only").isChecked(), false);
      await filters.getByRole("link", { name: "Clear all filters" }).click();
      await page.waitForURL((url) => !url.searchParams.has("category") && !url.searchParams.has("min_price"));
      assert.equal(query(page).get("q"), "headphones");
      assert.equal(await filters.locator("#filter-chips").count(), 0);
    });
  });

  test("without JavaScript the Apply button sorts and the search box is a plain field", async (t) => {
    const context = await browser.newContext({ baseURL: server.baseURL, javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto("/search?q=headphones");
      assert.equal(await page.getByRole("combobox", { name: "Search products" }).count(), 0, "no combobox without its script");
      assert.equal(await page.getByRole("searchbox", { name: "Search products" }).count(), 1, "a plain search field");
      await page.getByLabel("Sort by").selectOption("price_asc");
      assert.equal(query(page).get("sort"), null, "nothing happens until Apply");
      await page.getByRole("button", { name: "Apply", exact: true }).click();
      await page.waitForURL((url) => url.searchParams.get("sort") === "price_asc");
      assert.equal(query(page).get("q"), "headphones");
    } finally {
      await context.close();
    }
  });

  test("pages go forward and back, by number too, keeping the sort and filters", async (t) => {
    await run(t, async (h) => {
      const page = await (await h.newContext("buyer")).newPage();
      await page.goto("/search?sort=price_asc&in_stock=true&limit=5");
      const nav = page.getByRole("navigation", { name: "Pages of results" });
      const first = await titles(page);
      assert.equal(first.length, 5);
      assert.equal(await nav.getByRole("link", { name: "Previous page" }).count(), 0, "no previous on the first page");
      assert.match(await nav.locator("[aria-current=page]").innerText(), /1$/, "page 1 is the current one");
      await nav.getByRole("link", { name: "Next page" }).click();
      await page.waitForURL((url) => url.searchParams.get("cursor") === "5");
      const second = await titles(page);
      assert.equal(second.length, 5);
      assert.ok(second.every((x) => !first.includes(x)), "the second page shows other products");
      assert.equal(query(page).get("sort"), "price_asc");
      assert.equal(query(page).get("in_stock"), "true");
      await checkPage(page, "the second page of results");
      await nav.getByRole("link", { name: "Page 3", exact: true }).click();
      await page.waitForURL((url) => url.searchParams.get("cursor") === "10");
      await nav.getByRole("link", { name: "Previous page" }).click();
      await page.waitForURL((url) => url.searchParams.get("cursor") === "5");
      assert.deepEqual(await titles(page), second);
      await nav.getByRole("link", { name: "Previous page" }).click();
      await page.waitForURL((url) => !url.searchParams.has("cursor"));
      assert.deepEqual(await titles(page), first, "back on the first page");
      assert.equal(query(page).get("sort"), "price_asc");
    });
  });

  test("a search with no results offers categories and dropping the filters", async (t) => {
    await run(t, async (h) => {
      const page = await (await h.newContext("buyer")).newPage();
      await page.goto("/search?q=zebra");
      const help = page.locator("#no-results");
      await assertText(help.getByRole("heading", { level: 2 }).first(), "Nothing found for “zebra”");
      assert.ok((await help.locator(".chips a").count()) > 0, "popular categories to browse");
      assert.equal(await page.locator("summary", { hasText: "Filter results" }).count(), 0, "no empty filter box");
      await checkPage(page, "no results");
      await page.goto("/search?q=grinder&category=audio");
      await page.locator("#no-results").getByRole("link", { name: "Search again without the filters" }).click();
      await page.waitForURL((url) => !url.searchParams.has("category"));
      assert.ok((await titles(page)).some((x) => /grinder/i.test(x)));
    });
  });
});
