// console.mjs drives cardflow's web console in headless Chromium the way
// its people use it, against a real Dex, console, worker and Temporal that
// the Go test (internal/e2e/console_test.go) started. Each console
// scenario is a step; the first failure stops the run with a message that
// names the step, and screenshots of every page go to --out.
//
// Usage: node console.mjs --console URL --issuer URL --attacker URL
//        --reject-card ID --cancel-card ID --waiting-card ID --out DIR
import { consoleOptions, openConsole } from "./harness.mjs";
import { join } from "node:path";

const opt = consoleOptions("console.mjs", ["attacker", "reject-card", "cancel-card", "waiting-card"]);
const base = opt.console;

const { person, visitAs, step, run } = await openConsole({
  base, issuer: opt.issuer, password: opt.password, executablePath: opt.chromium, timeout: 20000,
});

async function shot(page, name) {
  await page.screenshot({ path: join(opt.out, `console-${name}.png`), fullPage: true });
}

const text = (page, t) => page.getByText(t, { exact: false }).first().waitFor();
const button = (page, name) => page.getByRole("button", { name, exact: true });
// formOf is the form whose submit button is named name: the card page has
// a "Comment" field in the Approve form and another in the Postpone form,
// so a field is found inside the form it belongs to.
const formOf = (page, name) => page.locator("form").filter({ has: button(page, name) });
const stateOf = (page) => page.locator("h1 .state").textContent();

async function expectState(page, want) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const got = (await stateOf(page).catch(() => "")).trim();
    if (got === want) return;
    if (Date.now() > deadline) throw new Error(`card state is "${got}", want "${want}"`);
    await page.waitForTimeout(200);
  }
}

let requestedCard = "";

step("a signed-out visitor is sent to sign in", async () => {
  const page = await person();
  await page.goto(base + "/inbox");
  await page.waitForURL((u) => u.href.startsWith(opt.issuer));
  await page.locator("input[name=login]").waitFor();
  await shot(page, "sign-in");
});

step("an operator requests a card through the preview", async () => {
  const page = await visitAs("olivia@example.com", "/inbox");
  await page.getByRole("link", { name: "Request card", exact: true }).click();
  await page.waitForURL((u) => u.pathname === "/request");
  await page.getByLabel("User", { exact: true }).fill("Green");
  await button(page, "Search").click();
  await text(page, "gina@example.com");
  const preview = page.locator("#preview");
  await preview.getByText("Gina Green").waitFor();
  // Changing the card type swaps in its preview (htmx), same mapping as the worker.
  await page.getByLabel("Card type", { exact: true }).selectOption("visitor");
  await preview.getByText("Visitor Green").waitFor();
  await page.getByLabel("Card type", { exact: true }).selectOption("standard");
  await preview.getByText("Gina Green").waitFor();
  await shot(page, "request");
  await button(page, "Next").click();
  await page.waitForURL(/\/cards\/[0-9a-f-]{36}$/);
  requestedCard = new URL(page.url()).pathname.split("/").pop();
  await text(page, "Card requested for gina");
  await expectState(page, "requested");
  await page.getByRole("link", { name: "Cards", exact: true }).first().click();
  await page.waitForURL((u) => u.pathname === "/cards");
  await page.getByLabel("State", { exact: true }).selectOption("requested");
  await button(page, "Filter").click();
  await page.locator(`a[href="/cards/${requestedCard}"]`).waitFor();
  await shot(page, "cards");
  // Cancel on Request card leaves without writing anything.
  // Wait for the Request card page: the Cards page has a User field of its
  // own, which a fill racing the navigation would find first.
  await page.getByRole("link", { name: "Request card", exact: true }).click();
  await page.waitForURL((u) => u.pathname === "/request");
  await page.getByLabel("User", { exact: true }).fill("hank");
  await button(page, "Search").click();
  await page.locator("#preview").waitFor();
  await page.getByRole("link", { name: "Cancel", exact: true }).click();
  await page.waitForURL((u) => u.pathname === "/inbox");
});

step("an approver finds it in the Inbox and approves", async () => {
  const page = await visitAs("alice@example.com", "/inbox");
  const link = page.locator(`a[href="/cards/${requestedCard}"]`);
  await link.waitFor();
  await shot(page, "inbox");
  await link.click();
  await expectState(page, "requested");
  await button(page, "Approve").waitFor();
  await shot(page, "card");
  await formOf(page, "Approve").getByLabel("Comment", { exact: true }).fill("Known to me, starts Monday");
  await button(page, "Approve").click();
  await text(page, "You approved this card.");
  await expectState(page, "approved");
  await text(page, "Known to me, starts Monday");
  await shot(page, "card-approved");
});

