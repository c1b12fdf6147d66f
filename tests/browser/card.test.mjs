// Paying by card through the sandbox gateway, in the browser: checkout sends the buyer to the
// sandbox's hosted page (another "site", the only one that takes a card number), they approve
// with a test card and land on Agora's return page, which shows the paid order once the gateway's
// callback has arrived. Declining shows the failure and lets the buyer try again.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { formatViolations, launchBrowser, runAxe, withHarness } from "./lib/browser.mjs";
import { assertText, assertVisible, login } from "./lib/flows.mjs";
import { DEMO, startServer } from "./lib/server.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ name: "card" });
  browser = await launchBrowser();
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: 60_000 });

async function assertAccessible(page, what) {
  const blocking = (await runAxe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.equal(blocking.length, 0, `${what}:\n${formatViolations(blocking)}`);
}

async function assertNoSidewaysScroll(page, what) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `${what} is ${width} px wide at a 390 px viewport`);
}

/** Puts something of the demo seller's in the cart and checks out by card; ends on the sandbox. */
async function checkOutByCard(page) {
  await page.goto("/s/nordlicht-electronics");
  const card = page
    .locator(".product-card")
    .filter({ hasText: "Nordlicht" })
    .filter({ hasNot: page.locator(".badge-muted") })
    .locator("a")
    .first();
  await card.click();
  await page.waitForURL(/\/p\//);
  await page.getByRole("button", { name: /^Add to cart/ }).first().click();
  await page.waitForURL(/\/cart\?added=1$/);
  await page.goto("/checkout");
  await page.getByLabel("Street and number").fill("Hauptstraße 1");
  await page.getByLabel("Postal code").fill("10115");
  await page.getByLabel("City").fill("Berlin");
  await page.getByLabel(/^Country/).fill("DE");
  await page.getByLabel("Card", { exact: true }).check();
  await page.getByRole("button", { name: "Place order" }).click();
  await page.waitForURL(/\/sandbox-gateway\/pay\/sbx_cs_[0-9a-f]+$/);
}

async function approveWithTestCard(page) {
  await page.getByLabel("Name on the card").fill("Bea Buyer");
  await page.getByLabel("Card number").fill("4242 4242 4242 4242");
  await page.getByLabel(/^Expiry/).fill("12/39");
  await page.getByLabel("Security code").fill("123");
  await page.getByRole("button", { name: /^Pay / }).click();
  await page.waitForURL(/\/pay\/pay_[0-9a-f]+\/return$/);
}

/** The return page refreshes itself until the callback arrives; waits for the final heading. */
async function waitForHeading(page, name) {
  await page.getByRole("heading", { level: 1, name }).waitFor({ timeout: 30_000 });
}

test("a buyer pays by card on the sandbox page and sees the paid order", { timeout: 150_000 }, async (t) => {
  await withHarness(browser, server.baseURL, t, async (h) => {
    const page = await (await h.newContext("buyer")).newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await login(page, DEMO.buyer);
    await checkOutByCard(page);

    await assertVisible(page.getByRole("heading", { name: /Pay Agora Marketplace/ }), "the merchant on the gateway's page");
    await assertText(page.locator("#sandbox-amount"), /\d/, "the amount on the gateway's page");
    await assertAccessible(page, "the sandbox payment page");
    await assertNoSidewaysScroll(page, "the sandbox payment page");

    await approveWithTestCard(page);
    await waitForHeading(page, "Payment received");
    await assertText(page.getByRole("status"), /ending in 4242/, "the card's last digits");
    const order = page.locator('a[href^="/orders/ord_"]').first();
    await assertVisible(order, "the paid order on the return page");
    await assertText(page.locator(".badge").first(), /Paid/, "the order's status");
    await assertAccessible(page, "the return page");
    await assertNoSidewaysScroll(page, "the return page");

    await order.click();
    await page.waitForURL(/\/orders\/ord_[0-9a-f]+$/);
    await assertText(page.locator(".badge").first(), /Paid/, "the order page shows it paid");
  });
});

test("a declined card shows the failure and the buyer tries again", { timeout: 150_000 }, async (t) => {
  await withHarness(browser, server.baseURL, t, async (h) => {
    const page = await (await h.newContext("buyer")).newPage();
    await login(page, DEMO.buyer);
    await checkOutByCard(page);
    const firstPage = page.url();

    // A mistyped number is refused on the gateway's own page, which stays open.
    await page.getByLabel("Card number").fill("4242 4242 4242 4241");
    await page.getByLabel(/^Expiry/).fill("12/39");
    await page.getByLabel("Security code").fill("123");
    await page.getByRole("button", { name: /^Pay / }).click();
    await assertText(page.getByRole("alert"), /not valid/, "the card's error");

    await page.getByRole("button", { name: "Decline payment" }).click();
    await page.waitForURL(/\/pay\/pay_[0-9a-f]+\/return$/);
    await waitForHeading(page, "Payment failed");
    await assertText(page.getByRole("alert"), /did not go through/, "the failure");
    await assertText(page.locator(".badge").first(), /Waiting for payment/, "the order still waits");
    await assertAccessible(page, "the failed payment's page");

    await page.getByRole("button", { name: "Try again" }).click();
    await page.waitForURL(/\/sandbox-gateway\/pay\/sbx_cs_[0-9a-f]+$/);
    assert.notEqual(page.url(), firstPage, "a new payment gets a new payment page");
    await approveWithTestCard(page);
    await waitForHeading(page, "Payment received");
    await assertText(page.locator(".badge").first(), /Paid/, "the order is paid after all");
  });
});
