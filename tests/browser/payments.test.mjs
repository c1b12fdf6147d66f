// Money through the pages: a new buyer tops up the wallet by bank transfer, the operator records
// the transfer on the finance page, and the buyer pays an order from the wallet at once; a bank
// transfer checkout shows the platform's bank details and the reference, a short transfer waits in
// suspense and the operator gives it to the buyer's wallet. On a phone (390 px), accessible, and
// the ledger verifies on the finance page.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { formatViolations, launchBrowser, runAxe, withHarness } from "./lib/browser.mjs";
import { assertText, assertVisible, login, register, uniqueEmail } from "./lib/flows.mjs";
import { DEMO, startServer } from "./lib/server.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ name: "payments" });
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

/** The operator records `amount` (major units) for the transfer with `reference`. */
async function recordTransfer(operator, reference, amount) {
  await operator.goto("/admin/finance");
  const row = operator.locator(`li.transfer[data-reference="${reference}"]`);
  await assertVisible(row, `the transfer ${reference} waiting on the finance page`);
  await row.getByLabel(/Amount received/).fill(amount);
  await row.getByRole("button", { name: "Record transfer" }).click();
  await operator.waitForURL(/\/admin\/finance\?done=/);
}

/** Puts the first product of Nordlicht's storefront in the cart and goes to the checkout. */
async function toCheckout(buyer) {
  await buyer.goto("/s/nordlicht-electronics");
  const card = buyer
    .locator(".product-card")
    .filter({ hasNot: buyer.locator(".badge-muted") })
    .locator("a")
    .first();
  await card.click();
  await buyer.waitForURL(/\/p\//);
  await buyer.getByRole("button", { name: /^Add to cart/ }).first().click();
  await buyer.waitForURL(/\/cart\?added=1$/);
  await buyer.getByRole("link", { name: "Check out" }).click();
  await buyer.waitForURL(/\/checkout$/);
  await buyer.getByLabel("Street and number").fill("Hauptstraße 1");
  await buyer.getByLabel("Postal code").fill("10115");
  await buyer.getByLabel("City").fill("Berlin");
  await buyer.getByLabel(/^Country/).fill("DE");
}

test("a buyer tops up by bank transfer, the operator records it, and the buyer pays from the wallet", { timeout: 180_000 }, async (t) => {
  await withHarness(browser, server.baseURL, t, async (h) => {
    const buyer = await (await h.newContext("buyer")).newPage();
    await buyer.setViewportSize({ width: 390, height: 844 });
    const person = { name: "Wanda Wallet", email: uniqueEmail("wallet"), password: "a-long-enough-password" };
    await register(buyer, person);
    await login(buyer, person.email, person.password);
    await buyer.getByRole("link", { name: "Balance, history and top-ups" }).click();
    await buyer.waitForURL(/\/account\/wallet$/);
    await assertText(buyer.locator("#wallet-balance"), /empty/, "a new wallet is empty");
    await assertAccessible(buyer, "the wallet page");
    await assertNoSidewaysScroll(buyer, "the wallet page");

    await buyer.getByLabel(/^Amount/).fill("12,5");
    await buyer.getByRole("button", { name: "Top up" }).click();
    // 12,5 is read as 12.50: fine. Then a bad amount is named.
    await buyer.waitForURL(/\/account\/wallet\?started=1$/);
    await buyer.getByLabel(/^Amount/).fill("-3");
    await buyer.getByRole("button", { name: "Top up" }).click();
    await assertText(buyer.locator("#amount-error"), /more than zero/, "a negative top-up is refused");

    await buyer.getByLabel(/^Amount/).fill("2000.00");
    await buyer.getByRole("button", { name: "Top up" }).click();
    await buyer.waitForURL(/\/account\/wallet\?started=1$/);
    const pending = buyer.locator(".pending-top-up").filter({ hasText: "2,000.00 EUR" });
    await assertText(pending, /IBAN/, "the bank details with the top-up");
    const reference = (await pending.locator(".reference").innerText()).trim();
    assert.match(reference, /^AG-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await assertNoSidewaysScroll(buyer, "the wallet with a pending top-up");

    const operator = await (await h.newContext("operator")).newPage();
    await login(operator, DEMO.operator);
    await operator.goto("/admin/finance");
    await assertAccessible(operator, "the finance page");
    await assertText(operator.locator("#ledger-verdict"), /Balanced/, "the ledger verifies");
    await recordTransfer(operator, reference, "2000.00");
    await assertText(operator.getByRole("status"), /settled its payment/);
    assert.equal(await operator.locator(`li.transfer[data-reference="${reference}"]`).count(), 0, "matched transfers leave the list");

    await buyer.goto("/account/wallet");
    await assertText(buyer.locator("#wallet-balance"), /2,000\.00 EUR/, "the money arrived");
    await assertText(buyer.locator("#wallet-history li").first(), /Top-up.*\+2,000\.00 EUR/s, "the top-up in the history");

    await toCheckout(buyer);
    await assertText(buyer.locator("#wallet-choice-balance"), /2,000\.00 EUR available/, "the wallet's balance at the checkout");
    await assertAccessible(buyer, "the checkout page with the wallet");
    await buyer.getByLabel("Agora wallet").check();
    await buyer.getByRole("button", { name: "Place order" }).click();
    await buyer.waitForURL(/\/orders\/ord_[0-9a-f]+\?placed=1$/);
    await assertText(buyer.locator(".badge").first(), /Paid/, "paid from the wallet at once");
    await assertText(buyer.locator("#payment"), /Agora wallet · paid/, "the payment on the order page");
    await assertNoSidewaysScroll(buyer, "the order page");

    await buyer.goto("/account/wallet");
    await assertText(buyer.locator("#wallet-history li").first(), /Payment for orders.*−/s, "the payment in the history");
  });
});

test("a bank-transfer checkout shows where to pay; a short transfer waits in suspense until the operator resolves it", { timeout: 180_000 }, async (t) => {
  await withHarness(browser, server.baseURL, t, async (h) => {
    const buyer = await (await h.newContext("buyer")).newPage();
    await buyer.setViewportSize({ width: 390, height: 844 });
    await login(buyer, DEMO.purchaser);
    await buyer.goto("/account/wallet");
    const before = (await buyer.locator("#wallet-balance").innerText()).match(/([0-9,]+\.[0-9]{2}) EUR/)[1].replaceAll(",", "");

    await toCheckout(buyer);
    await buyer.getByLabel("Bank transfer").check();
    await buyer.getByRole("button", { name: "Place order" }).click();
    await buyer.waitForURL(/\/orders\/ord_[0-9a-f]+\?placed=1$/);
    await assertText(buyer.locator(".badge").first(), /Waiting for payment/);
    const transfer = buyer.locator("#bank-transfer");
    await assertText(transfer, /DE89 3704 0044 0532 0130 00/, "the platform's IBAN");
    const reference = (await transfer.locator(".reference").innerText()).trim();
    assert.match(reference, /^AG-/);
    await assertAccessible(buyer, "the order page with bank details");
    await assertNoSidewaysScroll(buyer, "the order page with bank details");
    const orderPath = new URL(buyer.url()).pathname;

    const operator = await (await h.newContext("operator")).newPage();
    await login(operator, DEMO.operator);
    await recordTransfer(operator, reference, "1.00");
    await assertText(operator.getByRole("status"), /held in suspense/);
    const held = operator.locator("li.suspense").filter({ hasText: reference });
    await assertText(held, /1\.00 EUR held/, "the short transfer in suspense");
    await held.getByRole("button", { name: "Give it to the payer's wallet" }).click();
    await operator.waitForURL(/\/admin\/finance\?done=resolved$/);
    assert.equal(await operator.locator("li.suspense").filter({ hasText: reference }).count(), 0);
    await assertText(operator.locator("#ledger-verdict"), /Balanced/, "the ledger still verifies");

    await buyer.goto(orderPath);
    await assertText(buyer.locator(".badge").first(), /Waiting for payment/, "a short transfer pays nothing");
    await buyer.goto("/account/wallet");
    const after = (await buyer.locator("#wallet-balance").innerText()).match(/([0-9,]+\.[0-9]{2}) EUR/)[1].replaceAll(",", "");
    assert.equal(Number(after), Number(before) + 1, "the 1.00 came to the wallet");
  });
});
