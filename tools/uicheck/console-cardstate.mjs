// console-cardstate.mjs drives Deactivate card (with an approval),
// Postpone, Approve, Reactivate / Lock card and the Inbox's pager through
// the console in headless Chromium, against the real worker, print
// station and CA that the Go test (internal/e2e/console_cardstate_test.go)
// started. The first failure stops the run with a message naming the
// step. Screenshots go to --out: card-buttons.png, inbox-deactivation.png,
// card-locked.png.
//
// Usage: node console-cardstate.mjs --console URL --issuer URL --card ID
//        --waiting N --page-size N --out DIR
//   --waiting   open request approvals alice may decide besides the deactivation
//   --page-size the Inbox's page size (internal/inbox.PageSize)
import { consoleOptions, openConsole } from "./harness.mjs";
import { join } from "node:path";

const opt = consoleOptions("console-cardstate.mjs", ["card", "waiting", "page-size"]);
const base = opt.console;
const cardPath = `/cards/${opt.card}`;
const waiting = Number(opt.waiting);
const pageSize = Number(opt["page-size"]);

const { visitAs, step, run } = await openConsole({
  base, issuer: opt.issuer, password: opt.password, executablePath: opt.chromium, timeout: 30000,
});
const shot = (page, name) => page.screenshot({ path: join(opt.out, `${name}.png`), fullPage: true });
const text = (page, t) => page.getByText(t, { exact: false }).first().waitFor();
const button = (page, name) => page.getByRole("button", { name, exact: true });

// expectState waits for the card's state on the page, reloading it every
// 2 s should the page not follow the operation by itself.
async function expectState(page, want, timeout = 60000) {
  const deadline = Date.now() + timeout;
  let reloaded = Date.now();
  for (;;) {
    const got = (await page.locator("h1 .state").textContent().catch(() => "")).trim();
    if (got === want) return;
    if (Date.now() > deadline) throw new Error(`card state is "${got}", want "${want}"`);
    await page.waitForTimeout(250);
    if (Date.now() - reloaded > 2000) {
      await page.reload();
      reloaded = Date.now();
    }
  }
}

// offered checks which of the card operations' buttons the page shows.
async function offered(page, want) {
  for (const [name, shown] of Object.entries(want)) {
    const n = await button(page, name).count();
    if ((n > 0) !== shown) throw new Error(`${name} is ${n ? "" : "not "}offered; want it ${shown ? "offered" : "hidden"}`);
  }
}

// inboxRows are the Inbox page's rows: the card's link and the operation.
async function inboxRows(page) {
  return page.locator("table.list tbody tr").evaluateAll((rows) => rows.map((r) => ({
    card: r.querySelector("a")?.getAttribute("href") ?? "",
    operation: r.cells[1]?.textContent.trim() ?? "",
    note: r.cells[7]?.textContent.trim() ?? "",
  })));
}

let operator, approver;

step("an operator sees Deactivate card and Lock card on an active card", async () => {
  operator = await visitAs("olivia@example.com", cardPath);
  await expectState(operator, "active");
  await offered(operator, { "Deactivate card": true, "Lock card": true, "Reactivate card": false, "Activate card": false });
  await shot(operator, "card-buttons");
});

step("the operator deactivates the card; it waits for approval and stays active", async () => {
  await operator.getByLabel("Comment", { exact: true }).first().fill("holder on parental leave");
  await button(operator, "Deactivate card").click();
  await text(operator, "Deactivate card in progress");
  await expectState(operator, "active");
  // While it waits only Lock is offered (it would pre-empt the deactivation).
  await offered(operator, { "Deactivate card": false, "Reactivate card": false, "Lock card": true });
});

step("the approver finds the deactivation in her Inbox", async () => {
  approver = await visitAs("alice@example.com", "/inbox");
  const rows = await inboxRows(approver);
  const mine = rows.find((r) => r.card === cardPath);
  if (!mine) throw new Error(`the Inbox's first page does not list card ${opt.card}: ${JSON.stringify(rows.slice(0, 3))}`);
  if (mine.operation !== "deactivation") throw new Error(`the Inbox shows operation "${mine.operation}", want deactivation`);
  if (rows[0].card !== cardPath) throw new Error("the deactivation, the newest approval, is not first in the Inbox");
  await shot(approver, "inbox-deactivation");
});

