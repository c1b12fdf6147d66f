// Every page of the journeys and of the catalog, checked one by one: accessibility (axe-core, no serious or critical
// violation), weight (all CSS and JavaScript a page loads, at most 100 KB), console errors (none),
// and no request to a host other than 127.0.0.1; the heaviest page's weight, and the Largest Contentful Paint of the
// home page and a product page (under 1 s), are printed. /api/docs is a developer tool with its own test.

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import {
  formatConsoleErrors,
  formatViolations,
  Harness,
  launchBrowser,
  assertFitsPhone,
  largestContentfulPaint,
  PHONE_WIDTH,
  runAxe,
  slug,
  watchAssets,
  watchConsole,
} from "./lib/browser.mjs";
import { applyForShop, login, makePdf, register, unique, uniqueEmail } from "./lib/flows.mjs";
import { ARTIFACTS, DEMO, startServer } from "./lib/server.mjs";

const MAX_ASSET_BYTES = 100 * 1024;
// The goal for the Largest Contentful Paint of the home page and a product page on this machine.
const MAX_LCP_MS = 1000;
const BLOCKING_IMPACTS = new Set(["serious", "critical"]);

// Who looks at each page, where, and what they do there before it is checked.
const PAGES = [
  { name: "home", as: "visitor", path: () => "/", lcp: true },
  { name: "search results", as: "visitor", path: (s) => `/search?q=${encodeURIComponent(s.searchWord)}` },
  { name: "product page", as: "visitor", path: (s) => s.productPath, lcp: true },
  { name: "register", as: "visitor", path: () => "/register" },
  {
    name: "register with errors",
    as: "visitor",
    path: () => "/register",
    status: 422,
    async act(page) {
      await page.getByLabel("Your name").fill("Valerie Validation");
      await page.getByLabel("Email").fill("not-an-email");
      await page.getByLabel(/^Password/).fill("short");
      await page.getByRole("main").getByRole("button", { name: "Create account" }).click();
    },
  },
  { name: "login", as: "visitor", path: () => "/login" },
  {
    name: "login with error",
    as: "visitor",
    path: () => "/login",
    status: 401,
    async act(page) {
      await page.getByLabel("Email").fill(DEMO.buyer);
      await page.getByLabel("Password").fill("definitely-not-the-password");
      await page.getByRole("main").getByRole("button", { name: "Log in" }).click();
    },
  },
  { name: "account", as: "seller", path: () => "/account" },
  { name: "company", as: "companyAdmin", path: () => "/account/company" },
  { name: "company (purchaser)", as: "purchaser", path: () => "/account/company" },
  { name: "shop application", as: "seller", path: () => "/sell/apply" },
  { name: "seller shop", as: "seller", path: (s) => `/sell/shops/${s.shopId}` },
  { name: "admin queue", as: "operator", path: () => "/admin/shops" },
  { name: "admin shop decision", as: "operator", path: (s) => `/admin/shops/${s.shopId}` },
  { name: "404 page", as: "visitor", path: () => "/no-such-page", status: 404 },
  // The catalog: search with facets, a bad search, a product with offers, a storefront.
  {
    name: "search results with facets",
    as: "visitor",
    path: () => "/search?q=headphones",
    expect: ["ol.result-list > li.result", ".facets .facet-list a"],
  },
  {
    name: "search with an error",
    as: "visitor",
    path: () => "/search?q=headphones&sort=bogus",
    status: 422,
    expect: ["[role=alert]"],
  },
  {
    name: "product page with offers",
    as: "visitor",
    path: (s) => `${s.grinderPath}?country=DE`,
    expect: ["#offers-table tbody tr", "ul.tiers li"],
  },
  { name: "storefront", as: "visitor", path: () => "/s/hanse-provisions", expect: [".product-card"] },
  // The seller centre's catalog pages, as the demo seller.
  {
    name: "seller products",
    as: "nora",
    path: (s) => `/sell/shops/${s.noraShopId}/products`,
    expect: [".seller-products a[href^='/sell/products/']", ".seller-products td.stock"],
  },
  { name: "new product form", as: "nora", path: (s) => `/sell/shops/${s.noraShopId}/products/new` },
  {
    name: "seller centre",
    as: "nora",
    path: () => "/sell",
    expect: [".tiles .tile", "#shops-title", "#low-stock tbody tr"],
  },
  {
    name: "product with a colour picker",
    as: "visitor",
    path: (s) => s.auroraPath,
    expect: [".option-chips a[aria-current=true]", ".gallery-stage img"],
  },
  {
    name: "new product form with errors",
    as: "nora",
    path: (s) => `/sell/shops/${s.noraShopId}/products/new`,
    status: 422,
    expect: [".field-error"],
    async act(page) {
      await page.getByLabel("Title").fill("Page check lamp");
      await page.getByLabel("SKU").fill("");
      await page.getByLabel("Price").fill("12.505");
      await page.getByRole("button", { name: "List product" }).click();
    },
  },
  { name: "product edit", as: "nora", path: (s) => `/sell/products/${s.noraProductId}`, expect: ["input[id^='stock-']", "input[id^='price-']"] },
  {
    name: "product edit with an error",
    as: "nora",
    path: (s) => `/sell/products/${s.noraProductId}`,
    status: 422,
    endsAt: /^\/sell\/products\/prd_[^/]+\/variants\/var_[^/]+$/,
    expect: [".variant-panel .field-error"],
    async act(page) {
      await page.locator("input[id^='price-']").first().fill("12.345");
      await page.getByRole("button", { name: /^Save price and options/ }).first().click();
    },
  },
  // The cart: empty for a visitor, with a line (and its quantity form) for the purchaser.
  { name: "empty cart", as: "visitor", path: () => "/cart" },
  { name: "cart", as: "purchaser", path: () => "/cart", expect: [".cart-line", "input[name=quantity]"] },
  { name: "checkout", as: "purchaser", path: () => "/checkout", expect: ["input[name=postal_code]", "input[name=payment_method]"] },
  { name: "orders (none yet)", as: "purchaser", path: () => "/orders", expect: ["select#status"] },
  { name: "seller orders", as: "nora", path: () => "/sell/orders", expect: ["select#status"] },
  {
    name: "cart with a refusal",
    as: "purchaser",
    path: () => "/cart",
    status: 409,
    // The form posts to its line's address, which answers with the cart and the reason.
    endsAt: /^\/cart\/items\/line_[0-9a-f]+$/,
    expect: ["[role=alert]", ".cart-line"],
    async act(page) {
      await page.locator(".cart-line input[name=quantity]").first().fill("999999");
      await page.locator(".cart-line").first().getByRole("button", { name: "Update" }).click();
    },
  },
];

