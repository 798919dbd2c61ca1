// Opens BASE_URL/docs/ (the served Swagger UI) in Debian's headless Chromium with every
// request to a non-local host aborted, and checks that the API operations render.
// Usage: node check-docs.mjs BASE_URL    (e.g. http://127.0.0.1:18091)
// Exit 0 when the UI rendered at least MIN_OPERATIONS operations including the expected
// paths; 1 otherwise; 2 on bad usage.
import { chromium } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const MIN_OPERATIONS = 20;
const RENDER_TIMEOUT_MS = 30_000;
const EXPECTED_TEXT = ["/api/v1/cities", "/api/v1/twinnings/{id}/events"];
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

const base = (process.argv[2] || "").replace(/\/+$/, "");
let baseUrl;
try {
  baseUrl = new URL(base);
} catch {
  console.error("usage: node check-docs.mjs BASE_URL   (e.g. http://127.0.0.1:18091)");
  process.exit(2);
}
if (!LOCAL_HOSTS.has(baseUrl.hostname)) {
  console.error(`docs check: BASE_URL must be on 127.0.0.1 or localhost (requests elsewhere are blocked), got ${base}`);
  process.exit(2);
}
const docsUrl = `${base}/docs/`;

// A hard stop, so a hung browser can never hang CI.
setTimeout(() => {
  console.error("docs check: FAILED: gave up after 90 s");
  process.exit(1);
}, 90_000).unref();

/** Network requests to anything but this machine; other schemes (data:, blob:) never leave it. */
function isRemote(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:" && u.protocol !== "ws:" && u.protocol !== "wss:") return false;
  return !LOCAL_HOSTS.has(u.hostname);
}

const blocked = []; // non-local requests we aborted
const failedRemote = []; // non-local requests that failed (aborted by us or otherwise)
const failedLocal = []; // local requests that failed: a real problem
const pageErrors = [];

let browser;
let ok = false;
try {
  // launch() gives the browser a fresh temporary profile of its own and removes it on close.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 30_000,
  });
  const context = await browser.newContext({ serviceWorkers: "block" });
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (isRemote(url)) {
      blocked.push(url);
      return route.abort("internetdisconnected");
    }
    return route.continue();
  });
  const page = await context.newPage();
  page.on("requestfailed", (req) => {
    const entry = `${req.method()} ${req.url()} (${req.failure()?.errorText ?? "failed"})`;
    (isRemote(req.url()) ? failedRemote : failedLocal).push(entry);
  });
  page.on("pageerror", (err) => pageErrors.push(String(err?.message ?? err)));

  const started = Date.now();
  const response = await page.goto(docsUrl, { waitUntil: "domcontentloaded", timeout: RENDER_TIMEOUT_MS });
  if (!response || !response.ok()) {
    throw new Error(`GET ${docsUrl} answered ${response ? response.status() : "nothing"}`);
  }
  const remaining = () => Math.max(1_000, RENDER_TIMEOUT_MS - (Date.now() - started));
  await page.waitForSelector(".opblock", { state: "attached", timeout: remaining() });
  // Swagger UI renders tag sections one after another: wait until at least the minimum is
  // there, then until the count stops changing.
  await page
    .waitForFunction((min) => document.querySelectorAll(".opblock").length >= min, MIN_OPERATIONS, {
      timeout: remaining(),
    })
    .catch(() => {});
  let count = await page.locator(".opblock").count();
  for (let i = 0; i < 20; i++) {
    await page.waitForTimeout(250);
    const now = await page.locator(".opblock").count();
    if (now === count) break;
    count = now;
  }
  const elapsed = Date.now() - started;

  // Swagger UI puts zero-width spaces before the slashes of paths; data-path has them bare.
  const text = await page.evaluate(() => {
    const paths = [...document.querySelectorAll("[data-path]")].map((e) => e.getAttribute("data-path"));
    return (document.body.innerText + "\n" + paths.join("\n")).replace(/[\u200b\u00ad]/g, "");
  });
  const missing = EXPECTED_TEXT.filter((t) => !text.includes(t));

  console.log(`docs check: ${docsUrl} rendered ${count} operations (.opblock) in ${elapsed} ms`);
  console.log(`docs check: requests to non-local hosts blocked: ${blocked.length}, failed: ${failedRemote.length}`);
  for (const url of blocked) console.log(`  blocked ${url}`);
  for (const entry of failedRemote) console.log(`  failed  ${entry}`);
  for (const entry of failedLocal) console.log(`docs check: local request failed: ${entry}`);
  for (const msg of pageErrors) console.log(`docs check: page error: ${msg}`);

  const problems = [];
  if (count < MIN_OPERATIONS) problems.push(`only ${count} operations rendered, expected at least ${MIN_OPERATIONS}`);
  for (const t of missing) problems.push(`text ${JSON.stringify(t)} not found on the page`);
  if (failedLocal.length) problems.push(`${failedLocal.length} request(s) to the server failed`);
  if (problems.length) {
    for (const p of problems) console.error(`docs check: FAILED: ${p}`);
  } else {
    console.log(`docs check: OK: ${count} operations, expected paths present, rendered offline`);
    ok = true;
  }
} catch (err) {
  console.error(`docs check: FAILED: ${err?.message ?? err}`);
  if (blocked.length) console.error(`docs check: non-local requests blocked so far: ${blocked.join(", ")}`);
} finally {
  if (browser) await browser.close().catch(() => {});
}
process.exit(ok ? 0 : 1);
