// Accounts and the back office: registering logs in, a failed login keeps the email, people see no
// company-name field, a password change names the API tokens it revoked, the shop application is
// all or nothing with a choice of document kinds, and the operator reads the whole exchange and
// confirms before rejecting; a rejected shop offers no upload form. Each page is checked with
// axe-core and at a phone's width.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { assertFitsPhone, formatViolations, launchBrowser, runAxe, withHarness } from "./lib/browser.mjs";
import { assertText, assertVisible, login, logout, makePdf, register, unique, uniqueEmail } from "./lib/flows.mjs";
import { DEMO, startServer } from "./lib/server.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ name: "back-office" });
  browser = await launchBrowser();
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: 60_000 });

const run = (t, body) => withHarness(browser, server.baseURL, t, body);

/** No serious or critical axe-core violation, and no sideways scroll at 390 px. */
async function assertGoodPage(page, what) {
  await page.setViewportSize({ width: 1280, height: 900 });
  const blocking = (await runAxe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.equal(blocking.length, 0, `${what}:\n${formatViolations(blocking)}`);
  await assertFitsPhone(page, what);
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe("back office", { timeout: 240_000 }, () => {
  test("accounts: registering, a failed login, and a password change that names the revoked tokens", async (t) => {
    await run(t, async (h) => {
      const page = await (await h.newContext("person")).newPage();
      await page.goto("/register");
      assert.equal(await page.getByLabel(/^Company name/).isVisible(), false, "people see no company-name field");
      await page.getByLabel("A company").check();
      await assertVisible(page.getByLabel(/^Company name/), "companies do");
      const me = { name: "Pia Person", email: uniqueEmail("pia"), password: "a-long-enough-password" };
      await register(page, me);
      await logout(page);

      await page.goto("/login");
      await page.getByLabel("Email").fill(me.email);
      await page.getByLabel("Password").fill("not-the-password");
      await page.getByRole("main").getByRole("button", { name: "Log in" }).click();
      await assertText(page.getByRole("alert"), /do not match/);
      assert.equal(await page.getByLabel("Email").inputValue(), me.email, "the email is kept");
      await assertGoodPage(page, "the login page after a failed attempt");

      await login(page, me.email, me.password);
      await page.getByLabel("New API token name").fill("Stock sync");
      await page.getByRole("button", { name: "Create token" }).click();
      await page.getByLabel("Current password").fill(me.password);
      await page.getByLabel(/^New password/).fill("another-long-password");
      await page.getByRole("button", { name: "Change password" }).click();
      await assertText(page.getByRole("status"), /API tokens were revoked/);
      await assertText(page.locator("#revoked-tokens"), /Stock sync, created/);
      await assertGoodPage(page, "the account page after a password change");
    });
  });

  test("a shop application is all or nothing, and the operator confirms a rejection", async (t) => {
    await run(t, async (h) => {
      const page = await (await h.newContext("seller")).newPage();
      const seller = { name: "Rolf Refused", email: uniqueEmail("rolf"), password: "a-long-enough-password" };
      await register(page, seller);
      const shopName = unique("Rolf Foods");
      await page.goto("/sell/apply");
      await page.getByLabel("Shop name").fill(shopName);
      await page.getByLabel(/^Legal name/).fill("Rolf Foods GmbH");
      await page.getByLabel(/^Registration number/).fill("HRB 777");
      const categories = page.getByRole("group", { name: "Categories you want to sell in" });
      await categories.locator("label").filter({ hasText: "licence needed" }).first().getByRole("checkbox").check();
      const kind = page.getByLabel("Document kind");
      assert.equal(await kind.evaluate((el) => el.tagName), "SELECT", "document kind is a choice");
      await kind.selectOption("food_licence");
      await page.getByLabel("File", { exact: true }).setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a document") });
      await page.getByRole("button", { name: "Send application" }).click();
      await assertText(page.locator("#file-error"), /PDF, PNG or JPEG/);
      assert.equal(await page.getByLabel("Shop name").inputValue(), shopName, "what was typed is kept");
      assert.equal(await page.getByLabel(/^Registration number/).inputValue(), "HRB 777");
      assert.equal(await page.getByLabel("Document kind").inputValue(), "food_licence");
      await assertGoodPage(page, "the refused application");
      await page.goto("/sell");
      assert.equal(await page.getByRole("link", { name: shopName }).count(), 0, "no shop was made");

      await page.goto("/sell/apply");
      await page.getByLabel("Shop name").fill(shopName);
      await page.getByLabel(/^Legal name/).fill("Rolf Foods GmbH");
      await page.getByRole("group", { name: "Categories you want to sell in" }).locator("label").filter({ hasText: "licence needed" }).first().getByRole("checkbox").check();
      await page.getByLabel("Document kind").selectOption("food_licence");
      await page.getByLabel("File", { exact: true }).setInputFiles({ name: "licence.pdf", mimeType: "application/pdf", buffer: makePdf() });
      await page.getByRole("button", { name: "Send application" }).click();
      await page.waitForURL(/\/sell\/shops\/[^/?]+\?applied=1$/);
      const shopPath = new URL(page.url()).pathname;
      const id = shopPath.split("/").pop();

      const op = await (await h.newContext("operator")).newPage();
      await login(op, DEMO.operator);
      await op.goto(`/admin/shops/${id}`);
      await assertText(op.locator("#applicant-email"), seller.email);
      await op.getByLabel("Ask for more information").fill("Please send the licence's second page.");
      await op.getByRole("button", { name: "Send question" }).click();
      await op.waitForURL(/\/admin\/shops\?done=info_requested$/);

      await page.goto(shopPath);
      await page.getByLabel("Document kind").selectOption("food_licence");
      await page.getByLabel(/^File/).setInputFiles({ name: "page-two.pdf", mimeType: "application/pdf", buffer: makePdf("Page two") });
      await page.getByRole("button", { name: "Upload" }).click();
      await page.waitForURL(/\?uploaded=1$/);

      await op.goto(`/admin/shops/${id}`);
      const history = op.locator("#review-history");
      await assertText(history, /Asked for more information[\s\S]*second page[\s\S]*Uploaded a document \(food licence\)/);
      await assertGoodPage(op, "the operator's decision page");
      await op.getByLabel("Reason for rejection").fill("The licence has expired.");
      await op.getByRole("button", { name: "Reject" }).click();
      await assertVisible(op.locator("#confirm-reject"), "the rejection is asked again");
      await assertText(op.locator("#shop-status"), "Waiting for review");
      await assertGoodPage(op, "the rejection's confirmation");
      await op.getByRole("button", { name: "Yes, reject the shop" }).click();
      await op.waitForURL(/\/admin\/shops\?done=rejected$/);

      await page.goto(shopPath);
      await assertText(page.locator("#shop-status"), "Rejected");
      assert.equal(await page.getByRole("button", { name: "Upload" }).count(), 0, "a rejected shop offers no upload form");
      await assertVisible(page.locator("#no-upload"));
      await assertGoodPage(page, "the rejected shop's page");
    });
  });
});