let server;
let browser;
let harness;
const results = new Map();

/** Opens a page as its person, does what the spec says, and records everything the tests check. */
async function audit(spec, pages, setup) {
  const context = pages[spec.as];
  const page = await context.newPage();
  const consoleErrors = watchConsole(page);
  const result = { consoleErrors, violations: [], assets: { total: 0, files: [] } };
  try {
    const target = spec.path(setup);
    let assets = watchAssets(page);
    let response = await page.goto(target, { waitUntil: "load" });
    if (spec.act) {
      // The checks are about the page the action leads to.
      await assets.stop();
      assets = watchAssets(page);
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.request().isNavigationRequest()),
        spec.act(page),
      ]);
      response = res;
      await page.waitForLoadState("load");
    }
    await page.waitForLoadState("networkidle").catch(() => {});
    result.url = page.url();
    result.status = response?.status();
    // Measured at the desktop size, before anything on the page is touched.
    if (spec.lcp) result.lcp = await largestContentfulPaint(page);
    for (const selector of spec.expect || []) {
      // What makes the page worth checking is there (not an empty list or a missing table).
      result.missing ??= [];
      if ((await page.locator(selector).count()) === 0) result.missing.push(selector);
    }
    result.violations = await runAxe(page);
    result.assets = await assets.stop();
    // Then the same page on a phone: its width there, and axe again at that size.
    try {
      await assertFitsPhone(page, `${spec.name} (${result.url})`);
      result.phoneWidth = PHONE_WIDTH;
    } catch (err) {
      result.phoneError = err;
    }
    result.phoneViolations = await runAxe(page);
    assert.equal(
      result.status,
      spec.status || 200,
      `${spec.name}: ${target} answered ${result.status} (ended on ${result.url})`,
    );
    const endedOn = new URL(result.url).pathname;
    if (spec.endsAt) {
      assert.match(endedOn, spec.endsAt, `${spec.name}: ${target} went to ${result.url}`);
    } else {
      assert.equal(endedOn, new URL(target, server.baseURL).pathname, `${spec.name}: ${target} went to ${result.url}`);
    }
    assert.deepEqual(result.missing ?? [], [], `${spec.name}: ${result.url} lacks what it should show`);
  } catch (err) {
    result.error = err;
  }
  try {
    result.screenshot = await page.screenshot({ fullPage: true, timeout: 10_000 });
  } catch {
    /* only for failures */
  }
  await page.close();
  return result;
}

