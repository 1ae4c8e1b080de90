// console-issue.mjs issues and activates one card through the console's
// card page in headless Chromium, against the real worker, print station
// and CA that the Go test (internal/e2e/console_issue_test.go) started.
// The first failure stops the run with a message naming the step;
// screenshots go to --out as card-*.png.
//
// Usage: node console-issue.mjs --console URL --issuer URL --card ID --out DIR
import { consoleOptions, openConsole } from "./harness.mjs";
import { join } from "node:path";

const opt = consoleOptions("console-issue.mjs", ["card"]);
const base = opt.console;
const cardPath = `/cards/${opt.card}`;

const { visitAs, step, run } = await openConsole({
  base, issuer: opt.issuer, password: opt.password, executablePath: opt.chromium, timeout: 30000,
});
const shot = (page, name) => page.screenshot({ path: join(opt.out, `card-${name}.png`), fullPage: true });
const text = (page, t) => page.getByText(t, { exact: false }).first().waitFor();
const button = (page, name) => page.getByRole("button", { name, exact: true });

async function expectState(page, want, timeout = 60000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const got = (await page.locator("h1 .state").textContent().catch(() => "")).trim();
    if (got === want) return;
    if (Date.now() > deadline) throw new Error(`card state is "${got}", want "${want}"`);
    await page.waitForTimeout(250);
  }
}

// The images are loaded, not just linked: their natural width is the
// station's 300 dpi rendering.
async function imageLoaded(page, alt) {
  const img = page.getByAltText(alt, { exact: false }).first();
  await img.waitFor();
  const width = await img.evaluate(async (el) => {
    if (!el.complete) await new Promise((ok, bad) => { el.onload = ok; el.onerror = bad; });
    return el.naturalWidth;
  });
  if (!(width > 100)) throw new Error(`${alt}: image not loaded (natural width ${width})`);
}

let operator;

step("an approver sees no card operations", async () => {
  const page = await visitAs("alice@example.com", cardPath);
  await expectState(page, "approved");
  if (await button(page, "Issue card").count()) throw new Error("alice (approver, not operator) is offered Issue card");
});

step("an operator issues the card; the page follows the production", async () => {
  operator = await visitAs("olivia@example.com", cardPath);
  await expectState(operator, "approved");
  const station = operator.getByLabel("Station", { exact: true });
  if ((await station.inputValue()) !== "station-1") throw new Error(`Station defaults to "${await station.inputValue()}", want station-1`);
  await button(operator, "Issue card").click();
  // Either the production ended within the form's wait, or the page
  // follows it (htmx polling) until it does: no reload by the test.
  await expectState(operator, "issued", 120000);
  await text(operator, "Card number");
  await text(operator, "Valid until");
  await imageLoaded(operator, "Front of card");
  await imageLoaded(operator, "Back of card");
  const certs = operator.locator("table").filter({ hasText: "Serial" });
  await certs.getByText("authentication").waitFor();
  await certs.getByText("signing").waitFor();
  if ((await certs.locator(".cert-hold").count()) !== 2) throw new Error("the two certificates are not shown on hold");
  await text(operator, "on hold: suspended until the card is activated");
  if (await operator.getByText(/\bPIN:\s*\d|PUK:/).count()) throw new Error("the page shows a PIN or PUK");
  await shot(operator, "issued");
});

step("the operator activates the card", async () => {
  await button(operator, "Activate card").click();
  await expectState(operator, "active", 60000);
  await text(operator, "You activated this card");
  const certs = operator.locator("table").filter({ hasText: "Serial" });
  if ((await certs.locator(".cert-good").count()) !== 2) throw new Error("the two certificates are not shown good");
  if (await button(operator, "Activate card").count()) throw new Error("Activate card is still offered on an active card");
  await shot(operator, "active");
});

await run();
