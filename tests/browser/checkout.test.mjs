// Checkout with the address book and shipping methods, on a phone: the buyer saves an address
// (it becomes the default), checks out choosing it and one of the shop's shipping methods with
// its price shown, and the order keeps both. The address book and checkout pages do not scroll
// sideways at 390 px. Typing another country updates the shipping methods and the totals
// without a reload.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { formatViolations, launchBrowser, runAxe, withHarness } from "./lib/browser.mjs";
import { assertText, assertVisible, login } from "./lib/flows.mjs";
import { DEMO, startServer } from "./lib/server.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ name: "checkout" });
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

/** No serious or critical axe-core violation on the page as it is now. */
async function assertAccessible(page, what) {
  const blocking = (await runAxe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.equal(blocking.length, 0, `${what}:\n${formatViolations(blocking)}`);
}

test("a buyer checks out to a saved address by the shipping method they pick", { timeout: 150_000 }, async (t) => {
  await withHarness(browser, server.baseURL, t, async (h) => {
    const buyer = await (await h.newContext("buyer")).newPage();
    await buyer.setViewportSize({ width: 390, height: 844 });
    await login(buyer, DEMO.buyer);

    // The address book: a missing country is named, then the address is saved as the default.
    await buyer.goto("/account/addresses");
    await assertAccessible(buyer, "the address book");
    await buyer.getByLabel("Street and number").fill("Lindenallee 7");
    await buyer.getByLabel("Postal code").fill("20095");
    await buyer.getByLabel("City").fill("Hamburg");
    await buyer.getByRole("button", { name: "Save address" }).click();
    await assertText(buyer.locator("#address\\.country-error"), /./, "the country's error");
    await buyer.getByLabel(/^Country/).fill("DE");
    await buyer.getByRole("button", { name: "Save address" }).click();
    await buyer.waitForURL(/\/account\/addresses$/);
    const saved = buyer.locator("li").filter({ hasText: "Lindenallee 7" });
    await assertVisible(saved, "the saved address");
    await assertText(saved.locator(".badge"), /default/, "the first address is the default");
    await assertNoSidewaysScroll(buyer, "the address book");

    // Something of Nordlicht's, whose shipping methods the demo sets up.
    await buyer.goto("/s/nordlicht-electronics");
    await buyer
      .locator(".product-card")
      .filter({ hasText: "Nordlicht" })
      .filter({ hasNot: buyer.locator(".badge-muted") })
      .locator("a")
      .first()
      .click();
    await buyer.waitForURL(/\/p\//);
    await buyer.getByRole("button", { name: /^Add to cart/ }).first().click();
    await buyer.waitForURL(/\/cart\?added=1$/);
    await buyer.getByRole("link", { name: "Check out" }).click();
    await buyer.waitForURL(/\/checkout$/);
    await assertAccessible(buyer, "the checkout page with choices");
    await assertNoSidewaysScroll(buyer, "the checkout page");

    // The saved address is picked; each method shows its price; the cheapest is preselected.
    const address = buyer.getByRole("radio", { name: /Lindenallee 7/ });
    assert.ok(await address.isChecked(), "the default address is picked");
    const shipping = buyer.getByRole("group", { name: /Shipping from Nordlicht/ });
    await assertVisible(shipping, "Nordlicht's shipping choices");
    const express = shipping.getByRole("radio", { name: /^Express: 12\.90 EUR/ });
    await assertVisible(express, "express with its price");
    assert.ok(
      await shipping.getByRole("radio", { name: /^Standard parcel/ }).isChecked(),
      "the cheapest method is preselected",
    );
    await express.check();
    await buyer.getByLabel("Cash on delivery").check();
    await buyer.getByRole("button", { name: "Place order" }).click();
    await buyer.waitForURL(/\/orders\/ord_[0-9a-f]+\?placed=1$/);
    await assertText(buyer.getByRole("status"), /your order was placed/);
    await assertVisible(buyer.getByText("Shipping (Express)"), "the chosen method on the order");
    await assertVisible(buyer.getByText("Lindenallee 7"), "the saved address on the order");
    await assertVisible(buyer.getByText("12.90 EUR").first(), "the express price on the order");
  });
});

test("shipping prices and totals follow the address as it is typed, without a reload", { timeout: 150_000 }, async (t) => {
  await withHarness(browser, server.baseURL, t, async (h) => {
    const buyer = await (await h.newContext("buyer")).newPage();
    await buyer.setViewportSize({ width: 390, height: 844 });
    await login(buyer, DEMO.buyer);
    await buyer.goto("/s/nordlicht-electronics");
    await buyer
      .locator(".product-card")
      .filter({ hasText: "Nordlicht" })
      .filter({ hasNot: buyer.locator(".badge-muted") })
      .locator("a")
      .first()
      .click();
    await buyer.waitForURL(/\/p\//);
    await buyer.getByRole("button", { name: /^Add to cart/ }).first().click();
    await buyer.waitForURL(/\/cart\?added=1$/);
    await buyer.getByRole("link", { name: "Check out" }).click();
    await buyer.waitForURL(/\/checkout$/);
    // Marks this document: a reload would lose the mark.
    await buyer.evaluate(() => { window.__sameDocument = true; });
    assert.equal(await buyer.locator("#show-shipping").count(), 0, "the script does the step itself");

    // A new address: typing the country fetches its methods and the totals.
    const newAddress = buyer.getByRole("radio", { name: /A new address/ });
    if (await newAddress.count()) await newAddress.check();
    await buyer.getByLabel(/^Country/).fill("DK");
    const shipping = buyer.getByRole("group", { name: /Shipping from Nordlicht/ });
    await assertVisible(shipping, "Nordlicht's shipping choices for DK");
    const total = buyer.locator("#checkout-totals .checkout-total");
    await assertText(total, /Total: .*EUR/, "the total for DK");

    // Express instead of the preselected parcel: the total follows.
    const before = await total.innerText();
    await shipping.getByRole("radio", { name: /^Express: 12\.90 EUR/ }).check();
    await assertText(buyer.locator("#checkout-totals"), /Shipping \(Express\)/, "express in the totals");
    assert.notEqual(await total.innerText(), before, "the total follows the method");
    assert.ok(await shipping.getByRole("radio", { name: /^Express/ }).isChecked(), "the choice is kept");

    // Another country (another tax rate): the figures change again, still on the same page.
    await buyer.getByLabel(/^Country/).fill("DE");
    await assertText(buyer.locator("#checkout-totals"), /delivery to DE/, "the totals are for DE");

    // A country code nobody knows: the totals box says why it has no figures, then recovers.
    await buyer.getByLabel(/^Country/).fill("XQ");
    await assertText(buyer.locator("#checkout-totals #quote-problem"), /We do not know the country “XQ”/, "the reason in the totals");
    await buyer.getByLabel(/^Country/).fill("DK");
    await assertText(buyer.locator("#checkout-totals"), /delivery to DK/, "the totals are back, for DK");
    assert.equal(await buyer.locator("#quote-problem").count(), 0, "and the reason is gone");
    assert.ok(await buyer.evaluate(() => window.__sameDocument === true), "no reload happened");
    await assertAccessible(buyer, "the checkout page after live updates");
    await assertNoSidewaysScroll(buyer, "the checkout page after live updates");
  });
});
