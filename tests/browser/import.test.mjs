// A catalog import in the seller centre: nora opens "Import products" from the seller centre,
// uploads a CSV with German headers and one bad row, matches the columns on the mapping step
// (the file's columns, its first rows, a choice per column, the category's attributes among the
// choices), starts the import, watches the
// progress bar fill as the job runs, and reads the bad row's error by its line number and column.
// Every page of it: no serious or critical axe violation at 1280 px and 390 px, no sideways
// scroll at 390 px, at most 100 KB of CSS and JavaScript.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { assertFitsPhone, formatViolations, launchBrowser, runAxe, watchAssets, withHarness } from "./lib/browser.mjs";
import { assertText, assertVisible, login, unique } from "./lib/flows.mjs";
import { DEMO, startServer } from "./lib/server.mjs";

const MAX_ASSET_BYTES = 100 * 1024;

let server;
let browser;

before(async () => {
  server = await startServer({ name: "import" });
  browser = await launchBrowser();
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
}, { timeout: 60_000 });

/** Axe at 1280 px and 390 px, and no sideways scroll on the phone; back to 1280 px after. */
async function checkPage(page, what) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    const blocking = (await runAxe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
    assert.equal(blocking.length, 0, `${what} at ${width} px:\n${formatViolations(blocking)}`);
  }
  await assertFitsPhone(page, what);
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** Loads `action`'s page while weighing its CSS and JavaScript. */
async function weighed(t, page, what, action) {
  const assets = watchAssets(page);
  await action();
  await page.waitForLoadState("load");
  const { total, files } = await assets.stop();
  t.diagnostic(`weight of ${what}: ${total} bytes of CSS and JavaScript`);
  assert.ok(
    total <= MAX_ASSET_BYTES,
    `${what} loads ${total} bytes of CSS and JavaScript: ${files.map((f) => `${f.url} ${f.bytes}`).join(", ")}`,
  );
}

test("a seller imports a CSV in the browser: maps the columns, watches the progress, reads the bad row by line", { timeout: 180_000 }, async (t) => {
  await withHarness(browser, server.baseURL, t, async (h) => {
    const sku = unique("IMP").toUpperCase();
    const csv =
      "Artikelnummer,Bezeichnung,Preis,Waehrung,Bestand,category,Interne Notiz,Spannung\n" +
      `${sku}-1,Import test cable,4.90,EUR,25,computers,keep,5\n` +
      `${sku}-2,Import test adapter,twelve,EUR,5,computers,,12\n` +
      `${sku}-3,Import test hub,19.90,EUR,8,computers,x,230\n`;

    const nora = await (await h.newContext("nora")).newPage();
    await login(nora, DEMO.seller);
    await nora.goto("/sell");
    await weighed(t, nora, "the import page", async () => {
      await nora.getByRole("link", { name: "Import products into Nordlicht Electronics" }).click();
      await nora.waitForURL(/\/sell\/shops\/[^/]+\/imports$/);
    });
    const shopPath = new URL(nora.url()).pathname.replace(/\/imports$/, "");
    await checkPage(nora, "the import page");

    await nora.getByLabel(/^Catalog file/).setInputFiles({
      name: "katalog.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(csv),
    });
    await weighed(t, nora, "the mapping step", async () => {
      await nora.getByRole("button", { name: "Upload and match columns" }).click();
      await nora.waitForURL(/\/imports\/pim_[0-9a-f]+$/);
    });
    const importPath = new URL(nora.url()).pathname;
    // The file's columns with their first values, a choice per column (the known one pre-chosen),
    // and the first rows.
    await assertVisible(nora.locator("#column-map").getByText("Artikelnummer"), "the file's columns");
    await assertVisible(nora.locator("#file-preview").getByText("Import test adapter"), "the file's first rows");
    assert.equal(await nora.getByLabel("Import the column “category” as").inputValue(), "category");
    assert.equal(await nora.getByLabel("Import the column “Artikelnummer” as").inputValue(), "");
    await checkPage(nora, "the mapping step");

    await nora.getByLabel("Import the column “Artikelnummer” as").selectOption("sku");
    await nora.getByLabel("Import the column “Bezeichnung” as").selectOption("title");
    await nora.getByLabel("Import the column “Preis” as").selectOption("price");
    await nora.getByLabel("Import the column “Waehrung” as").selectOption("currency");
    await nora.getByLabel("Import the column “Bestand” as").selectOption("stock");
    // The category's attributes are offered too: the voltage column fills each variant's option.
    const voltage = nora.getByLabel("Import the column “Spannung” as");
    assert.equal(
      await voltage.locator('optgroup[label^="Variant options"] option[value="attr:voltage"]').count(),
      1,
      "the computers category's voltage is offered as a variant option",
    );
    await voltage.selectOption("attr:voltage");
    await weighed(t, nora, "the import's status page", async () => {
      await nora.getByRole("button", { name: "Start import" }).click();
      await nora.waitForURL((url) => url.pathname === importPath);
    });
    // A progress bar while it runs (the job may be done already: then the bar is full).
    await assertVisible(nora.locator("progress"), "a progress bar");
    await assertVisible(nora.locator("#import-result"), "the result, once the job has run");
    const bar = nora.locator("#import-result progress");
    assert.equal(await bar.getAttribute("value"), await bar.getAttribute("max"), "the bar is full");
    await assertText(nora.locator("#count-created"), /^2$/, "two rows created");
    await assertText(nora.locator("#count-failed"), /^1$/, "one row left out");
    const errorRow = nora.locator("#import-errors tbody tr");
    assert.equal(await errorRow.count(), 1);
    await assertText(errorRow, /Line 3\s+price/, "the bad row by its line and column");
    await checkPage(nora, "the import's result");

    await nora.getByRole("link", { name: "See the products" }).click();
    await nora.waitForURL((url) => url.pathname === `${shopPath}/products`);
    await assertVisible(nora.getByText(`${sku}-3`), "the imported variant in the product list");
    await assertVisible(nora.getByRole("link", { name: "Import products" }), "the product list links the import page");
  });
});
