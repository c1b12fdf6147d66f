// What a person does on the pages, step by step: register, log in and out, apply for a shop.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";

import { DEMO_PASSWORD } from "./server.mjs";

export function unique(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
}

export function uniqueEmail(prefix = "tester") {
  return `${unique(prefix)}@example.test`;
}

/** A small but well-formed one-page PDF; its bytes start with "%PDF-". */
export function makePdf(text = "Trade register extract") {
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    null, // the content stream, below
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  const stream = `BT /F1 12 Tf 20 70 Td (${text.replace(/[()\\]/g, "")}) Tj ET`;
  objects[3] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
  let out = "%PDF-1.4\n";
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

/** The account navigation in the page header. */
export function accountNav(page) {
  return page.getByRole("navigation", { name: "Account" });
}

/** Registers through /register; ends logged in on the account page, which says the account is ready. */
export async function register(page, { name, email, password, kind = "individual" }) {
  await page.goto("/register");
  if (kind === "enterprise") await page.getByLabel("A company").check();
  else await page.getByLabel("A person").check();
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole("main").getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/\/account\?done=welcome$/);
  await assertText(page.getByRole("status"), /your account is ready/);
  await assertVisible(accountNav(page).getByRole("button", { name: "Log out" }));
}

/** Logs in through /login (going to it first unless the page is on it); ends on /account. */
export async function login(page, email, password = DEMO_PASSWORD) {
  if (new URL(page.url(), "http://x").pathname !== "/login") await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("main").getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/account$/);
  await assertVisible(accountNav(page).getByRole("button", { name: "Log out" }));
}

/** Logs out with the header's button; ends on the home page, logged out. */
export async function logout(page) {
  await accountNav(page).getByRole("button", { name: "Log out" }).click();
  await page.waitForURL((url) => url.pathname === "/");
  await assertVisible(accountNav(page).getByRole("link", { name: "Log in" }));
}

/**
 * Applies for a shop through /sell/apply with the first category that needs no licence and, if
 * given, a document. Ends on the seller's shop page; returns { id, url, category }.
 */
export async function applyForShop(page, { name, legalName, document }) {
  await page.goto("/sell/apply");
  await page.getByLabel("Shop name").fill(name);
  await page.getByLabel(/^Legal name/).fill(legalName);
  const categories = page.getByRole("group", { name: "Categories you want to sell in" });
  const unrestricted = categories.locator("label").filter({ hasNotText: "licence needed" }).first();
  const category = (await unrestricted.innerText()).trim();
  await unrestricted.getByRole("checkbox").check();
  if (document) {
    await page.getByLabel("Document kind").selectOption(document.kind);
    await page.getByLabel("File", { exact: true }).setInputFiles({
      name: document.filename,
      mimeType: document.mimeType || "application/pdf",
      buffer: document.bytes,
    });
  }
  await page.getByRole("button", { name: "Send application" }).click();
  await page.waitForURL(/\/sell\/shops\/[^/?]+\?/);
  const url = new URL(page.url());
  assert.equal(
    url.searchParams.get("upload_error"),
    null,
    `the document upload failed: ${url.searchParams.get("upload_error")}`,
  );
  assert.equal(url.searchParams.get("applied"), "1", `unexpected page after applying: ${page.url()}`);
  const id = url.pathname.split("/").pop();
  return { id, url: `/sell/shops/${id}`, category };
}

export async function assertVisible(locator, message) {
  try {
    await locator.first().waitFor({ state: "visible", timeout: 10_000 });
  } catch (err) {
    throw new Error(`${message || `expected ${locator} to be visible`}: ${err.message.split("\n")[0]}`);
  }
}

/** Waits (briefly) for a locator's text to match; fails with what it showed instead. */
export async function assertText(locator, pattern, message) {
  const deadline = Date.now() + 10_000;
  let text = "";
  for (;;) {
    try {
      text = (await locator.first().innerText({ timeout: 2_000 })).trim();
    } catch {
      text = "<not found>";
    }
    if (typeof pattern === "string" ? text === pattern : pattern.test(text)) return text;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${message || `${locator}`}: expected ${pattern}, got ${JSON.stringify(text)}`);
}
