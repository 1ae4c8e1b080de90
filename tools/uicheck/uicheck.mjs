// uicheck drives the Temporal UI in headless Chromium as an on-call engineer
// would: the workflow list filtered by CardRequestState must show the card,
// and the execution's page must show its summary and current details. It
// saves screenshots and exits non-zero, naming what is missing, otherwise.
//
// Usage: node uicheck.mjs --ui http://127.0.0.1:8233 --workflow-id ID --run-id RUN
//        --expect-summary TEXT --expect-details TEXT [--expect-decoded TEXT] --out DIR
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: opt } = parseArgs({
  options: {
    ui: { type: "string", default: "http://127.0.0.1:8233" },
    namespace: { type: "string", default: "default" },
    "workflow-id": { type: "string" },
    "run-id": { type: "string" },
    "expect-summary": { type: "string" },
    "expect-details": { type: "string" },
    "expect-decoded": { type: "string" },
    state: { type: "string", default: "requested" },
    out: { type: "string", default: "docs/screenshots" },
    chromium: { type: "string", default: process.env.CHROMIUM || "/usr/bin/chromium" },
  },
});
for (const k of ["workflow-id", "run-id", "expect-summary", "expect-details"]) {
  if (!opt[k]) {
    console.error(`uicheck: --${k} is required`);
    process.exit(2);
  }
}
mkdirSync(opt.out, { recursive: true });

// waitForText polls the visible text of the page and of its frames (the UI
// renders summaries as markdown inside sandboxed iframes) until text appears.
async function waitForText(page, text, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      const body = await frame.evaluate(() => document.body ? document.body.innerText : "").catch(() => "");
      if (body.replace(/\s+/g, " ").includes(text)) return;
    }
    if (Date.now() > deadline) throw new Error(`text not found: ${text}`);
    await page.waitForTimeout(250);
  }
}

const browser = await chromium.launch({
  executablePath: opt.chromium,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let failed = false;
const fail = (msg) => { console.error(`uicheck: FAIL: ${msg}`); failed = true; };
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  page.setDefaultTimeout(20000);

  const query = encodeURIComponent(`CardRequestState="${opt.state}"`);
  const listURL = `${opt.ui}/namespaces/${opt.namespace}/workflows?query=${query}`;
  await page.goto(listURL);
  try {
    await page.getByText(opt["workflow-id"]).first().waitFor();
    console.log(`uicheck: ok: the list filtered by CardRequestState="${opt.state}" shows ${opt["workflow-id"]}`);
  } catch {
    fail(`the list at ${listURL} does not show ${opt["workflow-id"]}`);
  }
  await page.screenshot({ path: join(opt.out, "workflow-list.png") });

  const pageURL = `${opt.ui}/namespaces/${opt.namespace}/workflows/${encodeURIComponent(opt["workflow-id"])}/${opt["run-id"]}/history`;
  await page.goto(pageURL);
  await page.getByText(opt["workflow-id"]).first().waitFor();
  await page.screenshot({ path: join(opt.out, "workflow-history.png"), fullPage: true });
  // Summary, details and current details live on the "User Metadata" tab.
  await page.getByText("User Metadata", { exact: true }).first().click();
  for (const [what, text] of [["summary", opt["expect-summary"]], ["current details", opt["expect-details"]]]) {
    try {
      // The UI renders markdown, so the text spans several elements: poll the
      // page's visible text rather than one element's.
      await waitForText(page, text);
      console.log(`uicheck: ok: the execution page shows the ${what} "${text}"`);
    } catch {
      fail(`the execution page ${pageURL} does not show the ${what} "${text}"`);
    }
  }
  await page.screenshot({ path: join(opt.out, "workflow-page.png"), fullPage: true });

  // Payloads are encrypted: only the codec server (--ui-codec-endpoint) makes
  // them readable. The status query's answer holds the user's common name.
  if (opt["expect-decoded"]) {
    await page.getByText("Queries", { exact: true }).first().click();
    await page.getByRole("button", { name: "Run Query" }).click();
    try {
      await waitForText(page, opt["expect-decoded"]);
      console.log(`uicheck: ok: the status query through the codec server shows "${opt["expect-decoded"]}"`);
    } catch {
      fail(`the Queries tab of ${pageURL} does not show the decoded "${opt["expect-decoded"]}"`);
    }
    await page.screenshot({ path: join(opt.out, "ui-codec-decoded.png"), fullPage: true });
  }
} finally {
  await browser.close();
}
console.log(`uicheck: screenshots in ${opt.out}`);
process.exit(failed ? 1 : 0);
