// harness.mjs is what every console browser check shares: one headless
// Chromium, a fresh browser context per person (their own cookies at the
// console and at Dex), sign-in through Dex, the steps run in order (the
// first failure stops the run with a message naming the step), and every
// page's browser errors checked at the end: a Content-Security-Policy
// violation (an inline script or style) or a script error fails the run.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { parseArgs } from "node:util";

// consoleOptions parses a console check's flags: those every check takes
// (--console, --issuer, --password, --out, --chromium) and its own (all
// strings, all required). A missing one ends the script with exit code 2,
// naming it; the screenshot folder --out is made.
export function consoleOptions(script, own) {
  const options = {
    console: { type: "string" },
    issuer: { type: "string" },
    password: { type: "string", default: "password" },
    out: { type: "string", default: "docs/screenshots" },
    chromium: { type: "string", default: process.env.CHROMIUM || "/usr/bin/chromium" },
  };
  for (const k of own) options[k] = { type: "string" };
  const { values: opt } = parseArgs({ options });
  for (const k of ["console", "issuer", ...own]) {
    if (!opt[k]) {
      console.error(`${script}: --${k} is required`);
      process.exit(2);
    }
  }
  mkdirSync(opt.out, { recursive: true });
  return opt;
}

// openConsole starts the browser for a check of the console at base, whose
// sign-in goes through issuer; timeout is each page's default wait.
export async function openConsole({ base, issuer, password, executablePath, timeout }) {
  const browser = await chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const browserErrors = [];
  const steps = [];

  async function person() {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    page.setDefaultTimeout(timeout);
    page.on("console", (msg) => {
      if (msg.type() === "error" && msg.location().url.startsWith(base) && !/status of 4\d\d/.test(msg.text())) {
        browserErrors.push(`${msg.location().url}: ${msg.text()}`);
      }
    });
    page.on("pageerror", (err) => browserErrors.push(`script error: ${err.message}`));
    return page;
  }

  // visitAs opens path as a new person, fills Dex's login form (where a
  // signed-out visit lands) and waits to be back at the console.
  async function visitAs(email, path) {
    const page = await person();
    await page.goto(base + path);
    await page.waitForURL((u) => u.href.startsWith(issuer));
    await page.locator("input[name=login]").fill(email);
    await page.locator("input[name=password]").fill(password);
    await page.locator("button[type=submit]").click();
    await page.waitForURL((u) => u.href.startsWith(base) && !u.pathname.startsWith("/auth/"));
    return page;
  }

  // run runs the steps, reports each, and exits 0 when all passed without
  // a browser error, 1 otherwise.
  async function run() {
    let failed = false;
    try {
      for (const { name, fn } of steps) {
        const started = Date.now();
        try {
          await fn();
          console.log(`ok   ${name} (${Date.now() - started} ms)`);
        } catch (err) {
          console.error(`FAIL ${name}: ${err.message}`);
          failed = true;
          break;
        }
      }
      if (!failed && browserErrors.length > 0) {
        console.error(`FAIL the console's pages had browser errors:\n  ${browserErrors.join("\n  ")}`);
        failed = true;
      } else if (!failed) {
        console.log("ok   no browser errors (Content-Security-Policy, scripts)");
      }
    } finally {
      await browser.close();
    }
    process.exit(failed ? 1 : 0);
  }

  return { person, visitAs, step: (name, fn) => steps.push({ name, fn }), run };
}
