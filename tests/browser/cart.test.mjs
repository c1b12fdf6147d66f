// The cart through the pages, on a phone: a guest adds a product from its page, finds it in the
// cart, logs in and finds the same cart in the account; changes the quantity and removes the line.
// No page scrolls sideways at 390 px.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { formatViolations, launchBrowser, runAxe, withHarness } from "./lib/browser.mjs";
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

/** No serious or critical axe-core violation on the page as it is now. */
async function assertAccessible(page, what) {
  const blocking = (await runAxe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.equal(blocking.length, 0, `${what}:\n${formatViolations(blocking)}`);
}

test("a buyer checks out, the seller ships, and both follow the order", { timeout: 150_000 }, async (t) => {
  await withHarness(browser, server.baseURL, t, async (h) => {
    const buyer = await (await h.newContext("buyer")).newPage();
    await login(buyer, DEMO.buyer);
    // Something of Nordlicht's (the demo seller's shop) in stock.
    await buyer.goto("/s/nordlicht-electronics");
    const card = buyer
      .locator(".product-card")
      .filter({ hasText: "Nordlicht" })
      .filter({ hasNot: buyer.locator(".badge-muted") })
      .locator("a")
      .first();
    const title = (await card.innerText()).trim().split("\n")[0];
    await card.click();
    await buyer.waitForURL(/\/p\//);
    await buyer.getByRole("button", { name: /^Add to cart/ }).first().click();
    await buyer.waitForURL(/\/cart\?added=1$/);
    await buyer.getByRole("link", { name: "Check out" }).click();
    await buyer.waitForURL(/\/checkout$/);
    await assertAccessible(buyer, "the checkout page");

    // A forgotten country is named next to its field, and what was typed stays.
    await buyer.getByLabel("Street and number").fill("Hauptstraße 1");
    await buyer.getByLabel("Postal code").fill("10115");
    await buyer.getByLabel("City").fill("Berlin");
    await buyer.getByRole("button", { name: "Place order" }).click();
    await assertText(buyer.locator("#shipping_address\\.country-error"), /./, "the country's error");
    assert.equal(await buyer.getByLabel("Street and number").inputValue(), "Hauptstraße 1");

    await buyer.getByLabel(/^Country/).fill("DE");
    await buyer.getByLabel("Cash on delivery").check();
    await buyer.getByRole("button", { name: "Place order" }).click();
    await buyer.waitForURL(/\/orders\/ord_[0-9a-f]+\?placed=1$/);
    await assertText(buyer.getByRole("status"), /your order was placed/);
    await assertVisible(buyer.getByRole("link", { name: title }), "the ordered product on the order page");
    await assertText(buyer.locator(".timeline li").first(), /Order placed/, "the timeline starts with the order");
    await assertAccessible(buyer, "the order page");
    const orderPath = new URL(buyer.url()).pathname;

    // The seller finds it among the orders to fulfil and ships it.
    const seller = await (await h.newContext("seller")).newPage();
    await login(seller, DEMO.seller);
    await seller.goto("/sell/orders");
    await assertAccessible(seller, "the seller's orders");
    await seller.locator(`a[href="${orderPath}"]`).click();
    await seller.waitForURL((url) => url.pathname === orderPath);
    await seller.getByLabel("Carrier").fill("DHL");
    await seller.getByLabel("Tracking number").fill("JJD000390007");
    await seller.getByRole("button", { name: "Mark as shipped" }).click();
    await seller.waitForURL((url) => url.pathname === orderPath);
    await assertText(seller.locator(".timeline li").last(), /Shipped/, "the shipment on the timeline");

    // The buyer sees it on the way.
    await buyer.goto("/orders");
    await assertVisible(buyer.locator(`a[href="${orderPath}"]`), "the order in the buyer's list");
    await buyer.goto(orderPath);
    await assertText(buyer.locator(".badge").first(), /Shipped/, "the order's status for the buyer");
    await assertVisible(buyer.getByText("JJD000390007"), "the tracking number");
  });
});