step("the approver postpones it: marked \"Postponed by you\", the card unchanged", async () => {
  await approver.locator(`a[href="${cardPath}"]`).first().click();
  await approver.waitForURL((u) => u.pathname === cardPath);
  await expectState(approver, "active");
  await approver.locator("#postpone-comment").fill("waiting for HR to confirm");
  await button(approver, "Postpone").click();
  await text(approver, "Postponed by you: waiting for HR to confirm");
  await expectState(approver, "active");
  await shot(approver, "card-approval-postponed");
  await approver.goto(base + "/inbox");
  const mine = (await inboxRows(approver)).find((r) => r.card === cardPath);
  if (!mine || !mine.note.startsWith("Postponed by you")) throw new Error(`the Inbox row after the postponement: ${JSON.stringify(mine)}`);
  if (!mine.note.includes("waiting for HR to confirm")) throw new Error(`the Inbox's note lacks the comment: ${mine.note}`);
});

step("the approver approves; the card is inactive", async () => {
  await approver.goto(base + cardPath);
  await approver.locator("#approve-comment").fill("HR confirmed");
  await button(approver, "Approve").click();
  await expectState(approver, "inactive", 60000);
  const certs = approver.locator("table").filter({ hasText: "Serial" });
  await certs.locator(".cert-hold").first().waitFor();
  if ((await certs.locator(".cert-hold").count()) !== 2) throw new Error("the two certificates are not shown on hold");
});

step("the operator sees Reactivate card and Lock card on the inactive card", async () => {
  await operator.goto(base + cardPath);
  await expectState(operator, "inactive");
  await offered(operator, { "Reactivate card": true, "Lock card": true, "Deactivate card": false });
});

step("the operator locks it with a comment: locked, certificates revoked", async () => {
  await operator.locator("#lock-comment").fill("card reported stolen");
  await button(operator, "Lock card").click();
  await expectState(operator, "locked", 60000);
  const certs = operator.locator("table").filter({ hasText: "Serial" });
  await certs.locator(".cert-revoked").first().waitFor();
  if ((await certs.locator(".cert-revoked").count()) !== 2) throw new Error("the two certificates are not shown revoked");
  await offered(operator, { "Reactivate card": false, "Lock card": false, "Deactivate card": false });
  await text(operator, "card reported stolen");
  await shot(operator, "card-locked");
});

step(`the Inbox pages: ${pageSize} on the first page, the rest after "Next page"`, async () => {
  await approver.goto(base + "/inbox");
  const first = await inboxRows(approver);
  if (first.length !== pageSize) throw new Error(`the first page lists ${first.length} approvals, want ${pageSize}`);
  if (first.some((r) => r.card === cardPath)) throw new Error("the decided deactivation is still in the Inbox");
  if (first.some((r) => r.operation !== "request")) throw new Error("an approval other than the requests is listed");
  await approver.getByRole("link", { name: "Next page", exact: true }).click();
  await approver.waitForURL((u) => u.searchParams.has("after"));
  const second = await inboxRows(approver);
  if (second.length !== waiting - pageSize) throw new Error(`the second page lists ${second.length} approvals, want ${waiting - pageSize}`);
  const seen = new Set(first.map((r) => r.card));
  for (const r of second) if (seen.has(r.card)) throw new Error(`card ${r.card} is on both pages`);
  if (await approver.getByRole("link", { name: "Next page", exact: true }).count()) throw new Error("the last page offers a next page");
  await approver.getByRole("link", { name: "Newest", exact: true }).click();
  await approver.waitForURL((u) => u.pathname === "/inbox" && !u.searchParams.has("after"));
  if ((await inboxRows(approver)).length !== pageSize) throw new Error("Newest does not go back to a full first page");
});

await run();
