// The catalog through the pages: a buyer searches (typo, facets, sort, filter chips) and opens a
// product; compares sellers of the same item by total price; a seller lists a product with the
// seller centre's form, sets its stock, and finds it in search. Every page must be free of console
// errors and must not reach for any host but 127.0.0.1.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { assertFitsPhone, launchBrowser, withHarness } from "./lib/browser.mjs";
import { assertText, assertVisible, unique } from "./lib/flows.mjs";
import { DEMO, startServer } from "./lib/server.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ name: "catalog" });
  browser = await launchBrowser();
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: 60_000 });

const run = (t, body) => withHarness(browser, server.baseURL, t, body);

/** "1462.80 EUR" → { cents: 146280, currency: "EUR" }; fails on anything else. */
function money(text) {
  const m = /^(-?\d+)(?:\.(\d{1,2}))?\s+([A-Z]{3})$/.exec(text.trim().replaceAll(",", ""));
  assert.ok(m, `not an amount: ${JSON.stringify(text)}`);
  const cents = Math.abs(Number(m[1])) * 100 + Number((m[2] || "0").padEnd(2, "0"));
  return { cents: m[1].startsWith("-") ? -cents : cents, currency: m[3] };
}

const formatCents = (c) => `${Math.trunc(c / 100)}.${String(Math.abs(c % 100)).padStart(2, "0")}`;

/** The page's URL query, as a URLSearchParams. */
const query = (page) => new URL(page.url()).searchParams;

/** The header's search box: types the words and submits; ends on the results page. */
async function searchFromHeader(page, words) {
  const box = page.getByRole("search");
  await box.getByLabel("Search products").fill(words);
  await box.getByRole("button", { name: "Search" }).click();
  await page.waitForURL((url) => url.pathname === "/search" && url.searchParams.get("q") === words);
}

/** The number in the results count line ("6 products"). */
async function countLine(page) {
  const text = await assertText(page.locator("#results-count"), /^\d+ products?$/, "the results count line");
  return Number(text.split(" ")[0]);
}

/** The results shown on the page: title, link, highlighted words, price text. */
async function resultsOnPage(page) {
  return page.locator("ol.result-list > li.result").evaluateAll((items) =>
    items.map((li) => {
      const a = li.querySelector(".result-title a");
      return {
        title: a?.textContent.trim(),
        href: a?.getAttribute("href"),
        marks: [...li.querySelectorAll("mark")].map((m) => m.textContent),
        price: li.querySelector(".price")?.textContent.trim(),
      };
    }),
  );
}

/**
 * Every result of the page's search, following "Next page" in a second tab of the same context
 * (so the page under test stays where it is).
 */
async function allResults(page) {
  const results = await resultsOnPage(page);
  const moreLink = page.getByRole("link", { name: "Next page" });
  let next = (await moreLink.count()) ? await moreLink.getAttribute("href") : null;
  if (!next) return results;
  const tab = await page.context().newPage();
  try {
    for (let hops = 0; next && hops < 50; hops++) {
      await tab.goto(next);
      results.push(...(await resultsOnPage(tab)));
      const more = tab.getByRole("link", { name: "Next page" });
      next = (await more.count()) ? await more.getAttribute("href") : null;
    }
  } finally {
    await tab.close();
  }
  return results;
}

/** The rows of the "Compare sellers" table. */
async function offerRows(page) {
  const rows = await page.locator("#offers-table tbody tr").evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td, i) => (i === 0 ? td.querySelector("a") ?? td : td).textContent.trim())),
  );
  return rows.map(([seller, unit, shipping, total, stock]) => ({
    seller,
    unit: money(unit),
    shipping: shipping === "—" ? null : money(shipping),
    total: money(total),
    stock,
  }));
}

const describeOffers = (rows) =>
  rows.map((r) => `${r.seller}: ${formatCents(r.unit.cents)} + ${r.shipping ? formatCents(r.shipping.cents) : "—"} = ${formatCents(r.total.cents)} ${r.total.currency}`).join("; ");