before(async () => {
  server = await startServer({ name: "pages" });
  browser = await launchBrowser();
  harness = new Harness(browser, server.baseURL, "pages");
  const pages = {};
  const setup = {};

  // A visitor, and what the storefront offers to look at.
  pages.visitor = await harness.newContext("visitor");
  const home = await pages.visitor.newPage();
  await home.goto("/");
  const firstProduct = home.locator(".product-card a").first();
  setup.productPath = new URL(await firstProduct.getAttribute("href"), server.baseURL).pathname;
  setup.searchWord = (await firstProduct.innerText()).trim().split(/\s+/)[0];
  // The Aurora headphones come in several colours: their page offers a picker.
  await home.goto("/search?q=aurora");
  setup.auroraPath = new URL(
    await home.locator("ol.result-list li.result .result-title a").first().getAttribute("href"),
    server.baseURL,
  ).pathname;
  // Hanse's grinder, which another shop sells too: its page compares their offers and has volume prices.
  await home.goto("/search?q=grinder");
  const grinder = home
    .locator("ol.result-list li.result")
    .filter({ hasText: "Hanse Provisions" })
    .locator(".result-title a")
    .filter({ hasText: "Burr coffee grinder" })
    .first();
  setup.grinderPath = new URL(await grinder.getAttribute("href"), server.baseURL).pathname;
  await home.close();

  // The demo seller, her shop and one of its products.
  pages.nora = await harness.newContext("nora");
  const np = await pages.nora.newPage();
  await login(np, DEMO.seller);
  const shopHref = await np
    .getByRole("region", { name: "Your shops" })
    .getByRole("link", { name: "Nordlicht Electronics" })
    .getAttribute("href");
  setup.noraShopId = shopHref.split("/").pop();
  await np.goto(`/sell/shops/${setup.noraShopId}/products`);
  const productHref = await np.locator(".seller-products a[href^='/sell/products/']").first().getAttribute("href");
  setup.noraProductId = productHref.split("/").pop();
  await np.close();

  // A new seller with a shop waiting for review, and its document.
  const seller = { name: "Pia Pages", email: uniqueEmail("pages-seller"), password: "a-long-enough-password" };
  pages.seller = await harness.newContext("seller");
  const sp = await pages.seller.newPage();
  await register(sp, seller);
  await login(sp, seller.email, seller.password);
  const shop = await applyForShop(sp, {
    name: unique("Pages Shop"),
    legalName: "Pia Pages",
    document: { kind: "food_licence", filename: "trade-register.pdf", bytes: makePdf() },
  });
  setup.shopId = shop.id;
  await sp.close();

  for (const [who, email] of [
    ["operator", DEMO.operator],
    ["companyAdmin", DEMO.companyAdmin],
    ["purchaser", DEMO.purchaser],
  ]) {
    pages[who] = await harness.newContext(who);
    const p = await pages[who].newPage();
    await login(p, email);
    if (who === "purchaser") {
      // Something in the purchaser's cart, from the grinder's product page.
      await p.goto(setup.grinderPath);
      await p.getByRole("button", { name: /^Add to cart/ }).first().click();
      await p.waitForURL(/\/cart\?added=1$/);
    }
    await p.close();
  }
  // What went wrong while setting up belongs to no page's check: it fails here.
  harness.assertClean();

  for (const spec of PAGES) results.set(spec.name, await audit(spec, pages, setup));
}, { timeout: 360_000 });

after(async () => {
  await harness?.close();
  await browser?.close();
  await server?.stop();
}, { timeout: 60_000 });

