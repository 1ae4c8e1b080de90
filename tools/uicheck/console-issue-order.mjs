// console-issue-order.mjs runs Issue multiple cards through the console's
// Cards list and Batch orders pages in headless Chromium, against the real
// worker, print station and CA that the Go test (internal/e2e/
// console_issue_order_test.go) started: tick the approved cards, start the
// order at the test's station, watch the order page follow it (running
// with cards done and waiting, then waiting for the operator with the card
// the station failed), repeat that card's production and see the order
// complete. The Go test holds the station's CA after two cards, so the
// order stays running with two done, one failed and the rest running; once
// the running screenshots are taken the script writes --signal, the Go
// test's cue to let the CA answer again. Screenshots go to --out:
// console-issue-order-running.png, -waiting.png, -completed.png (the
// order's page), console-orders-issue-running.png and
// console-orders-issue.png (the Batch orders list mid-run and at the end).
//
// Usage: node console-issue-order.mjs --console URL --issuer URL --station ID --cards N
//          --signal FILE --failure TEXT --out DIR
import { consoleOptions, openConsole } from "./harness.mjs";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const opt = consoleOptions("console-issue-order.mjs", ["station", "cards", "signal", "failure"]);
const base = opt.console;
const want = Number(opt.cards);

const { visitAs, step, run } = await openConsole({
  base, issuer: opt.issuer, password: opt.password, executablePath: opt.chromium, timeout: 30000,
});
const shot = (page, name) => page.screenshot({ path: join(opt.out, `${name}.png`), fullPage: true });
const button = (page, name) => page.getByRole("button", { name, exact: true });

// until polls check (which returns "" once it holds, or what it saw)
// every 250 ms until it holds or timeout passes.
async function until(what, check, timeout = 60000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const saw = await check();
    if (saw === "") return;
    if (Date.now() > deadline) throw new Error(`${what}: ${saw}`);
    await new Promise((ok) => setTimeout(ok, 250));
  }
}

async function expectState(page, want, timeout = 60000) {
  await until(`order state, want "${want}"`, async () => {
    const got = (await page.locator("h1 .state").textContent().catch(() => "")).trim();
    return got === want ? "" : `"${got}"`;
  }, timeout);
}

// counts reads the order page's counts table.
async function counts(page) {
  const cells = await page.locator("table.counts tbody td").allTextContents().catch(() => []);
  const [total, done, failed, skipped, running] = cells.map((c) => Number(c.trim()));
  return { total, done, failed, skipped, running };
}

// listCounts reads the Batch orders list's row of the order.
async function listCounts(page, id) {
  const cells = await page.locator("table.orders tbody tr").filter({ hasText: id.slice(0, 8) })
    .locator("td").allTextContents().catch(() => []);
  const [, , state, total, done, failed, skipped, running] = cells.map((c) => c.trim());
  return { state, total: Number(total), done: Number(done), failed: Number(failed), skipped: Number(skipped), running: Number(running) };
}

// midRun is where the Go test holds the order: two cards done, the one
// the station failed, the rest waiting for the station's CA.
const midRun = (c) => c.total === want && c.done === 2 && c.failed === 1 && c.skipped === 0 && c.running === want - 3;

let operator, orderID, list;

step("an operator ticks the approved cards and starts Issue multiple cards", async () => {
  operator = await visitAs("olivia@example.com", "/orders");
  await operator.getByRole("link", { name: "Issue multiple cards" }).click();
  await operator.waitForURL((u) => u.pathname === "/cards" && u.searchParams.get("state") === "approved");
  const boxes = operator.locator("input[name=card]");
  await boxes.first().waitFor();
  const n = await boxes.count();
  if (n !== want) throw new Error(`the Cards list (approved) shows ${n} cards to tick, want ${want}`);
  for (let i = 0; i < n; i++) await boxes.nth(i).check();
  await operator.getByLabel("Station", { exact: true }).fill(opt.station);
  await button(operator, "Issue multiple cards").click();
  await operator.waitForURL((u) => /^\/orders\/[0-9a-f-]{36}$/.test(u.pathname));
  orderID = new URL(operator.url()).pathname.split("/").pop();
  await operator.getByText(`Order started: ${want} cards.`).waitFor();
  if ((await operator.locator("h1").textContent()).indexOf("Issue multiple cards") < 0) throw new Error("the order page is not an issue order's");
});

step("mid-run, the order page and the Batch orders list show two cards done, one failed, the rest running", async () => {
  // No reload: the page polls while the order runs.
  await until("the order page's counts mid-run", async () => {
    const c = await counts(operator);
    return midRun(c) ? "" : JSON.stringify(c);
  });
  await expectState(operator, "running");
  await operator.locator("table.items .item-done").first().waitFor();
  await operator.locator("table.items .item-running").first().waitFor();
  const failedRow = operator.locator("table.items tr").filter({ has: operator.locator(".item-failed") });
  await failedRow.getByText(opt.failure, { exact: false }).waitFor();
  await shot(operator, "console-issue-order-running");
  list = await operator.context().newPage();
  await until("the Batch orders list mid-run", async () => {
    await list.goto(base + "/orders");
    const c = await listCounts(list, orderID);
    return c.state === "running" && midRun(c) ? "" : JSON.stringify(c);
  });
  await shot(list, "console-orders-issue-running");
  writeFileSync(opt.signal, "running shown\n");
});

step("the order waits for the operator with the failed card and its reason", async () => {
  // The CA answers again: the page follows the order, and reloads itself
  // once it waits.
  await expectState(operator, "waiting", 180000);
  const c = await counts(operator);
  if (c.done !== want - 1 || c.failed !== 1 || c.running !== 0) throw new Error(`counts once waiting: ${JSON.stringify(c)}`);
  await operator.getByText(`1 of ${want} cards failed at the print station`).waitFor();
  const failedRow = operator.locator("table.items tr").filter({ has: operator.locator(".item-failed") });
  if ((await failedRow.count()) !== 1) throw new Error(`${await failedRow.count()} items shown failed, want 1`);
  await failedRow.getByText(opt.failure, { exact: false }).waitFor();
  await button(operator, "Repeat production").waitFor();
  await button(operator, "Complete order").waitFor();
  await shot(operator, "console-issue-order-waiting");
});

step("Repeat production at the station completes the order", async () => {
  await operator.locator("#repeat-station").fill(opt.station);
  await button(operator, "Repeat production").click();
  await operator.getByText(`Round 1 repeats the production of 1 failed cards at print station ${opt.station}`).waitFor();
  await expectState(operator, "completed", 120000);
  await operator.getByText(`${want} of ${want} tried`).first().waitFor();
  const c = await counts(operator);
  if (c.done !== want || c.failed !== 0 || c.running !== 0) throw new Error(`counts once completed: ${JSON.stringify(c)}`);
  const done = await operator.locator("table.items .item-done").count();
  if (done !== want) throw new Error(`${done} items shown done, want ${want}`);
  if (await button(operator, "Repeat production").count()) throw new Error("a completed order offers Repeat production");
  await shot(operator, "console-issue-order-completed");
  await list.goto(base + "/orders");
  const row = await listCounts(list, orderID);
  if (row.state !== "completed" || row.done !== want) throw new Error(`the Batch orders list shows ${JSON.stringify(row)}`);
  await shot(list, "console-orders-issue");
});

await run();