/** Uses the "Compare sellers" form; waits for the page with those values. */
async function compare(page, { quantity, country }) {
  const offers = page.getByRole("region", { name: "Compare sellers" });
  if (quantity !== undefined) await offers.getByLabel("Quantity").fill(String(quantity));
  if (country !== undefined) await offers.getByLabel("Ship to").selectOption(country);
  await offers.getByRole("button", { name: "Compare" }).click();
  await page.waitForURL(
    (url) =>
      (quantity === undefined || url.searchParams.get("quantity") === String(quantity)) &&
      (country === undefined || url.searchParams.get("country") === country),
  );
  await page.waitForLoadState("load");
}

/** Submits the "List a product" form; expects the given status and the form again (or not). */
async function submitNewProduct(page, shopPath, status) {
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && r.request().isNavigationRequest()),
    page.getByRole("button", { name: "List product" }).click(),
  ]);
  assert.equal(res.status(), status, `submitting the new product form answered ${res.status()}`);
  await page.waitForLoadState("load");
  assert.equal(new URL(page.url()).pathname, `${shopPath}/products/new`);
}

/**
 * The new-product form's price and SKU errors: each { shown, text, ok, detail }, ok when the error
 * is next to its field and the field is marked invalid and described by it; `all` lists every error.
 */
async function fieldErrors(page) {
  const out = {};
  for (const field of ["price", "sku"]) {
    const input = page.locator(`#${field}`);
    const error = page.locator(".field", { has: input }).locator(`#${field}-error`);
    const text = (await error.count()) ? (await error.innerText()).trim() : null;
    const invalid = await input.getAttribute("aria-invalid");
    const describedBy = await input.getAttribute("aria-describedby");
    out[field] = {
      shown: !!text,
      text,
      ok: !!text && invalid === "true" && describedBy === `${field}-error`,
      detail:
        `expected an error in #${field}-error next to #${field}, aria-invalid="true", aria-describedby="${field}-error"; ` +
        `got error ${JSON.stringify(text)}, aria-invalid=${JSON.stringify(invalid)}, aria-describedby=${JSON.stringify(describedBy)}`,
    };
  }
  out.all = JSON.stringify(
    await page.locator(".field-error").evaluateAll((ps) => ps.map((p) => `${p.id}: ${p.textContent.trim()}`)),
  );
  return out;
}

