// The RFQ moves besides accepting, through the pages on a phone: the buyer and a quoting shop
// ask and answer a question about its quote in their conversation, another shop withdraws its
// quote, and the buyer cancels the request (the remaining quote closes). Then a buyer rates the
// shop of a completed order and the storefront shows the rating.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { launchBrowser, withHarness } from "./lib/browser.mjs";
import { assertText, login } from "./lib/flows.mjs";
import { DEMO, DEMO_PASSWORD, startServer } from "./lib/server.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ name: "rfq-moves" });
  browser = await launchBrowser();
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: 60_000 });

/** Calls the JSON API as the demo account `email`; returns the status and the parsed body. */
async function api(email, method, path, body) {
  const base = server.baseURL;
  const login = await fetch(new URL("/api/v1/auth/login", base), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: DEMO_PASSWORD }),
  });
  const { token } = await login.json();
  const res = await fetch(new URL(`/api/v1${path}`, base), {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** The first shop of a demo seller and an active variant of it with stock. */
async function shopAndVariant(email) {
  const me = (await api(email, "GET", "/me")).body;
  const shop = me.shops[0];
  const products = (await api(email, "GET", `/shops/${shop.id}/products`)).body;
  for (const item of products.items) {
    const p = (await api(email, "GET", `/products/${item.id ?? item.product_id}`)).body;
    const v = p.variants.find((v) => v.stock >= 5);
    if (p.status === "active" && v) return { shop: shop.id, shopName: shop.name, variant: v };
  }
  throw new Error(`no product with stock for ${email}`);
}

async function phone(h, label) {
  const context = await h.newContext(label);
  const page = await context.newPage();
  await page.setViewportSize({ width: 390, height: 844 });
  return page;
}

const inDays = (days) => new Date(Date.now() + days * 86_400_000).toISOString();

test("a question about a quote, a withdrawn quote and a cancelled request", { timeout: 180_000 }, async (t) => {
  await withHarness(browser, server.baseURL, t, async (h) => {
    const nora = await shopAndVariant(DEMO.seller);
    const lucieEmail = "lucie@atelier-lune.example";
    const lucie = await shopAndVariant(lucieEmail);
    const category = (await api(DEMO.seller, "GET", `/shops/${nora.shop}`)).body.categories[0];
    const created = await api(DEMO.purchaser, "POST", "/rfqs", {
      title: "Desk lamps for the new office", category, quantity: 2, deadline: inDays(7),
      invited_shops: [nora.shop, lucie.shop],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const rfqPath = `/rfqs/${created.body.id}`;
    for (const [email, s, price] of [[DEMO.seller, nora, 2500], [lucieEmail, lucie, 2400]]) {
      const q = await api(email, "POST", `/rfqs/${created.body.id}/quotes`, {
        variant_id: s.variant.id, unit_price: { amount: price, currency: s.variant.price.currency },
        quantity: 2, lead_time_days: 5, valid_until: inDays(20),
      });
      assert.equal(q.status, 201, JSON.stringify(q.body));
    }

    // The buyer asks Nora's shop a question from the comparison row.
    const buyer = await phone(h, "buyer");
    await login(buyer, DEMO.purchaser);
    await buyer.goto(rfqPath);
    await buyer.locator("#quote-table .quote-row").filter({ hasText: nora.shopName })
      .getByRole("button", { name: /^Ask a question/ }).click();
    await buyer.waitForURL(/\/messages\/cnv_/);
    const conversation = new URL(buyer.url()).pathname;
    await buyer.getByLabel("Your message").fill("Can the lamps come with warm white bulbs?");
    await buyer.getByRole("button", { name: "Send" }).click();
    await assertText(buyer.locator("#chat-log"), /warm white bulbs/);

    // Nora finds the same conversation from her quote.
    const seller = await phone(h, "seller");
    await login(seller, DEMO.seller);
    await seller.goto(rfqPath);
    await seller.getByRole("button", { name: "Ask a question" }).click();
    await seller.waitForURL(/\/messages\/cnv_/);
    assert.equal(new URL(seller.url()).pathname, conversation, "one conversation per quote");
    await assertText(seller.locator("#chat-log"), /warm white bulbs/);

    // Lucie withdraws her quote.
    const other = await phone(h, "lucie");
    await login(other, lucieEmail);
    await other.goto(rfqPath);
    await other.getByRole("button", { name: "Withdraw quote" }).click();
    await assertText(other.getByRole("status"), /Your quote is withdrawn/);
    await assertText(other.locator("#my-quote-status"), /Withdrawn/);
    assert.equal(await other.getByRole("button", { name: "Withdraw quote" }).count(), 0);

    // The buyer sees it withdrawn (nothing to accept there), then cancels the request.
    await buyer.goto(rfqPath);
    const lucieRow = buyer.locator("#quote-table .quote-row").filter({ hasText: lucie.shopName });
    await assertText(lucieRow, /Withdrawn/);
    assert.equal(await lucieRow.getByRole("button", { name: /^Accept/ }).count(), 0);
    await buyer.getByRole("button", { name: "Cancel request" }).click();
    await assertText(buyer.getByRole("status"), /Your request is cancelled/);
    await assertText(buyer.getByRole("main"), /Cancelled/);
    assert.equal(await buyer.getByRole("button", { name: /^Accept/ }).count(), 0, "nothing to accept");
    assert.equal(await buyer.getByRole("button", { name: "Cancel request" }).count(), 0);

    await seller.goto(rfqPath);
    await assertText(seller.locator("#my-quote-status"), /Not chosen/);
  });
});

test("a buyer rates the shop of a completed order and the storefront shows it", { timeout: 120_000 }, async (t) => {
  await withHarness(browser, server.baseURL, t, async (h) => {
    const hans = "hans@hanse-provisions.example";
    const s = await shopAndVariant(hans);
    let r = await api(DEMO.buyer, "POST", "/cart/items", { variant_id: s.variant.id, quantity: 1 });
    assert.ok(r.status < 300, JSON.stringify(r.body));
    r = await api(DEMO.buyer, "POST", "/checkout", {
      shipping_address: { name: "Bea Buyer", line1: "Hauptstr. 1", city: "Berlin", postal_code: "10115", country: "DE" },
      payment_method: "wallet",
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const order = r.body.orders.find((o) => o.shop.id === s.shop) ?? r.body.orders[0];
    r = await api(hans, "POST", `/orders/${order.id}/ship`, { carrier: "DHL", tracking_number: "123" });
    assert.equal(r.status, 200, JSON.stringify(r.body));

    const buyer = await phone(h, "buyer");
    await login(buyer, DEMO.buyer);
    await buyer.goto(`/orders/${order.id}`);
    assert.equal(await buyer.getByRole("button", { name: "Rate the shop" }).count(), 0, "not before completion");
    await buyer.getByRole("button", { name: "I received the goods" }).click();
    await buyer.goto(`/orders/${order.id}`);
    await buyer.getByLabel("4 ★").check();
    await buyer.getByLabel(/^Comment/).fill("Fresh and well packed.");
    await buyer.getByRole("button", { name: "Rate the shop" }).click();
    await assertText(buyer.getByRole("status"), /Thank you for rating the shop/);
    await assertText(buyer.locator("#order-rating"), /4 of 5/);
    await assertText(buyer.locator("#order-rating"), /Fresh and well packed/);
    assert.equal(await buyer.getByRole("button", { name: "Rate the shop" }).count(), 0, "once per order");

    const profile = (await api(hans, "GET", `/shops/${s.shop}`)).body;
    await buyer.goto(`/s/${profile.slug}`);
    await assertText(buyer.locator("#shop-rating"), /4\.0 of 5 from 1 rating/);
  });
});
