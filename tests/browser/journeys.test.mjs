// Journeys through the pages, as people use them: becoming a seller and being approved, forms that
// show their errors, and a company admin inviting members. Every page must be free of console
// errors and must not reach for any host but 127.0.0.1.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { formatViolations, launchBrowser, runAxe, withHarness } from "./lib/browser.mjs";
import {
  accountNav,
  applyForShop,
  assertText,
  assertVisible,
  login,
  logout,
  makePdf,
  register,
  unique,
  uniqueEmail,
} from "./lib/flows.mjs";
import { DEMO, startServer } from "./lib/server.mjs";

let server;
let browser;

before(async () => {
  server = await startServer({ name: "journeys" });
  browser = await launchBrowser();
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: 60_000 });

const run = (t, body) => withHarness(browser, server.baseURL, t, body);

/** No serious or critical axe-core violation on the page as it is now. */
async function assertAccessible(page, what) {
  const blocking = (await runAxe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.equal(blocking.length, 0, `${what}:\n${formatViolations(blocking)}`);
}

describe("journeys", { timeout: 180_000 }, () => {
  test("a new person registers, applies for a shop with a document, and is approved by the operator", async (t) => {
    await run(t, async (h) => {
      const seller = {
        name: "Selma Seller",
        email: uniqueEmail("seller"),
        password: "a-long-enough-password",
      };
      const shopName = `${unique("Browser Test Shop")}`;
      const pdf = makePdf();
      assert.equal(pdf.subarray(0, 5).toString("latin1"), "%PDF-");

      // The seller: register, log in, apply.
      const sellerContext = await h.newContext("seller");
      const page = await sellerContext.newPage();
      await register(page, seller);
      await login(page, seller.email, seller.password);
      await assertVisible(accountNav(page).getByRole("link", { name: seller.name }));

      await page.getByRole("link", { name: "Sell", exact: true }).click();
      await page.waitForURL(/\/sell\/apply$/);
      const shop = await applyForShop(page, {
        name: shopName,
        legalName: "Selma Seller",
        document: { kind: "food_licence", filename: "trade-register.pdf", bytes: pdf },
      });
      await assertText(page.getByRole("heading", { level: 1 }), shopName);
      await assertText(page.locator("#shop-status"), "Waiting for review", "the new shop's status");
      await assertText(page.getByRole("status"), /Your application was sent/);
      const docRow = page.getByRole("table", { name: "Qualification documents" }).getByRole("row").filter({ hasText: "trade-register.pdf" });
      await assertVisible(docRow, "the uploaded document is listed on the shop page");
      await assertText(docRow.getByRole("cell").first(), "food_licence", "the document's kind");

      // The shop shows on the seller's account page too.
      await page.goto("/account");
      await assertText(
        page.getByRole("region", { name: "Your shops" }).getByRole("listitem").filter({ hasText: shopName }),
        /Waiting for review/,
      );

      await logout(page);
      // Logged out for real: the account page asks to log in again.
      await page.goto("/account");
      await page.waitForURL(/\/login\?next=%2Faccount$|\/login\?next=\/account$/);

      // The operator, in a fresh context: the queue, the shop, Approve.
      const opContext = await h.newContext("operator");
      const op = await opContext.newPage();
      await login(op, DEMO.operator);
      await accountNav(op).getByRole("link", { name: "Back office" }).click();
      await op.waitForURL(/\/admin\/shops$/);
      await assertText(op.getByRole("heading", { level: 1 }), "Shop review queue");
      const queueLink = op.getByRole("table").getByRole("link", { name: shopName, exact: true });
      await assertVisible(queueLink, "the new shop is in the operator's queue");
      await queueLink.click();
      await op.waitForURL(new RegExp(`/admin/shops/${shop.id}$`));
      await assertText(op.getByRole("heading", { level: 1 }), shopName);
      await assertText(op.locator("#shop-status"), "Waiting for review");
      await assertVisible(
        op.getByRole("table", { name: "Qualification documents" }).getByRole("link", { name: "trade-register.pdf" }),
        "the operator sees the uploaded document",
      );
      await op.getByRole("button", { name: "Approve", exact: true }).click();
      await op.waitForURL(/\/admin\/shops\?done=approved$/);
      await assertText(op.getByRole("status"), "The shop was approved.");
      // It left the waiting list and is on the approved one.
      assert.equal(await op.getByRole("link", { name: shopName, exact: true }).count(), 0);
      await op.getByRole("navigation", { name: "Review status" }).getByRole("link", { name: "Approved" }).click();
      await assertVisible(op.getByRole("table").getByRole("link", { name: shopName, exact: true }));

      // The seller, back again: the shop is approved, and so is its document.
      await login(page, seller.email, seller.password);
      await page.getByRole("region", { name: "Your shops" }).getByRole("link", { name: shopName }).click();
      await page.waitForURL(new RegExp(`/sell/shops/${shop.id}$`));
      await assertText(page.locator("#shop-status"), "Approved", "the shop's status after approval");
      await assertText(
        page.getByRole("table", { name: "Qualification documents" }).getByRole("row").filter({ hasText: "trade-register.pdf" }).getByRole("cell").last(),
        "Approved",
        "the document's status after approval",
      );
    });
  });

  test("registration errors show next to their fields and keep what was typed", async (t) => {
    await run(t, async (h) => {
      const page = await (await h.newContext("visitor")).newPage();
      await page.goto("/register");
      // A person has no company: its name is asked only of company accounts.
      await page.getByLabel("A person").check();
      assert.equal(await page.getByLabel(/^Company name/).isVisible(), false, "no company field for a person");
      await page.getByLabel("A company").check();
      assert.equal(await page.getByLabel(/^Company name/).isVisible(), true, "a company field for a company");
      await page.getByLabel("A person").check();
      await page.getByLabel("Your name").fill("Valerie Validation");
      await page.getByLabel("Email").fill("not-an-email");
      await page.getByLabel(/^Password/).fill("short");
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/register"),
        page.getByRole("main").getByRole("button", { name: "Create account" }).click(),
      ]);
      assert.equal(response.status(), 422, "an invalid registration is answered with 422");
      await page.waitForLoadState("load");
      assert.equal(new URL(page.url()).pathname, "/register");

      for (const [input, field, pattern] of [
        ["#email", "email", /email address/i],
        ["#password", "password", /at least 8 characters/i],
      ]) {
        const box = page.locator(".field", { has: page.locator(input) });
        const error = box.locator(`#${field}-error`);
        await assertText(error, pattern, `the ${field} error next to its field`);
        assert.equal(await page.locator(input).getAttribute("aria-invalid"), "true", `${input} is marked invalid`);
        assert.equal(
          await page.locator(input).getAttribute("aria-describedby"),
          `${field}-error`,
          `${input} is described by its error`,
        );
      }
      assert.equal(await page.getByLabel("Your name").inputValue(), "Valerie Validation", "the name is kept");
      assert.equal(await page.getByLabel("Email").inputValue(), "not-an-email", "the email is kept");
      assert.equal(await page.getByLabel(/^Password/).inputValue(), "", "the password is never sent back");
      assert.equal(await page.locator("#name-error").count(), 0, "the valid name has no error");
    });
  });

  test("a wrong password shows an error and starts no session", async (t) => {
    await run(t, async (h) => {
      const context = await h.newContext("visitor");
      const page = await context.newPage();
      await page.goto("/login");
      await page.getByLabel("Email").fill(DEMO.buyer);
      await page.getByLabel("Password").fill("definitely-not-the-password");
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/login"),
        page.getByRole("main").getByRole("button", { name: "Log in" }).click(),
      ]);
      assert.equal(response.status(), 401);
      await page.waitForLoadState("load");
      await assertText(page.getByRole("alert"), /do not match an account/);
      assert.equal(await page.getByLabel("Email").inputValue(), DEMO.buyer, "the email is kept");
      const cookies = await context.cookies();
      assert.equal(
        cookies.find((c) => c.name === "agora_session"),
        undefined,
        "no session cookie after a failed login",
      );
      await assertVisible(accountNav(page).getByRole("link", { name: "Log in" }));
      await page.goto("/account");
      await page.waitForURL(/\/login\?next=/);
    });
  });

  test("a company admin invites a member by email, who joins on accepting; a purchaser cannot invite", async (t) => {
    await run(t, async (h) => {
      // Someone with an account and no company yet.
      const newcomer = { name: "Nico Newcomer", email: uniqueEmail("newcomer"), password: "a-long-enough-password" };
      const visitor = await (await h.newContext("newcomer")).newPage();
      await register(visitor, newcomer);
      await login(visitor, newcomer.email, newcomer.password);

      const anna = await h.newPage("anna", DEMO.companyAdmin);
      await anna.goto("/account/company");
      const members = anna.getByRole("table", { name: "Company members and their roles" });
      await assertVisible(members.getByRole("row").filter({ hasText: DEMO.companyAdmin }));
      const inviteForm = anna.getByRole("region", { name: "Invite a member" });
      await inviteForm.getByLabel("Email").fill(newcomer.email);
      await inviteForm.getByLabel("Role").selectOption("purchaser");
      await inviteForm.getByRole("button", { name: "Send invitation" }).click();
      await anna.waitForURL(/\/account\/company\?done=invited$/);
      await assertText(anna.getByRole("status"), /Invitation sent/);
      assert.equal(await members.getByRole("row").filter({ hasText: newcomer.email }).count(), 0, "not a member before accepting");
      const invited = anna.getByRole("list", { name: "Invited, not yet joined" });
      await assertVisible(invited.getByRole("listitem").filter({ hasText: newcomer.email }), "the invitation is listed");
      assert.equal(await invited.getByText(newcomer.name).count(), 0, "the invitee's name is not shown before acceptance");

      await assertAccessible(anna, "the members page with a pending invitation");
      await visitor.goto("/account");
      const invitations = visitor.getByRole("region", { name: "Invitations" });
      await assertVisible(invitations.getByText(/Acme/), "the invitee sees the invitation");
      await assertAccessible(visitor, "the account page with an invitation");
      await invitations.getByRole("button", { name: /^Accept/ }).click();
      await visitor.waitForURL(/\/account\/company\?done=joined$/);

      await anna.reload();
      const row = members.getByRole("row").filter({ hasText: newcomer.email });
      await assertVisible(row, "the member is listed once they accepted");
      await assertText(row.getByRole("cell").first(), newcomer.name);
      assert.equal(await row.getByRole("combobox").inputValue(), "purchaser", "the member has the invited role");

      const paul = await h.newPage("paul", DEMO.purchaser);
      await paul.goto("/account/company");
      await assertVisible(
        paul.getByRole("table", { name: "Company members and their roles" }).getByRole("row").filter({ hasText: newcomer.email }),
        "the purchaser sees the members too",
      );
      assert.equal(await paul.getByRole("heading", { name: "Invite a member" }).count(), 0, "no invite section for a purchaser");
      assert.equal(await paul.locator('form[action="/account/company/members"]').count(), 0, "no invite form for a purchaser");
      assert.equal(await paul.getByRole("button", { name: /^Remove/ }).count(), 0, "no remove buttons for a purchaser");
    });
  });
});
