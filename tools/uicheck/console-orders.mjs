// console-orders.mjs runs Request multiple cards through the console's
// Batch orders pages in headless Chromium, against the real worker that
// the Go test (internal/e2e/console_orders_test.go) started: search users,
// tick them all, start the order, watch the order page follow it (running
// with --held users' cards held back by the Go test, then completed once
// they are let go).
// Screenshots go to --out: console-orders-running.png and
// console-orders-completed.png (the Batch orders list), console-order-
// running.png and console-order-completed.png (the order's page). Once the
// running ones are taken, the script writes --signal, the Go test's cue to
// let the held users go.
//
// Usage: node console-orders.mjs --console URL --issuer URL --search TEXT --users N --held N --signal FILE --out DIR
import { consoleOptions, openConsole } from "./harness.mjs";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const opt = consoleOptions("console-orders.mjs", ["search", "users", "held", "signal"]);
const base = opt.console;
const want = Number(opt.users);
const held = Number(opt.held);

const { visitAs, step, run } = await openConsole({
  base, issuer: opt.issuer, password: opt.password, executablePath: opt.chromium, timeout: 30000,
});
const shot = (page, name) => page.screenshot({ path: join(opt.out, `${name}.png`), fullPage: true });
const button = (page, name) => page.getByRole("button", { name, exact: true });

async function expectState(page, want, timeout = 60000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const got = (await page.locator("h1 .state").textContent().catch(() => "")).trim();
    if (got === want) return;
    if (Date.now() > deadline) throw new Error(`order state is "${got}", want "${want}"`);
    await page.waitForTimeout(250);
  }
}

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

// midRun says whether counts (the order page's table or the list's row,
// as numbers: total, done, failed, skipped, running) are where the Go test
// holds the order: every card done but the held users', which run.
const midRun = ([total, done, failed, skipped, running]) =>
  total === want && done === want - held && failed === 0 && skipped === 0 && running === held;
const numbers = (cells) => cells.map((c) => Number(c.trim()));

let operator, orderURL, list;

step("an approver has no Batch orders", async () => {
  const page = await visitAs("alice@example.com", "/inbox");
  if (await page.getByRole("link", { name: "Batch orders" }).count()) throw new Error("alice (approver) sees Batch orders");
  const resp = await page.goto(base + "/orders");
  if (resp.status() !== 403) throw new Error(`alice: /orders answered ${resp.status()}, want 403`);
});

step("an operator ticks users and starts Request multiple cards", async () => {
  operator = await visitAs("olivia@example.com", "/orders");
  await operator.getByRole("link", { name: "Request multiple cards" }).click();
  await operator.getByLabel("Users", { exact: true }).fill(opt.search);
  await button(operator, "Search").click();
  const boxes = operator.locator("input[name=user]");
  await boxes.first().waitFor();
  const n = await boxes.count();
  if (n !== want) throw new Error(`the search lists ${n} users, want ${want}`);
  for (let i = 0; i < n; i++) await boxes.nth(i).check();
  await button(operator, "Request multiple cards").click();
  await operator.waitForURL((u) => /^\/orders\/[0-9a-f-]{36}$/.test(u.pathname));
  orderURL = operator.url();
  await expectState(operator, "running");
  await operator.getByText(`of ${want} tried`).first().waitFor();
});

step("the Batch orders page and the order page show it running, some cards done", async () => {
  // No reload: the order page polls while the order runs.
  await until("the order page's counts mid-run", async () => {
    const c = numbers(await operator.locator("table.counts tbody td").allTextContents().catch(() => []));
    return midRun(c) ? "" : JSON.stringify(c);
  });
  await expectState(operator, "running");
  await operator.locator("table.items .item-done").first().waitFor();
  await operator.locator("table.items .item-running").first().waitFor();
  await shot(operator, "console-order-running");
  list = await operator.context().newPage();
  await until("the Batch orders list mid-run", async () => {
    await list.goto(base + "/orders");
    const row = list.locator("table.orders tbody tr").filter({ has: list.locator(".order-running") });
    const c = numbers((await row.locator("td").allTextContents().catch(() => [])).slice(3, 8));
    return midRun(c) ? "" : JSON.stringify(c);
  });
  await shot(list, "console-orders-running");
  writeFileSync(opt.signal, "running shown\n");
});

step("the order page follows the order until it completes", async () => {
  // No reload by the test: the page polls, and reloads itself once the
  // order moved on.
  await expectState(operator, "completed", 180000);
  await operator.getByText(`${want} of ${want} tried`).first().waitFor();
  if (await button(operator, "Repeat production").count()) throw new Error("a completed request order offers Repeat production");
  const done = await operator.locator("table.items .item-done").count();
  if (done !== Math.min(want, 50)) throw new Error(`${done} items shown done, want ${Math.min(want, 50)}`);
  await shot(operator, "console-order-completed");
  await list.goto(base + "/orders");
  await list.locator("table.orders .order-completed").first().waitFor();
  await shot(list, "console-orders-completed");
});

await run();
