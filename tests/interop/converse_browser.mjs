// SPDX-License-Identifier: MIT
// Drives Converse.js in Debian's headless Chromium through puppeteer-core (pinned in
// package-lock.json; it downloads no browser) for the browser test: opens converse_page.html
// (served by the test on loopback), waits for Converse to be connected to ternd over WebSocket,
// sends one message, waits for one, saves a screenshot, and prints one JSON object per line:
//   {"event":"online"} {"event":"sent"} {"event":"message","from":…,"body":…}
//   {"event":"screenshot","path":…} {"event":"error","message":…}
// Exit status 0 when every step happened, 1 otherwise.
//
// TLS: Chromium trusts ternd's self-signed certificate by its public key only
// (--ignore-certificate-errors-spki-list=<base64 SHA-256 of the SPKI>), nothing else.
import puppeteer from "puppeteer-core";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: {
    chromium: { type: "string", default: "/usr/bin/chromium" },
    page: { type: "string" },
    spki: { type: "string" },
    "send-to": { type: "string" },
    body: { type: "string" },
    "expect-from": { type: "string" },
    screenshot: { type: "string" },
    "timeout-ms": { type: "string", default: "30000" },
  },
});
const timeout = Number(opts["timeout-ms"]);
const emit = (object) => process.stdout.write(JSON.stringify(object) + "\n");

let browser;
let status = 1;
try {
  browser = await puppeteer.launch({
    executablePath: opts.chromium,
    headless: true,
    args: [
      "--no-sandbox", // the test may run as root
      "--disable-gpu",
      "--disable-dev-shm-usage",
      `--ignore-certificate-errors-spki-list=${opts.spki}`,
    ],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 800 });
  page.on("console", (m) => process.stderr.write(`console.${m.type()}: ${m.text()}\n`));
  page.on("pageerror", (e) => process.stderr.write(`pageerror: ${e}\n`));
  await page.goto(opts.page, { waitUntil: "load", timeout });
  await page.waitForFunction(() => window.tern && window.tern.connected, { timeout });
  emit({ event: "online" });
  await page.evaluate((to, body) => window.tern.send(to, body), opts["send-to"], opts.body);
  emit({ event: "sent" });
  const got = await page.waitForFunction(
    (from) => window.tern.received.find((m) => m.from && m.from.split("/")[0] === from),
    { timeout },
    opts["expect-from"],
  );
  const message = await got.jsonValue();
  emit({ event: "message", from: message.from, body: message.body });
  await new Promise((resolve) => setTimeout(resolve, 500)); // let the view render the message
  await page.screenshot({ path: opts.screenshot });
  emit({ event: "screenshot", path: opts.screenshot });
  status = 0;
} catch (e) {
  emit({ event: "error", message: String(e && e.message ? e.message : e) });
} finally {
  if (browser) {
    await browser.close().catch(() => {});
  }
}
process.exit(status);