/** Runs one check of one page; a failing check leaves the page's screenshot in artifacts/. */
function pageTest(check, spec, body) {
  test(spec.name, async (t) => {
    const result = results.get(spec.name);
    assert.ok(result, `${spec.name} was not audited`);
    try {
      if (result.error) throw result.error;
      await body(result, t);
    } catch (err) {
      if (result.screenshot) {
        mkdirSync(ARTIFACTS, { recursive: true });
        const file = path.join(ARTIFACTS, `${slug(check)}--${slug(spec.name)}.png`);
        writeFileSync(file, result.screenshot);
        t.diagnostic(`screenshot: ${file}`);
      }
      throw err;
    }
  });
}

describe("accessibility: no serious or critical axe-core violations", { timeout: 60_000 }, () => {
  for (const spec of PAGES) {
    pageTest("axe", spec, (r) => {
      const blocking = r.violations.filter((v) => BLOCKING_IMPACTS.has(v.impact));
      const minor = r.violations.filter((v) => !BLOCKING_IMPACTS.has(v.impact));
      if (minor.length) {
        console.log(`# ${spec.name} (${r.url}): minor axe findings, not failing:\n${formatViolations(minor)}`);
      }
      if (blocking.length) {
        assert.fail(`${spec.name} (${r.url}) has ${blocking.length} serious/critical axe violations:\n${formatViolations(blocking)}`);
      }
    });
  }
});

describe("phones: no page scrolls sideways at 390 px, and axe passes there too", { timeout: 60_000 }, () => {
  for (const spec of PAGES) {
    pageTest("phone", spec, (r) => {
      if (r.phoneError) throw r.phoneError;
      assert.equal(r.phoneWidth, PHONE_WIDTH, `${spec.name}: not measured on a phone`);
      const blocking = (r.phoneViolations || []).filter((v) => BLOCKING_IMPACTS.has(v.impact));
      if (blocking.length) {
        assert.fail(`${spec.name} (${r.url}) at 390 px has ${blocking.length} serious/critical axe violations:\n${formatViolations(blocking)}`);
      }
    });
  }
});

describe("page weight: all CSS and JavaScript of a page at most 100 KB", { timeout: 60_000 }, () => {
  for (const spec of PAGES) {
    pageTest("weight", spec, (r, t) => {
      t.diagnostic(`${r.assets.total} bytes of CSS and JavaScript in ${r.assets.files.length} files`);
      const list = r.assets.files.map((f) => `  ${f.bytes} B  ${f.type}  ${f.url}`).join("\n");
      assert.ok(r.assets.files.length > 0, `${spec.name}: no CSS or JavaScript seen at all — is the watcher broken?`);
      assert.ok(
        r.assets.total <= MAX_ASSET_BYTES,
        `${spec.name} (${r.url}) loads ${r.assets.total} bytes of CSS and JavaScript, over the ${MAX_ASSET_BYTES} byte budget:\n${list}`,
      );
    });
  }
});

test("the heaviest page's CSS and JavaScript, for the record", (t) => {
  const weighed = [...results].filter(([, r]) => r.assets.total > 0);
  assert.ok(weighed.length > 0, "no page was weighed");
  const [name, heaviest] = weighed.reduce((a, b) => (b[1].assets.total > a[1].assets.total ? b : a));
  const line = `heaviest page: ${name} (${heaviest.url}) loads ${heaviest.assets.total} bytes of CSS and JavaScript`;
  t.diagnostic(line);
  console.log(`# ${line}`);
  assert.ok(heaviest.assets.total <= MAX_ASSET_BYTES, line);
});

describe(`Largest Contentful Paint under ${MAX_LCP_MS} ms on the home page and a product page`, { timeout: 60_000 }, () => {
  for (const spec of PAGES.filter((s) => s.lcp)) {
    pageTest("lcp", spec, (r, t) => {
      const line = `${spec.name}: Largest Contentful Paint ${r.lcp.toFixed(0)} ms (${r.url})`;
      t.diagnostic(line);
      console.log(`# ${line}`);
      assert.ok(r.lcp > 0, `${spec.name}: Chromium recorded no Largest Contentful Paint`);
      assert.ok(r.lcp < MAX_LCP_MS, line);
    });
  }
});

describe("console: no errors on any page", { timeout: 60_000 }, () => {
  for (const spec of PAGES) {
    pageTest("console", spec, (r) => {
      if (r.consoleErrors.length) {
        assert.fail(`${spec.name} (${r.url}) logged console errors:\n${formatConsoleErrors(r.consoleErrors)}`);
      }
    });
  }
});

test("no page asks for anything outside 127.0.0.1", () => {
  harness.assertNoForeignRequests();
});
