// Money back out, in the browser: the seller sees the balance of an order the buyer confirmed,
// registers a payout account (a wrong IBAN is named first), requests a payout and sees it in the
// history; the operator marks it sent and the seller sees it sent. On a phone (390 px) the finance
// page does not scroll sideways and has no serious accessibility problem.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { formatViolations, launchBrowser, runAxe, withHarness } from "./lib/browser.mjs";
import { assertText, assertVisible, login } from "./lib/flows.mjs";
import { DEMO, DEMO_PASSWORD, startServer } from "./lib/server.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ name: "finance" });
  browser = await launchBrowser();
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: 60_000 });

async function api(method, path, token, body) {
  const res = await fetch(`${server.baseURL}/api/v1${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

async function token(email) {
  const r = await api("POST", "/auth/login", null, { email, password: DEMO_PASSWORD });
  assert.equal(r.status, 200, r.text);
  return r.json.token;
}

/** A bank-transfer order of one unit from the seller's shop, paid, shipped and confirmed: its money is released. */
async function releasedOrder(shopId, buyer, seller, operator) {
  const search = await api("GET", `/search?shop=${shopId}`, buyer);
  assert.equal(search.status, 200, search.text);
  let variantId = null;
  for (const item of search.json.items) {
    const p = await api("GET", `/products/${item.product_id}`, buyer);
    const v = (p.json?.variants || []).find((x) => x.stock > 0 && x.price.currency === "EUR");
    if (v) { variantId = v.id; break; }
  }
  assert.ok(variantId, "a variant in stock");
  let r = await api("POST", "/cart/items", buyer, { variant_id: variantId, quantity: 1 });
  assert.equal(r.status, 201, r.text);
  r = await api("POST", "/checkout", buyer, {
    shipping_address: { name: "Bea Buyer", line1: "Hauptstr. 1", city: "Berlin", postal_code: "10115", country: "DE" },
    payment_method: "bank_transfer",
  });
  assert.equal(r.status, 201, r.text);
  const order = r.json.orders.find((o) => o.shop.id === shopId);
  const payment = r.json.payment;
  r = await api("POST", `/payments/${payment.id}/confirm-transfer`, operator, { amount: payment.amount });
  assert.equal(r.status, 200, r.text);
  r = await api("POST", `/orders/${order.id}/ship`, seller, { carrier: "DHL", tracking_number: "JJD1" });
  assert.equal(r.status, 200, r.text);
  r = await api("POST", `/orders/${order.id}/confirm-receipt`, buyer);
  assert.equal(r.status, 200, r.text);
}

test("a seller registers a payout account and requests a payout; the operator sends it", { timeout: 180_000 }, async (t) => {
  const [buyer, seller, operator] = await Promise.all([token(DEMO.buyer), token(DEMO.seller), token(DEMO.operator)]);
  const me = await api("GET", "/me", seller);
  const shopId = me.json.shops[0].id ?? me.json.shops[0];
  await releasedOrder(shopId, buyer, seller, operator);

  await withHarness(browser, server.baseURL, t, async (h) => {
    const page = await (await h.newContext("seller")).newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await login(page, DEMO.seller);
    await page.goto(`/sell/shops/${shopId}`);
    await page.getByRole("link", { name: "Finance" }).click();
    await page.waitForURL(/\/finance$/);
    await assertText(page.getByRole("heading", { level: 1 }), /^Finance/);
    await assertText(page.getByTestId("available-EUR"), /[1-9]/, "the available balance");
    await assertVisible(page.getByText(/Order completed/).first(), "the release among the movements");
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the finance page is ${width} px wide at 390 px`);
    const blocking = (await runAxe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
    assert.equal(blocking.length, 0, formatViolations(blocking));

    await page.getByLabel("Account holder").fill("Nora Nordlicht");
    await page.getByLabel("IBAN").fill("DE88 3704 0044 0532 0130 00");
    await page.getByRole("button", { name: "Save payout account" }).click();
    await assertText(page.locator("#iban-error"), /check digits/, "the wrong IBAN is named");
    await page.getByLabel("IBAN").fill("DE89 3704 0044 0532 0130 00");
    await page.getByRole("button", { name: "Save payout account" }).click();
    await page.waitForURL(/\/finance/);
    await assertText(page.getByTestId("payout-iban"), /DE89 3704/, "the registered account");

    await page.getByLabel(/^Amount/).fill("10.00");
    await page.getByRole("button", { name: "Request payout" }).click();
    await page.waitForURL(/\/finance/);
    await assertText(page.getByTestId("payout").first(), /10 EUR.*Requested|10\.00 EUR.*Requested/s, "the payout in the history");

    const op = await (await h.newContext("operator")).newPage();
    await login(op, DEMO.operator);
    await op.goto("/admin/payouts");
    const row = op.locator("li").filter({ hasText: "Nordlicht" }).first();
    await assertVisible(row, "the payout in the operator's queue");
    await row.getByRole("button", { name: "Mark sent" }).click();
    await op.waitForURL(/\/admin\/payouts$/);

    await page.reload();
    await assertText(page.getByTestId("payout").first(), /Sent to the bank/, "the payout was sent");
  });
});
