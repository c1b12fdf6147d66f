// Chat through the pages: a buyer contacts a seller from the shop's page, and the two, each in a
// browser context of their own, see each other's messages and read receipts arrive without
// reloading (chat.js on the WebSocket). The pages stay accessible and fit a 390 px phone.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { formatViolations, launchBrowser, runAxe, withHarness } from "./lib/browser.mjs";
import { assertText, assertVisible, login, unique } from "./lib/flows.mjs";
import { DEMO, startServer } from "./lib/server.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ name: "chat" });
  browser = await launchBrowser();
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: 60_000 });

const run = (t, body) => withHarness(browser, server.baseURL, t, body);

async function assertAccessible(page, what) {
  const blocking = (await runAxe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.equal(blocking.length, 0, `${what}:\n${formatViolations(blocking)}`);
}

async function assertFitsPhone(page, what) {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${what} scrolls sideways by ${overflow}px at 390 px`);
  await page.setViewportSize({ width: 1280, height: 800 });
}

describe("chat", { timeout: 180_000 }, () => {
  test("a buyer and a seller see each other's messages live, in two browsers", async (t) => {
    await run(t, async (h) => {
      const subject = unique("Delivery to Lyon");
      const buyer = await (await h.newContext("buyer")).newPage();
      await login(buyer, DEMO.buyer);
      await buyer.goto("/s/nordlicht-electronics");
      await assertText(buyer.getByRole("main"), /Usually replies within|No replies to measure yet/);
      await buyer.getByRole("link", { name: "Contact the seller" }).click();
      await buyer.waitForURL(/\/messages\/new\?/);
      await assertAccessible(buyer, "the contact form");
      await buyer.getByLabel("Subject").fill(subject);
      await buyer.getByLabel("Your message").fill("Can you deliver to Lyon next week?");
      await buyer.getByRole("main").getByRole("button", { name: "Send" }).click();
      await buyer.waitForURL(/\/messages\/cnv_/);
      const log = (page) => page.getByRole("list", { name: "Messages" });
      await assertText(log(buyer), /deliver to Lyon/);

      const seller = await (await h.newContext("seller")).newPage();
      await login(seller, DEMO.seller);
      await seller.goto("/messages");
      const row = seller.getByRole("listitem").filter({ hasText: subject });
      await assertText(row, /1 unread/, "the seller's inbox counts the new message");
      await assertAccessible(seller, "the inbox");
      await assertFitsPhone(seller, "the inbox");
      await row.getByRole("link", { name: subject }).click();
      await seller.waitForURL(/\/messages\/cnv_/);
      await assertText(log(seller), /deliver to Lyon/);
      await assertText(seller.locator("#chat-status"), "Live", "the seller's page is connected");
      await assertText(buyer.locator("#chat-status"), "Live", "the buyer's page is connected");
      await assertText(buyer.locator("#chat-seen"), "Seen", "the buyer sees that the seller read it");

      const buyerURL = buyer.url();
      await seller.getByLabel("Your message").fill("Yes, on Tuesday.");
      await seller.getByRole("main").getByRole("button", { name: "Send" }).click();
      await assertText(log(buyer), /Yes, on Tuesday\./, "the seller's answer appears on the buyer's page");
      assert.equal(buyer.url(), buyerURL, "without the buyer's page reloading");

      await buyer.getByLabel("Your message").fill("Perfect, thank you!");
      await buyer.getByRole("main").getByRole("button", { name: "Send" }).click();
      await assertText(log(seller), /Perfect, thank you!/, "the buyer's answer appears on the seller's page");
      await assertText(log(buyer), /Perfect, thank you!/, "and on the buyer's own");
      await assertVisible(buyer.getByLabel("Your message"));
      assert.equal(await buyer.getByLabel("Your message").inputValue(), "", "the form is cleared");

      // Each message shows once, in order, however it arrived (the post's answer, the socket).
      const texts = await log(buyer).getByRole("listitem").allInnerTexts();
      assert.equal(texts.length, 3, texts.join("\n---\n"));
      assert.match(texts[0], /deliver to Lyon/);
      assert.match(texts[2], /Perfect, thank you!/);

      // A reload shows the same conversation, which the server kept.
      await seller.reload();
      await assertText(log(seller), /Perfect, thank you!/);
      await assertAccessible(seller, "the conversation");
      await assertFitsPhone(seller, "the conversation");
    });
  });
});