step("a second approver rejects: first without a reason, then with one", async () => {
  const page = await visitAs("bernard@example.com", `/cards/${opt["reject-card"]}`);
  await button(page, "Reject").click();
  await page.getByRole("alert").getByText("needs a reason").waitFor();
  await expectState(page, "requested");
  await shot(page, "refusal");
  await page.getByLabel("Reason", { exact: true }).fill("Not employed here any more");
  await button(page, "Reject").click();
  await text(page, "You rejected this card.");
  await expectState(page, "rejected");
});

step("the requester cancels a waiting card", async () => {
  const page = await visitAs("olivia@example.com", `/cards/${opt["cancel-card"]}`);
  await formOf(page, "Cancel request").getByLabel("Comment", { exact: true }).fill("Asked for by mistake");
  await button(page, "Cancel request").click();
  await text(page, "You cancelled this request.");
  await expectState(page, "aborted");
});

step("a user without roles sees an empty Inbox and is refused on a direct POST", async () => {
  const page = await visitAs("mallory@example.com", "/inbox");
  await text(page, "Nothing waits for your decision.");
  await shot(page, "inbox-empty");
  const resp = await page.request.post(`${base}/cards/${opt["waiting-card"]}/approve`, { form: { comment: "let me in" } });
  const body = await resp.text();
  if (resp.status() !== 403 || !body.includes("Not allowed")) {
    throw new Error(`direct POST as mallory: status ${resp.status()}, want 403 with "Not allowed"; body: ${body.slice(0, 500)}`);
  }
});

step("a cross-site POST is refused", async () => {
  const page = await visitAs("alice@example.com", "/inbox");
  await page.goto(opt.attacker);
  await button(page, "Claim your prize").click();
  await text(page, "Refused: cross-origin request");
  await shot(page, "cross-site-refused");
  await page.goto(`${base}/cards/${opt["waiting-card"]}`);
  await expectState(page, "requested");
});

step("bad input is refused in plain words and changes nothing", async () => {
  const operator = await visitAs("olivia@example.com", "/request?user=mallory&card_type=gold");
  await text(operator, 'There is no card type "gold"; the card types are');
  let resp = await operator.request.post(`${base}/request`, { form: { user: "mallory", card_type: "gold" } });
  let body = await resp.text();
  if (resp.status() !== 422 || !body.includes("no card type &#34;gold&#34;")) {
    throw new Error(`request of card type gold: status ${resp.status()}, want 422 naming it; body: ${body.slice(0, 500)}`);
  }
  const approver = await visitAs("alice@example.com", `/cards/${opt["waiting-card"]}`);
  await formOf(approver, "Approve").getByLabel("Comment", { exact: true }).fill("x".repeat(2001));
  await button(approver, "Approve").click();
  await approver.getByRole("alert").getByText("Comment: at most 2000 characters (got 2001)").waitFor();
  await expectState(approver, "requested");
  resp = await approver.request.post(`${base}/cards/${opt["waiting-card"]}/approve`, { form: { comment: "x".repeat(700000) } });
  body = await resp.text();
  if (resp.status() !== 413 || !body.includes("Form not accepted")) {
    throw new Error(`approve with a 700,000-character comment: status ${resp.status()}, want 413; body: ${body.slice(0, 500)}`);
  }
  await approver.goto(`${base}/cards/${opt["waiting-card"]}`);
  await expectState(approver, "requested");
});

step("a waiting card page refreshes itself when another approver decides", async () => {
  const watcher = await visitAs("bernard@example.com", `/cards/${opt["waiting-card"]}`);
  await expectState(watcher, "requested");
  const approver = await visitAs("alice@example.com", `/cards/${opt["waiting-card"]}`);
  await button(approver, "Approve").click();
  await text(approver, "You approved this card.");
  await expectState(watcher, "approved"); // no reload by the test: htmx polling
});

step("someone the directory does not know can do nothing", async () => {
  const page = await visitAs("stranger@example.com", "/inbox");
  await text(page, "Not a directory user");
  await shot(page, "not-a-user");
  await button(page, "Sign out").click();
  await text(page, "Signed out");
});

await run();
