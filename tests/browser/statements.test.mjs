// A bank statement through the finance page: a buyer checks out by bank transfer, the operator
// uploads a statement that names a bad line (nothing is recorded, the line is named), then the
// corrected statement: the exact transfer pays the order, an unknown one is held for review, and
// the ledger still verifies. Accessible, and the buyer's order page shows it paid.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { formatViolations, launchBrowser, runAxe, withHarness } from "./lib/browser.mjs";
import { assertText, assertVisible, login } from "./lib/flows.mjs";
import { DEMO, startServer } from "./lib/server.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ name: "statements" });
  browser = await launchBrowser();
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: 60_000 });

async function upload(operator, csv) {
  await operator.goto("/admin/finance");
  await operator.getByLabel("Statement file").setInputFiles({
    name: "statement.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(csv),
  });
  await operator.getByRole("button", { name: "Import statement" }).click();
  await operator.waitForURL(/\/admin\/finance\/statements$/);
}

test("an operator imports a bank statement: a bad file is named by line, the exact transfer pays the order", { timeout: 180_000 }, async (t) => {
  await withHarness(browser, server.baseURL, t, async (h) => {
    const buyer = await (await h.newContext("buyer")).newPage();
    await login(buyer, DEMO.buyer);
    await buyer.goto("/s/nordlicht-electronics");
    await buyer
      .locator(".product-card")
      .filter({ hasNot: buyer.locator(".badge-muted") })
      .locator("a")
      .first()
      .click();
    await buyer.waitForURL(/\/p\//);
    await buyer.getByRole("button", { name: /^Add to cart/ }).first().click();
    await buyer.waitForURL(/\/cart\?added=1$/);
    await buyer.getByRole("link", { name: "Check out" }).click();
    await buyer.waitForURL(/\/checkout$/);
    await buyer.getByLabel("Street and number").fill("Hauptstraße 1");
    await buyer.getByLabel("Postal code").fill("10115");
    await buyer.getByLabel("City").fill("Berlin");
    await buyer.getByLabel(/^Country/).fill("DE");
    await buyer.getByLabel("Bank transfer").check();
    await buyer.getByRole("button", { name: "Place order" }).click();
    await buyer.waitForURL(/\/orders\/ord_[0-9a-f]+\?placed=1$/);
    const transfer = buyer.locator("#bank-transfer");
    const reference = (await transfer.locator(".reference").innerText()).trim();
    const amount = (await transfer.innerText()).match(/([0-9][0-9,]*\.[0-9]{2}) EUR/)[1].replaceAll(",", "");
    const orderPath = new URL(buyer.url()).pathname;

    const operator = await (await h.newContext("operator")).newPage();
    await login(operator, DEMO.operator);
    await upload(operator, `date,amount,currency,reference\n2026-11-30,${amount},EUR,${reference}\n2026-11-30,12,EUR,x\n`);
    await assertText(operator.locator("#statement-errors"), /line 3: amount "12"/, "the bad line, named");
    await assertText(operator.getByRole("alert").first(), /Nothing was recorded/);
    await buyer.goto(orderPath);
    await assertText(buyer.locator(".badge").first(), /Waiting for payment/, "a refused file pays nothing");

    await upload(
      operator,
      `date,amount,currency,reference,counterparty\n2026-11-30,${amount},EUR,Order ${reference},Bea\n2026-11-30,3.00,EUR,no reference,Someone\n`,
    );
    const rows = operator.locator("#statement-result tbody tr");
    assert.equal(await rows.count(), 2);
    assert.equal(await rows.nth(0).getAttribute("data-outcome"), "settled");
    assert.equal(await rows.nth(1).getAttribute("data-outcome"), "unmatched");
    await assertVisible(operator.locator("#unmatched-lines").filter({ hasText: "no reference" }), "the unknown transfer, held for review");
    await assertText(operator.locator("#ledger-verdict"), /Balanced/, "the ledger verifies");
    const blocking = (await runAxe(operator)).filter((v) => v.impact === "serious" || v.impact === "critical");
    assert.equal(blocking.length, 0, `the finance page with a statement's result:\n${formatViolations(blocking)}`);

    await buyer.goto(orderPath);
    await assertText(buyer.locator(".badge").first(), /Paid/, "the statement paid the order");
  });
});
