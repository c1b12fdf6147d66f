// Negotiation through the pages, on a phone: a buyer and a seller (two browser contexts) haggle
// over a product to agreement, each seeing the other's moves arrive without reloading (the
// negotiation page listens on the WebSocket), and find the moves in their conversation; and a buyer's request for
// quotation gets three competing quotes, one of which becomes a signed contract and an order that
// the buyer pays by bank transfer.
// No page scrolls sideways at 390 px.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { formatViolations, launchBrowser, runAxe, watchAssets, withHarness } from "./lib/browser.mjs";
import { assertText, assertVisible, login } from "./lib/flows.mjs";
import { DEMO, DEMO_PASSWORD, startServer } from "./lib/server.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ name: "negotiation" });
  browser = await launchBrowser();
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: 60_000 });

async function assertNoSidewaysScroll(page, what) {
  // Measured once the page and its stylesheet have loaded, not mid-navigation.
  await page.waitForLoadState("load");
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  const culprits = width <= 390 ? [] : await page.evaluate(() =>
    [...document.querySelectorAll("main *")]
      .filter((e) => e.getBoundingClientRect().right > 391)
      .slice(0, 3)
      .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`));
  assert.ok(width <= 390, `${what} is ${width} px wide at a 390 px viewport: ${culprits.join(", ")}`);
}

/** Calls the JSON API as the demo account `email`. */
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
  return res.json();
}

/** The first shop of a demo seller and an active product of it with stock. */
async function shopAndProduct(email) {
  const me = await api(email, "GET", "/me");
  const shop = me.shops[0].id;
  const products = await api(email, "GET", `/shops/${shop}/products`);
  for (const item of products.items) {
    const p = await api(email, "GET", `/products/${item.id ?? item.product_id}`);
    if (p.status === "active" && p.variants.some((v) => v.stock >= 5)) return { shop, product: p };
  }
  throw new Error(`no product with stock for ${email}`);
}

async function phone(h, label) {
  const context = await h.newContext(label);
  const page = await context.newPage();
  await page.setViewportSize({ width: 390, height: 844 });
  return page;
}

async function assertAccessible(page, what) {
  const blocking = (await runAxe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.equal(blocking.length, 0, `${what}:\n${formatViolations(blocking)}`);
}

/** Marks the loaded page, so that a later check can tell it was never reloaded. */
async function markPage(page) {
  await page.evaluate(() => { window.agoraNotReloaded = true; });
}

async function assertNotReloaded(page, what) {
  assert.equal(await page.evaluate(() => window.agoraNotReloaded === true), true, `${what} was reloaded`);
}

function dateIn(days) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

test("a buyer and a seller haggle to a signed contract and an order", { timeout: 180_000 }, async (t) => {
  await withHarness(browser, server.baseURL, t, async (h) => {
    const { product } = await shopAndProduct(DEMO.seller);
    const seller = await phone(h, "seller");
    const buyer = await phone(h, "buyer");

    // The seller switches offers on for the product, with a floor.
    await login(seller, DEMO.seller);
    await seller.goto(`/p/${product.id}`);
    await seller.getByLabel("Let buyers make offers on this product").check();
    const list = product.variants[0].price.amount;
    await seller.getByLabel(/Lowest price you consider/).fill((list * 0.5 / 100).toFixed(2));
    await seller.getByRole("button", { name: "Save offer settings" }).click();
    await assertText(seller.getByRole("status"), /Offer settings saved/);

    // Under the floor: declined without saying where the floor is.
    await login(buyer, DEMO.buyer);
    await buyer.goto(`/p/${product.id}`);
    await assertNoSidewaysScroll(buyer, "the product page with the offer form");
    const offerForm = buyer.getByRole("region", { name: "Make an offer" });
    await offerForm.getByLabel("Your price per unit").fill((list * 0.3 / 100).toFixed(2));
    await offerForm.getByRole("button", { name: "Send offer" }).click();
    await assertText(buyer.locator("#offer-error"), /does not accept offers at this price/);
    const refusal = await buyer.locator("#offer-error").innerText();
    assert.ok(!refusal.includes((list * 0.5 / 100).toFixed(2)), `the floor leaks: ${refusal}`);

    // A fair offer opens the negotiation.
    const again = buyer.getByRole("region", { name: "Make an offer" });
    await again.getByLabel("Quantity").fill("2");
    await again.getByLabel("Your price per unit").fill((list * 0.8 / 100).toFixed(2));
    await again.getByLabel("Message to the seller").fill("Two for the office, if you can do this price?");
    await again.getByRole("button", { name: "Send offer" }).click();
    await buyer.waitForURL(/\/negotiations\/neg_/);
    await assertText(buyer.getByRole("status"), /Your offer was sent/);
    await assertText(buyer.locator("#whose-turn"), /Waiting for the other side/);
    const negotiation = new URL(buyer.url()).pathname;
    await assertNoSidewaysScroll(buyer, "the negotiation");

    // The seller finds it in the list and counters; the buyer's page, never reloaded, shows it.
    await markPage(buyer);
    await seller.goto("/sell/negotiations");
    await seller.getByRole("link", { name: product.title }).first().click();
    await assertText(seller.locator("#whose-turn"), /Your turn/);
    await seller.getByLabel(/Price per unit/).fill((list * 0.9 / 100).toFixed(2));
    await seller.getByLabel(/^Message/).fill("Meet me here and it ships tomorrow.");
    await seller.getByRole("button", { name: "Send counter-offer" }).click();
    await assertText(seller.getByRole("status"), /counter-offer was sent/);
    await assertNoSidewaysScroll(seller, "the seller's negotiation");
    await assertText(buyer.locator("#rounds"), /Meet me here/);
    await assertText(buyer.locator("#whose-turn"), /Your turn/);
    await assertNotReloaded(buyer, "the buyer's negotiation");

    // The buyer counters once more; the seller's page, never reloaded, shows it.
    await markPage(seller);
    const agreed = (list * 0.85 / 100).toFixed(2);
    await buyer.getByLabel(/Price per unit/).fill(agreed);
    await buyer.getByLabel(/^Message/).fill("Split the difference?");
    await buyer.getByRole("button", { name: "Send counter-offer" }).click();
    await assertText(buyer.getByRole("status"), /counter-offer was sent/);
    await assertText(buyer.locator("#whose-turn"), /Waiting for the other side/);
    await markPage(buyer);
    await assertText(seller.locator("#rounds"), /Split the difference/);
    await assertText(seller.locator("#whose-turn"), /Your turn/);
    await assertNotReloaded(seller, "the seller's negotiation");

    // The seller accepts; the buyer's page turns to the agreement by itself.
    await seller.getByRole("button", { name: /^Accept/ }).click();
    await assertText(seller.getByRole("status"), /the contract is signed and the order is placed/);
    await assertText(seller.locator("#negotiation-status"), /Agreed/);
    await assertText(buyer.locator("#negotiation-status"), /Agreed/);
    await assertVisible(buyer.locator("#contract-link"), "the contract link on the buyer's page");
    await assertNotReloaded(buyer, "the buyer's negotiation");

    await buyer.locator("#contract-link").click();
    await buyer.waitForURL(/\/contracts\/ctr_/);
    await assertText(buyer.locator("#contract-valid"), /Signature valid/);
    await assertNoSidewaysScroll(buyer, "the contract page");
    await buyer.locator("#contract-order").click();
    await buyer.waitForURL(/\/orders\/ord_/);
    await assertText(buyer.getByRole("main"), /Waiting for payment/);
    await assertText(buyer.getByRole("main"), new RegExp(agreed.replace(".", "[.,]")));

    // The negotiation page stays light and accessible with its live script.
    const assets = watchAssets(buyer);
    await buyer.goto(negotiation, { waitUntil: "load" });
    await buyer.waitForLoadState("networkidle").catch(() => {});
    const weight = await assets.stop();
    assert.ok(weight.files.some((f) => /\/assets\/negotiation\.[0-9a-f]{10}\.js$/.test(f.url)), "the live script, content-hashed");
    assert.ok(weight.total <= 100 * 1024, `the negotiation page loads ${weight.total} bytes of CSS and JavaScript`);
    await assertAccessible(buyer, "the agreed negotiation");

    // Every move is in the conversation between the two, and the floor is not.
    await buyer.locator("#conversation-link").click();
    await buyer.waitForURL(/\/messages\/cnv_/);
    const log = buyer.getByRole("list", { name: "Messages" });
    await assertText(log, /declined automatically/);
    await assertText(log, /counter-offer by/);
    await assertText(log, /accepted by/);
    const chat = await log.innerText();
    assert.ok(!chat.includes((list * 0.5 / 100).toFixed(2)), `the floor shows in the conversation: ${chat}`);
    await assertNoSidewaysScroll(buyer, "the conversation with the negotiation's events");
    await assertAccessible(buyer, "the conversation with the negotiation's events");
  });
});

test("an RFQ with three competing quotes ends in a contract, an order and its payment", { timeout: 240_000 }, async (t) => {
  await withHarness(browser, server.baseURL, t, async (h) => {
    const sellers = [DEMO.seller, "lucie@atelier-lune.example", "hans@hanse-provisions.example"];
    const shops = [];
    for (const email of sellers) shops.push((await shopAndProduct(email)).shop);

    const buyer = await phone(h, "buyer");
    await login(buyer, DEMO.purchaser);
    await buyer.goto("/rfqs");
    await buyer.getByRole("link", { name: "Request quotes" }).click();
    await buyer.getByLabel("What do you need?").fill("Gift boxes for 40 clients");
    await buyer.getByLabel("Specification").fill("Anything our clients will like, wrapped.");
    await buyer.getByLabel("Quantity").fill("2");
    await buyer.getByLabel(/Target price per unit/).fill("30.00");
    await buyer.getByLabel("Keep the target price from the sellers").check();
    await buyer.getByLabel("Quotes accepted until").fill(dateIn(7));
    await buyer.getByLabel(/Invite only these shops/).fill(shops.join(", "));
    await assertNoSidewaysScroll(buyer, "the RFQ form");
    await buyer.getByRole("button", { name: "Publish request" }).click();
    await buyer.waitForURL(/\/rfqs\/rfq_/);
    await assertText(buyer.getByRole("status"), /Your request is published/);
    const rfq = new URL(buyer.url()).pathname;

    const prices = ["25.00", "21.50", "23.00"];
    const leads = ["9", "14", "3"];
    for (const [i, email] of sellers.entries()) {
      const seller = await phone(h, `seller-${i}`);
      await login(seller, email);
      await seller.goto("/sell/rfqs");
      await assertNoSidewaysScroll(seller, "the RFQ marketplace");
      await seller.getByRole("link", { name: "Gift boxes for 40 clients" }).click();
      await assertNoSidewaysScroll(seller, "the quote form");
      assert.ok(!(await seller.getByRole("main").innerText()).includes("30.00"), "the hidden target shows");
      await seller.getByLabel("Price per unit").fill(prices[i]);
      await seller.getByLabel("Lead time in days").fill(leads[i]);
      await seller.getByLabel("Valid until").fill(dateIn(20));
      await seller.getByLabel(/Terms and notes/).fill(`Quote from shop ${i + 1}`);
      await seller.getByRole("button", { name: "Send quote" }).click();
      await assertText(seller.getByRole("status"), /Your quote was sent/);
      const main = await seller.getByRole("main").innerText();
      for (const other of prices.filter((_, j) => j !== i)) {
        assert.ok(!main.includes(other), `seller ${i} sees another quote (${other})`);
      }
      await seller.context().close();
    }

    await buyer.goto(rfq);
    const rows = buyer.locator("#quote-table .quote-row");
    assert.equal(await rows.count(), 3);
    assert.match(await rows.first().innerText(), /21[.,]50/, "cheapest first");
    await buyer.locator("#sort-lead-time").click();
    await buyer.waitForURL(/sort=lead_time/);
    assert.match(await buyer.locator("#quote-table .quote-row").first().innerText(), /3 days/);
    await assertNoSidewaysScroll(buyer, "the quote comparison");

    await buyer.locator("#quote-table .quote-row").filter({ hasText: /21[.,]50/ }).getByRole("button", { name: /^Accept/ }).click();
    await buyer.waitForURL(/\/contracts\/ctr_/);
    await assertText(buyer.getByRole("status"), /contract is signed/);
    await assertText(buyer.locator("#contract-valid"), /Signature valid/);
    await assertVisible(buyer.locator("#download-contract"), "the download link");
    await buyer.locator("#contract-order").click();
    await buyer.waitForURL(/\/orders\/ord_/);
    await assertText(buyer.getByRole("main"), /21[.,]50/);

    // The agreed order is paid like any other: by bank transfer (the request's default), which
    // the operator records; the order then shows it paid.
    const orderPath = new URL(buyer.url()).pathname;
    const transfer = buyer.locator("#bank-transfer");
    await assertText(buyer.locator(".badge").first(), /Waiting for payment/);
    const reference = (await transfer.locator(".reference").innerText()).trim();
    const amount = (await transfer.innerText()).match(/([0-9][0-9,]*\.[0-9]{2}) EUR/)[1].replaceAll(",", "");
    assert.ok(Number(amount) >= 43, `two units at the agreed 21.50 are to be paid, not ${amount}`);
    const operator = await (await h.newContext("operator")).newPage();
    await login(operator, DEMO.operator);
    await operator.goto("/admin/finance");
    const row = operator.locator(`li.transfer[data-reference="${reference}"]`);
    await assertVisible(row, "the agreed order's transfer waiting on the finance page");
    await row.getByLabel(/Amount received/).fill(amount);
    await row.getByRole("button", { name: "Record transfer" }).click();
    await operator.waitForURL(/\/admin\/finance\?done=/);
    await assertText(operator.locator("#ledger-verdict"), /Balanced/, "the ledger verifies");
    await buyer.goto(orderPath);
    await assertText(buyer.locator(".badge").first(), /Paid/, "the agreed order is paid");
    await assertText(buyer.locator("#payment"), /· paid/, "the payment on the order page");

    await buyer.goto(rfq);
    await assertText(buyer.locator("#quote-table"), /Not chosen/);
    await assertText(buyer.locator("#quote-table"), /Accepted/);
  });
});