describe("catalog", { timeout: 180_000 }, () => {
  test("a buyer searches with a typo, filters by category, sorts by price, removes the filter and opens a product", async (t) => {
    await run(t, async (h) => {
      const page = await (await h.newContext("buyer")).newPage();
      await page.goto("/");
      await searchFromHeader(page, "headphnes");
      await assertText(page.getByRole("heading", { level: 1 }), "Results for “headphnes”");
      assert.equal(await page.getByRole("search").getByLabel("Search products").inputValue(), "headphnes", "the search box keeps the words");

      const unfiltered = await allResults(page);
      const unfilteredCount = await countLine(page);
      assert.equal(unfiltered.length, unfilteredCount, `the count line says ${unfilteredCount}, the list has ${unfiltered.length}`);
      const headphones = unfiltered.filter((r) => /headphones/i.test(r.title));
      assert.ok(
        headphones.length > 0,
        `the typo "headphnes" finds a headphones product; found: ${unfiltered.map((r) => r.title).join(" | ")}`,
      );
      assert.ok(
        unfiltered.some((r) => r.marks.some((m) => /^headphone/i.test(m))),
        `the matched words are highlighted with <mark>; marks: ${JSON.stringify(unfiltered.map((r) => r.marks))}`,
      );
      for (const r of unfiltered) assert.match(r.href, /^\/p\/[^/]+$/, `result "${r.title}" links to its product page`);

      // The category facet.
      const filters = page.getByRole("complementary", { name: "Filters" });
      const audio = filters.getByRole("link", { name: "Audio & Headphones", exact: true });
      const facetCount = Number(
        (await audio.locator("xpath=following-sibling::span[1]").innerText()).replace(/[()]/g, ""),
      );
      await audio.click();
      await page.waitForURL((url) => url.searchParams.get("category") === "audio");
      assert.equal(query(page).get("q"), "headphnes", "the facet link keeps the search words");
      assert.equal(
        await filters.getByRole("link", { name: "Audio & Headphones", exact: true }).getAttribute("aria-current"),
        "true",
        "the chosen category is marked current",
      );
      const inAudio = await allResults(page);
      const audioCount = await countLine(page);
      assert.equal(inAudio.length, audioCount, `with category=audio the count line says ${audioCount}, the list has ${inAudio.length}`);
      assert.equal(audioCount, facetCount, `the facet promised ${facetCount} results, the page has ${audioCount}`);
      assert.ok(audioCount > 0 && audioCount <= unfilteredCount, `a filter narrows: ${audioCount} of ${unfilteredCount}`);
      const chip = filters.getByRole("link", { name: /^Category: Audio & Headphones/ });
      await assertVisible(chip, "an active-filter chip for the category");

      // Sort by price with the form (it applies as soon as it changes); the filter stays.
      await page.getByLabel("Sort by").selectOption({ label: "Price: low to high" });
      await page.waitForURL((url) => url.searchParams.get("sort") === "price_asc");
      assert.equal(query(page).get("category"), "audio", "sorting keeps the category filter");
      assert.equal(query(page).get("q"), "headphnes", "sorting keeps the search words");
      assert.equal(await page.getByLabel("Sort by").inputValue(), "price_asc", "the sort form shows the chosen order");
      const sorted = await allResults(page);
      assert.equal(sorted.length, audioCount, "sorting changes the order, not the results");
      const prices = sorted.map((r) => money(r.price));
      assert.ok(prices.every((p) => p.currency === prices[0].currency), `one currency: ${sorted.map((r) => r.price)}`);
      for (let i = 1; i < prices.length; i++) {
        assert.ok(
          prices[i - 1].cents <= prices[i].cents,
          `prices ascend with "Price: low to high": ${sorted.map((r) => `${r.title} ${r.price}`).join(" | ")}`,
        );
      }

      // Remove the category with its chip: back to all results, still sorted.
      await filters.getByRole("link", { name: /^Category: Audio & Headphones/ }).click();
      await page.waitForURL((url) => !url.searchParams.has("category"));
      assert.equal(query(page).get("q"), "headphnes", "removing the filter keeps the search words");
      assert.equal(query(page).get("sort"), "price_asc", "removing the filter keeps the sort order");
      assert.equal(await countLine(page), unfilteredCount, "without the filter the count is back to the unfiltered one");
      assert.equal((await allResults(page)).length, unfilteredCount);
      assert.equal(await filters.getByRole("link", { name: /^Category: / }).count(), 0, "no category chip is left");

      // Open a product.
      const link = page.locator("ol.result-list .result-title a").filter({ hasText: /headphones/i }).first();
      const title = (await link.innerText()).trim();
      const href = await link.getAttribute("href");
      await link.click();
      await page.waitForURL((url) => url.pathname === href);
      await assertText(page.getByRole("heading", { level: 1 }), title, "the product page's heading");
      assert.equal(await page.title(), `${title} · Agora`);
    });
  });

  test("browsing all products pages through them with Next page, in price order", async (t) => {
    await run(t, async (h) => {
      const page = await (await h.newContext("buyer")).newPage();
      await page.goto("/");
      await page.getByRole("link", { name: "Browse products" }).click();
      await page.waitForURL((url) => url.pathname === "/search");
      await assertText(page.getByRole("heading", { level: 1 }), "All products");
      await page.getByLabel("Sort by").selectOption("price_asc");
      await page.waitForURL((url) => url.searchParams.get("sort") === "price_asc");
      const total = await countLine(page);
      const seen = await resultsOnPage(page);
      assert.ok(seen.length < total, `the first page shows part of the ${total} products (${seen.length})`);
      for (let pages = 1; ; pages++) {
        const more = page.getByRole("link", { name: "Next page" });
        if ((await more.count()) === 0) break;
        assert.ok(pages < 20, "Next page ends");
        await more.click();
        await page.waitForURL((url) => url.searchParams.has("cursor"));
        await page.waitForLoadState("load");
        assert.equal(query(page).get("sort"), "price_asc", "the next page keeps the order");
        assert.equal(await countLine(page), total, "every page counts the same total");
        seen.push(...(await resultsOnPage(page)));
      }
      const hrefs = seen.map((r) => r.href);
      assert.equal(new Set(hrefs).size, hrefs.length, `no product twice across pages: ${hrefs.join(" ")}`);
      assert.equal(seen.length, total, `all ${total} products across the pages`);
      const cents = seen.map((r) => money(r.price).cents);
      for (let i = 1; i < cents.length; i++) {
        assert.ok(cents[i - 1] <= cents[i], `prices ascend across pages: ${seen.map((r) => r.price).join(", ")}`);
      }
    });
  });

  test("a bad search parameter gives a 422 page with an alert", async (t) => {
    await run(t, async (h) => {
      const page = await (await h.newContext("buyer")).newPage();
      const response = await page.goto("/search?q=headphones&sort=bogus");
      assert.equal(response.status(), 422);
      await assertText(page.getByRole("alert"), /sort/, "the alert names the bad parameter");
      assert.equal(await page.locator("ol.result-list > li").count(), 0, "no results with a bad parameter");
      // The form still works: choosing a valid order applies it and gets results again.
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.request().isNavigationRequest()),
        page.getByLabel("Sort by").selectOption("price_asc"),
      ]);
      assert.equal(res.status(), 200, `after choosing a valid order: ${res.url()}`);
      await page.waitForLoadState("load");
      assert.ok((await countLine(page)) > 0, "results after fixing the order");
    });
  });

  test("comparing sellers of the grinder orders the offers by total price, with volume prices", async (t) => {
    await run(t, async (h) => {
      const page = await (await h.newContext("buyer")).newPage();
      await page.goto("/");
      await searchFromHeader(page, "grinder");
      const link = page.locator("ol.result-list .result-title a").filter({ hasText: "Burr coffee grinder" }).first();
      await assertVisible(link, "the grinder is found");
      await link.click();
      await page.waitForURL(/\/p\/[^/?]+$/);
      await assertText(page.getByRole("heading", { level: 1 }), "Burr coffee grinder");

      // Shipping to Germany, one unit.
      await compare(page, { country: "DE" });
      const offers = page.getByRole("region", { name: "Compare sellers" });
      assert.equal(await offers.getByLabel("Ship to").inputValue(), "DE", "the form keeps the country");
      // The country is a choice among real ISO 3166-1 codes, by name.
      const codes = await offers.getByLabel("Ship to").locator("option").evaluateAll((os) => os.map((o) => o.value));
      assert.ok(codes.length > 240 && codes.includes("AT") && !codes.includes("ZZ"), `ISO codes only: ${codes.length}`);
      await assertText(offers.getByLabel("Ship to").locator("option:checked"), "Germany");
      // The breadcrumbs name the category (not its slug).
      const crumbs = await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link").allInnerTexts();
      assert.equal(crumbs[0], "Home", JSON.stringify(crumbs));
      assert.ok(crumbs.length >= 2 && crumbs.slice(1).every((c) => /^[A-Z]/.test(c) && !/^[a-z0-9-]+$/.test(c)), `category names: ${JSON.stringify(crumbs)}`);
      assert.equal(await offers.getByRole("alert").count(), 0, "no error above the offers");
      const one = await offerRows(page);
      assert.deepEqual(
        one.map((r) => [r.seller, `${formatCents(r.total.cents)} ${r.total.currency}`]),
        [
          ["Nordlicht Electronics", "153.90 EUR"],
          ["Hanse Provisions", "159.00 EUR"],
        ],
        `offers for 1 unit to DE: ${describeOffers(one)}`,
      );
      for (const r of one) {
        assert.equal(r.total.cents, r.unit.cents + (r.shipping?.cents ?? 0), `total = price + shipping for ${r.seller}`);
      }
      const hanseUnit = one.find((r) => r.seller === "Hanse Provisions").unit.cents;
      const nordlichtUnit = one.find((r) => r.seller === "Nordlicht Electronics").unit.cents;

      // Ten units: Hanse's 10+ tier is 8 % off, which makes it the cheaper total.
      await compare(page, { quantity: 10 });
      assert.equal(query(page).get("country"), "DE", "the country stays when the quantity changes");
      assert.equal(await offers.getByLabel("Quantity").inputValue(), "10", "the form keeps the quantity");
      const ten = await offerRows(page);
      assert.equal(ten.length, 2, `two offers for 10 units: ${describeOffers(ten)}`);
      const hanse = ten.find((r) => r.seller === "Hanse Provisions");
      const nordlicht = ten.find((r) => r.seller === "Nordlicht Electronics");
      assert.ok(hanse && nordlicht, `both sellers offer 10 units: ${describeOffers(ten)}`);
      assert.equal(hanse.unit.cents, Math.round(hanseUnit * 0.92), `Hanse's unit price from 10 units (8 % off ${formatCents(hanseUnit)})`);
      assert.equal(formatCents(hanse.unit.cents), "146.28");
      assert.equal(nordlicht.unit.cents, nordlichtUnit, "Nordlicht has no volume price");
      for (const r of ten) {
        assert.equal(
          r.total.cents,
          r.unit.cents * 10 + (r.shipping?.cents ?? 0),
          `total = 10 × unit price + shipping for ${r.seller}: ${describeOffers(ten)}`,
        );
      }
      for (let i = 1; i < ten.length; i++) {
        assert.ok(ten[i - 1].total.cents <= ten[i].total.cents, `offers ordered by total, cheapest first: ${describeOffers(ten)}`);
      }
      assert.deepEqual(ten.map((r) => r.seller), ["Hanse Provisions", "Nordlicht Electronics"], describeOffers(ten));
      // Totals over a thousand have thousands separators.
      const totals = await page.locator("#offers-table tbody tr td:nth-child(4)").allInnerTexts();
      assert.ok(totals.every((x) => /^\d{1,3}(,\d{3})+\.\d\d EUR$/.test(x.trim())), `separated totals: ${JSON.stringify(totals)}`);
      for (const x of await page.locator("#offers-table .offer-short").allInnerTexts()) {
        assert.ok(Number(/\d+/.exec(x)[0]) < 10, `only sellers with fewer than 10 are flagged: ${x}`);
      }

      // More than any seller has: each short seller is flagged, and the page says so.
      await compare(page, { quantity: 900000 });
      await assertVisible(page.locator("#offers-short"), "a warning when the quantity is more than a seller has");
      const short = await page.locator("#offers-table .offer-short").allInnerTexts();
      assert.ok(short.length >= 1 && short.every((x) => /^Only \d+ in stock$/.test(x)), JSON.stringify(short));
      await compare(page, { quantity: 10 });

      // Hanse's own product page lists its volume prices.
      await offers.getByRole("link", { name: "Hanse Provisions" }).click();
      await page.waitForURL(/\/p\/[^/?]+$/);
      await assertText(page.getByRole("heading", { level: 1 }), "Burr coffee grinder");
      const variants = page.getByRole("region", { name: "Variants and prices" });
      const tiers = await variants.locator("ul.tiers li").allInnerTexts();
      assert.ok(tiers.includes("from 10: 146.28 EUR"), `a 10+ volume price: ${JSON.stringify(tiers)}`);
      assert.ok(tiers.some((t) => /^from 50: \d+\.\d\d EUR$/.test(t)), `a 50+ volume price: ${JSON.stringify(tiers)}`);
      await assertText(page.getByRole("region", { name: "Sold by" }).getByRole("link"), "Hanse Provisions");
    });
  });

  test("a seller lists a product through the seller centre, sets its stock, and finds it in search", async (t) => {
    await run(t, async (h) => {
      const deferred = [];
      const page = await h.newPage("nora", DEMO.seller);

      // Her shop, from the account page.
      const shopLink = page.getByRole("region", { name: "Your shops" }).getByRole("link", { name: "Nordlicht Electronics" });
      const shopPath = await shopLink.getAttribute("href");
      assert.match(shopPath, /^\/sell\/shops\/[^/]+$/);
      await shopLink.click();
      await page.waitForURL((url) => url.pathname === shopPath);
      await page.getByRole("main").getByRole("link", { name: "Products", exact: true }).click();
      await page.waitForURL((url) => url.pathname === `${shopPath}/products`);
      await assertText(page.getByRole("heading", { level: 1 }), "Products of Nordlicht Electronics");

      await page.getByRole("link", { name: "List a product" }).click();
      await page.waitForURL((url) => url.pathname === `${shopPath}/products/new`);
      await assertText(page.getByRole("heading", { level: 1 }), "List a product");

      const title = `Lumen desk lamp ${unique("zq").replace(/-/g, " ")}`;
      const sku = unique("LAMP").toUpperCase();
      await page.getByLabel("Title").fill(title);
      await page.getByLabel("Description").fill("A warm desk lamp, listed by the browser tests.");
      await page.getByLabel("Category").selectOption("audio");
      await page.getByLabel("SKU").fill("");
      await page.getByLabel("Price").fill("12.505");
      await page.getByLabel("Stock").fill("5");
      await page.getByRole("group", { name: "Publish" }).getByRole("radio", { name: /^Active/ }).check();
      // Wrong twice over: a price with three decimals and no SKU.
      await submitNewProduct(page, shopPath, 422);
      const afterBoth = await fieldErrors(page);
      assert.ok(afterBoth.price.ok, `the price error next to its field: ${afterBoth.price.detail}; errors: ${afterBoth.all}`);
      assert.match(afterBoth.price.text, /decimal/i, "the price error says what is wrong");
      assert.equal(await page.getByLabel("Title").inputValue(), title, "the typed title is kept");
      assert.equal(await page.getByLabel("Price").inputValue(), "12.505", "the typed price is kept");
      assert.equal(await page.getByLabel("Category").inputValue(), "audio", "the chosen category is kept");
      assert.equal(await page.getByLabel("Stock").inputValue(), "5", "the typed stock is kept");
      // Checked at the end, so that the rest of the journey still runs when this one fails.
      if (!afterBoth.sku.ok) {
        deferred.push(
          `After submitting price "12.505" and an empty SKU together, only some errors were shown: ` +
            `SKU: ${afterBoth.sku.detail}; errors on the page: ${afterBoth.all}`,
        );
      }

      // The price fixed, the SKU still empty: now the SKU's error.
      await page.getByLabel("Price").fill("12.50");
      await submitNewProduct(page, shopPath, 422);
      const afterSku = await fieldErrors(page);
      assert.ok(afterSku.sku.ok, `the SKU error next to its field: ${afterSku.sku.detail}; errors: ${afterSku.all}`);
      assert.ok(!afterSku.price.shown, `no price error once the price is valid: ${afterSku.all}`);
      assert.equal(await page.getByLabel("Title").inputValue(), title, "the typed title is kept");
      assert.equal(await page.getByLabel("Price").inputValue(), "12.50", "the typed price is kept");

      // Fixed: listed, and on its edit page.
      await page.getByLabel("SKU").fill(sku);
      await page.getByRole("button", { name: "List product" }).click();
      await page.waitForURL(/\/sell\/products\/[^/?]+\?created=1$/);
      const productId = new URL(page.url()).pathname.split("/").pop();
      await assertText(page.getByRole("status"), "The product is listed.");
      await assertText(page.getByRole("heading", { level: 1 }), title);
      await assertText(page.locator("#product-status"), "On sale");

      // Stock 42, with a reason: every box of the stock form says what it is.
      const panel = page.locator(".variant-panel").filter({ hasText: sku });
      await assertVisible(panel, "the new variant has its panel");
      const stockForm = panel.getByRole("form", { name: /^Stock of / });
      await stockForm.getByLabel("Units in stock").fill("42");
      await stockForm.getByLabel(/^Reason for the change/).fill("first count");
      await assertVisible(stockForm.getByLabel(/^Warn me at/), "the low-stock level is labelled");
      await stockForm.getByRole("button", { name: /^Update stock/ }).click();
      await page.waitForURL(new RegExp(`/sell/products/${productId}\\?saved=1(#.*)?$`));
      await assertText(page.getByRole("status"), "Saved.");
      const saved = page.locator(".variant-panel").filter({ hasText: sku });
      assert.equal(await saved.getByLabel("Units in stock").inputValue(), "42");

      // A new price: a recorded change, on the product page at once.
      const priceForm = saved.getByRole("form", { name: /^Price and options of / });
      await priceForm.getByLabel("Price in EUR").fill("14.90");
      await priceForm.getByRole("button", { name: /^Save price and options/ }).click();
      await page.waitForURL(new RegExp(`/sell/products/${productId}\\?saved=1(#.*)?$`));
      assert.equal(await page.locator(".variant-panel").filter({ hasText: sku }).getByLabel("Price in EUR").inputValue(), "14.90");
      await assertFitsPhone(page, "the product edit page");
      await page.setViewportSize({ width: 1280, height: 800 });

      // The listing shows its status and each variant's stock.
      await page.getByRole("link", { name: "← Products of Nordlicht Electronics" }).click();
      await page.waitForURL((url) => url.pathname === `${shopPath}/products`);
      const listed = page.getByRole("list", { name: "Your products" }).getByRole("listitem").filter({ hasText: title });
      await assertVisible(listed.getByRole("link", { name: title, exact: true }), "the new product in the shop's list");
      await assertText(listed.locator(".badge").first(), "On sale");
      await assertText(listed.getByRole("row").filter({ hasText: sku }).locator("td.stock"), /^42\b/);
      await assertFitsPhone(page, "the seller's product list");
      await page.setViewportSize({ width: 1280, height: 800 });

      // Search follows the database within a few seconds.
      const started = Date.now();
      const deadline = started + 5_000;
      let found = [];
      for (;;) {
        await page.goto(`/search?q=${encodeURIComponent(title)}`);
        found = await resultsOnPage(page);
        if (found.some((r) => r.href === `/p/${productId}`) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const hit = found.find((r) => r.href === `/p/${productId}`);
      t.diagnostic(`search ${hit ? "found" : "did not find"} the new product after ${Date.now() - started} ms`);
      assert.ok(hit, `the new product is found by its title within 5 s; results: ${found.map((r) => `${r.title} (${r.href})`).join(" | ") || "none"}`);
      assert.equal(hit.title, title);
      // The price the seller changed, already in the index.
      for (let i = 0; i < 20 && hit.price !== "14.90 EUR"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        await page.goto(`/search?q=${encodeURIComponent(title)}`);
        Object.assign(hit, (await resultsOnPage(page)).find((r) => r.href === `/p/${productId}`));
      }
      assert.equal(hit.price, "14.90 EUR", "search shows the new price");
      await assertVisible(page.locator(`ol.result-list li.result:has(a[href="/p/${productId}"]) .placeholder`), "a product without pictures has a placeholder");
      await page.locator(`ol.result-list a[href="/p/${productId}"]`).click();
      await page.waitForURL((url) => url.pathname === `/p/${productId}`);
      await assertText(page.getByRole("heading", { level: 1 }), title);
      await assertText(page.getByRole("region", { name: "Variants and prices" }).getByRole("row").filter({ hasText: sku }), /42 in stock/);
      await assertText(page.locator("#buy .buy-price .price"), "14.90 EUR");

      if (deferred.length) assert.fail(`the seller's journey went through, but:\n  ${deferred.join("\n  ")}`);
    });
  });

  test("on a phone, the search filters open as a drawer above the results", async (t) => {
    await run(t, async (h) => {
      const page = await (await h.newContext("phone")).newPage();
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto("/search?q=headphones");
      const filters = page.getByRole("complementary", { name: "Filters" });
      const audio = filters.getByRole("link", { name: "Audio & Headphones", exact: true });
      assert.equal(await audio.isVisible(), false, "the facets are folded away at first");
      const drawer = filters.locator("summary", { hasText: "Filter results" });
      await assertVisible(drawer, "the drawer's button");
      const drawerBox = await drawer.boundingBox();
      const resultsBox = await page.locator("#results-count").boundingBox();
      assert.ok(drawerBox.y < resultsBox.y, "the drawer sits above the results");
      await drawer.click();
      await assertVisible(audio, "the facets once the drawer is open");
      await audio.click();
      await page.waitForURL((url) => url.searchParams.get("category") === "audio");
      await assertFitsPhone(page, "the filtered results on a phone");
      // On a wide screen the facets show without the drawer.
      await page.setViewportSize({ width: 1280, height: 800 });
      await assertVisible(filters.getByRole("link", { name: "Audio & Headphones", exact: true }), "the facets on a wide screen");
      assert.equal(await drawer.isVisible(), false, "no drawer button on a wide screen");
    });
  });

  test("a buyer picks a colour on the product page and buys that one", async (t) => {
    await run(t, async (h) => {
      const page = await (await h.newContext("buyer")).newPage();
      await page.goto("/search?q=aurora");
      await page.locator("ol.result-list li.result .result-title a").first().click();
      await page.waitForURL(/\/p\/[^/?]+$/);
      const cardPicture = page.locator(".gallery-stage img").first();
      const size = await cardPicture.evaluate((img) => [img.getAttribute("width"), img.getAttribute("height"), img.complete && img.naturalWidth > 0]);
      assert.deepEqual(size, ["640", "640", true], "the demo picture is drawn, sized and loaded");
      const colour = page.getByRole("group", { name: "Colour" });
      await assertText(colour.locator("a[aria-current=true]"), "Black");
      await assertText(page.locator("#selected-variant"), "Black");
      await colour.getByRole("link", { name: "White", exact: true }).click();
      await page.waitForURL((url) => url.searchParams.has("variant"));
      await assertText(colour.locator("a[aria-current=true]"), "White");
      await assertText(page.locator("#selected-variant"), "White");
      await assertText(page.locator("#buy .badge").filter({ hasText: "in stock" }), "9 in stock");
      const rows = await page.getByRole("region", { name: "Variants and prices" }).locator("tbody tr td:first-child a").allInnerTexts();
      assert.deepEqual(rows, ["Black", "White", "Blue"], "the table names the variants by their options");
      await assertVisible(colour.getByRole("link", { name: /^Blue/ }), "an out-of-stock colour is still offered");
      await assertFitsPhone(page, "the product page with a picker");
      await page.locator("#buy").getByRole("button", { name: /^Add to cart/ }).click();
      await page.waitForURL(/\/cart\?added=1$/);
      await assertVisible(page.locator(".cart-line").filter({ hasText: "Aurora" }), "the white headphones in the cart");
    });
  });

  test("the seller centre shows the shops, what runs low and what waits", async (t) => {
    await run(t, async (h) => {
      const page = await h.newPage("nora", DEMO.seller);
      await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Sell" }).click();
      await page.waitForURL((url) => url.pathname === "/sell");
      await assertText(page.getByRole("heading", { level: 1 }), "Seller centre");
      const shops = page.getByRole("region", { name: "Your shops" });
      await assertVisible(shops.getByRole("link", { name: "Nordlicht Electronics" }), "her shop");
      await assertText(shops.locator(".shop-counts").first(), /^\d+ on sale · \d+ drafts? · \d+ archived$/);
      const low = page.getByRole("region", { name: "Running low" });
      const webcam = low.getByRole("row").filter({ hasText: "Webcam 1080p" });
      await assertText(webcam.locator(".badge"), "Out of stock");
      await assertVisible(page.getByRole("region", { name: "Orders to ship" }), "the orders waiting");
      await assertFitsPhone(page, "the seller centre");
      await page.setViewportSize({ width: 1280, height: 800 });
      await webcam.getByRole("link").click();
      await page.waitForURL(/\/sell\/products\/[^/?]+#variant-/);
      await assertText(page.getByRole("heading", { level: 1 }), /Webcam 1080p/);
    });
  });

  test("a storefront lists the shop's products, each linking to its page", async (t) => {
    await run(t, async (h) => {
      const page = await (await h.newContext("buyer")).newPage();
      const response = await page.goto("/s/hanse-provisions");
      assert.equal(response.status(), 200);
      await assertText(page.getByRole("heading", { level: 1 }), "Hanse Provisions");
      const cards = page.getByRole("region", { name: "Products" }).locator(".product-card");
      assert.ok((await cards.count()) > 0, "the storefront shows products");
      const shops = await cards.locator(".muted").allInnerTexts();
      assert.ok(shops.every((s) => s.trim() === "Hanse Provisions"), `only the shop's own products: ${JSON.stringify(shops)}`);
      const card = cards.filter({ hasText: "Burr coffee grinder" }).getByRole("link");
      await assertVisible(card, "the grinder on Hanse's storefront");
      await card.click();
      await page.waitForURL(/\/p\/[^/?]+$/);
      await assertText(page.getByRole("heading", { level: 1 }), "Burr coffee grinder");
    });
  });
});
