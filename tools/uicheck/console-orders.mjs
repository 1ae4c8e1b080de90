// console-orders.mjs runs Request multiple cards through the console's
// Batch orders pages in headless Chromium, against the real worker that
// the Go test (internal/e2e/console_orders_test.go) started and stops
// mid-order: search users, tick them all, start the order, watch the order
// page follow it (running, then completed after the worker is back).
// Screenshots go to --out: console-orders-running.png and
// console-orders-completed.png (the Batch orders list), console-order-
// running.png and console-order-completed.png (the order's page). Once the
// running ones are taken, the script writes --signal, the Go test's cue to
// start the worker again.
//
// Usage: node console-orders.mjs --console URL --issuer URL --search TEXT --users N --signal FILE --out DIR
import { openConsole } from "./harness.mjs";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: opt } = parseArgs({
  options: {
    console: { type: "string" },
    issuer: { type: "string" },
    search: { type: "string" },
    users: { type: "string" },
    signal: { type: "string" },
    password: { type: "string", default: "password" },
    out: { type: "string", default: "docs/screenshots" },
    chromium: { type: "string", default: process.env.CHROMIUM || "/usr/bin/chromium" },
  },
});
for (const k of ["console", "issuer", "search", "users", "signal"]) {
  if (!opt[k]) {
    console.error(`console-orders.mjs: --${k} is required`);
    process.exit(2);
  }
}
mkdirSync(opt.out, { recursive: true });
const base = opt.console;
const want = Number(opt.users);

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

step("the Batch orders page and the order page show it running", async () => {
  list = await operator.context().newPage();
  await list.goto(base + "/orders");
  await list.locator("table.orders .order-running").first().waitFor();
  await shot(list, "console-orders-running");
  await shot(operator, "console-order-running");
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
