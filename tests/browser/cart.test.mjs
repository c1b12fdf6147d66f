// The cart through the pages, on a phone: a guest adds a product from its page, finds it in the
// cart, logs in and finds the same cart in the account; changes the quantity and removes the line.
// No page scrolls sideways at 390 px.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { launchBrowser, withHarness } from "./lib/browser.mjs";
import { assertText, assertVisible, login } from "./lib/flows.mjs";
import { DEMO, startServer } from "./lib/server.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ name: "cart" });
  browser = await launchBrowser();
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: 60_000 });

async function assertNoSidewaysScroll(page, what) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `${what} is ${width} px wide at a 390 px viewport`);
}

test("a guest's cart follows them into their account, on a phone", { timeout: 120_000 }, async (t) => {
  await withHarness(browser, server.baseURL, t, async (h) => {
    const context = await h.newContext("guest");
    const page = await context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });

    await page.goto("/");
    const card = page.locator(".product-card").filter({ hasNot: page.locator(".badge-muted") }).locator("a").first();
    const title = (await card.innerText()).trim().split("\n")[0];
    await card.click();
    await page.waitForURL(/\/p\//);
    await assertNoSidewaysScroll(page, "the product page");
    await page.getByRole("button", { name: /^Add to cart/ }).first().click();
    await page.waitForURL(/\/cart\?added=1$/);
    await assertText(page.getByRole("status"), /Added to your cart/);
    const line = page.locator(".cart-line").first();
    await assertVisible(line.getByRole("link", { name: title }), "the product in the guest's cart");
    await assertNoSidewaysScroll(page, "the cart");

    await login(page, DEMO.buyer);
    await page.goto("/cart");
    const mine = page.locator(".cart-line").filter({ hasText: title });
    await assertVisible(mine, "the guest's line in the account's cart");
    const before = Number(await mine.getByLabel("Quantity").inputValue());

    await mine.getByLabel("Quantity").fill(String(before + 1));
    await mine.getByRole("button", { name: "Update" }).click();
    await page.waitForURL(/\/cart$/);
    assert.equal(Number(await page.locator(".cart-line").filter({ hasText: title }).getByLabel("Quantity").inputValue()), before + 1);

    await page.locator(".cart-line").filter({ hasText: title }).getByRole("button", { name: /^Remove/ }).click();
    await page.waitForURL(/\/cart$/);
    assert.equal(await page.locator(".cart-line").filter({ hasText: title }).count(), 0, "the line is gone");
    await assertNoSidewaysScroll(page, "the cart after removing");
  });
});
