// Drives the web app in Debian's headless Chromium with every request to a
// non-local host aborted, as a visitor, as Veliky Novgorod's staff and as an
// admin, on the demo data. Checks the pages with axe-core (no serious or
// critical violation), that every request the pages make is one a frontend
// elsewhere could make (the app's own files, or an operation of the API
// document), and writes screenshots of the city page and the map.
// Usage: node check-app.mjs BASE_URL ADMIN_TOKEN NOVGOROD_TOKEN SCREENSHOT_DIR
import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const [base, adminToken, novgorodToken, screenshots] = process.argv.slice(2);
if (!base || !adminToken || !novgorodToken || !screenshots) {
  console.error("usage: node check-app.mjs BASE_URL ADMIN_TOKEN NOVGOROD_TOKEN SCREENSHOT_DIR");
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
const TIMEOUT = 15_000;
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

setTimeout(() => {
  console.error("app check: FAILED: gave up after 240 s");
  process.exit(1);
}, 240_000).unref();

// The API's operations, as path patterns: a page may ask for these only.
const documentPaths = Object.keys(JSON.parse(await (await fetch(`${base}/openapi.json`)).text()).paths)
  .map((p) => new RegExp(`^${p.replace(/\{[^}]+\}/g, "[^/]+")}$`));
const allowed = (path) => path === "/" || /^\/app\/[\w.-]+$/.test(path) || documentPaths.some((re) => re.test(path));

const problems = [];
const requests = [];
const blocked = [];
const pageErrors = [];
const fail = (message) => problems.push(message);

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  timeout: 30_000,
});

async function context(options = {}) {
  const ctx = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 900 }, serviceWorkers: "block", ...options });
  await ctx.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if ((url.protocol === "http:" || url.protocol === "https:") && !LOCAL_HOSTS.has(url.hostname)) {
      blocked.push(url.href);
      return route.abort("internetdisconnected");
    }
    requests.push(`${route.request().method()} ${url.pathname}`);
    return route.continue();
  });
  ctx.on("weberror", (e) => pageErrors.push(String(e.error()?.message ?? e.error())));
  return ctx;
}

async function step(name, run) {
  const started = Date.now();
  try {
    await run();
    console.log(`app check: ${name}: ok (${Date.now() - started} ms)`);
  } catch (error) {
    fail(`${name}: ${error?.message ?? error}`);
  }
}

/** axe-core on the page as it is now (in a context that lets the script in). */
async function accessible(page, name) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
  const serious = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of result) console.log(`app check: axe ${name}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.join("; ")})`);
  if (serious.length) fail(`${name}: ${serious.length} serious accessibility violation(s): ${serious.map((v) => v.id).join(", ")}`);
}

try {
  // A visitor finds Novosibirsk by typing the beginning of its Russian name.
  const visitor = await context();
  const page = await visitor.newPage();
  let cityUrl;
  await step("a visitor finds Novosibirsk and sees its partner and the reply in preparation", async () => {
    const response = await page.goto(`${base}/`);
    const policy = response.headers()["content-security-policy"] || "";
    if (!policy.includes("default-src 'self'")) fail(`the page's Content-Security-Policy is ${JSON.stringify(policy)}`);
    // By keyboard: the search field has the focus; the skip link comes first; focus is visible.
    const search = page.getByLabel("City name, in any language or script");
    await search.waitFor({ timeout: TIMEOUT });
    const first = await page.evaluate(() => document.querySelector("a[href], button, input, select, textarea")?.className);
    if (first !== "skip") fail(`the first control is ${first}, not the skip link`);
    if (!(await search.evaluate((e) => e === document.activeElement))) fail("the search field does not have the focus");
    await page.keyboard.press("Shift+Tab");
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    if (outline === "none") fail("the focused link shows no outline");
    await page.getByLabel("City name, in any language or script").pressSequentially("Новосиб", { delay: 40 });
    await page.locator("#results a", { hasText: "Novosibirsk" }).first().click({ timeout: TIMEOUT });
    await page.locator("h1", { hasText: "Novosibirsk" }).waitFor({ timeout: TIMEOUT });
    await page.locator("#partners + ul", { hasText: "Sapporo" }).waitFor({ timeout: TIMEOUT });
    const reply = page.locator("li", { hasText: "Reply video from Novosibirsk" });
    await reply.first().waitFor({ timeout: TIMEOUT });
    const text = await reply.first().innerText();
    if (!text.includes("in preparation")) fail(`the reply reads ${JSON.stringify(text)}, not "in preparation"`);
    if (!text.includes("date not known yet")) fail(`the undated reply reads ${JSON.stringify(text)}`);
    cityUrl = page.url();
    await page.locator("svg.map path.route").first().waitFor({ state: "attached", timeout: TIMEOUT });
  });
  await step("the city's names follow ?lang=", async () => {
    await page.goto(`${base}/?lang=ru${new URL(cityUrl).hash}`);
    await page.locator("h1", { hasText: "Новосибирск" }).waitFor({ timeout: TIMEOUT });
    const heading = await page.locator("h1").innerText();
    if (!heading.includes("(Novosibirsk)")) fail(`the heading in Russian is ${JSON.stringify(heading)}, without the registry name beside it`);
  });
  await step("a right-to-left name reads right to left, beside the registry name", async () => {
    const id = new URL(cityUrl).hash.split("/").pop();
    const city = await (await fetch(`${base}/api/v1/cities/${id}`)).json();
    const names = { ...city.names, ar: "نوفوسيبيرسك" };
    const patched = await fetch(`${base}/api/v1/cities/${id}`, {
      method: "PATCH",
      headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ names }),
    });
    if (!patched.ok) throw new Error(`adding an Arabic name answered ${patched.status}`);
    await page.goto(`${base}/?lang=ar${new URL(cityUrl).hash}`);
    const name = page.locator('h1 bdi[lang="ar"]');
    await name.waitFor({ timeout: TIMEOUT });
    const direction = await name.evaluate((e) => getComputedStyle(e).direction);
    if (direction !== "rtl") fail(`the Arabic name is laid out ${direction}`);
    const heading = await page.locator("h1").innerText();
    if (!heading.includes("Novosibirsk")) fail(`the heading in Arabic is ${JSON.stringify(heading)}, without the registry name`);
  });
  await step("screenshots of the city page and the map, desktop and phone", async () => {
    for (const [name, viewport] of [["desktop", { width: 1280, height: 900 }], ["phone", { width: 390, height: 844 }]]) {
      await page.setViewportSize(viewport);
      await page.goto(cityUrl);
      await page.locator("svg.map path.route").first().waitFor({ state: "attached", timeout: TIMEOUT });
      await page.screenshot({ path: `${screenshots}/city-${name}.png`, fullPage: true });
      const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
      if (wide) fail(`the city page scrolls sideways at ${viewport.width} px`);
      await page.goto(`${base}/#/map`);
      await page.locator("svg.map path.route").first().waitFor({ state: "attached", timeout: TIMEOUT });
      await page.screenshot({ path: `${screenshots}/map-${name}.png`, fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });
  await step("a twinning page threads the replies under what they answer", async () => {
    await page.goto(`${base}/#/twinnings/1`);
    await page.locator("ul.replies li", { hasText: "Reply video from Veliky Novgorod" }).waitFor({ timeout: TIMEOUT });
    await page.goto(`${base}/#/anniversaries?every=1&country=RU`);
    await page.locator("h1", { hasText: "Anniversaries" }).waitFor({ timeout: TIMEOUT });
  });

  // Accessibility of each public page (axe runs as an injected script, which the page's policy would refuse).
  const audit = await context({ bypassCSP: true });
  const auditPage = await audit.newPage();
  await step("accessibility of the public pages and the desk", async () => {
    for (const [name, hash, ready] of [
      ["search", "#/", "h1"],
      ["city", new URL(cityUrl).hash, "svg.map"],
      ["twinning", "#/twinnings/1", "ul.replies"],
      ["map", "#/map", "svg.map path.route"],
      ["anniversaries", "#/anniversaries", "form"],
      ["desk sign-in", "#/desk", "form"],
    ]) {
      await auditPage.goto(`${base}/${hash}`);
      await auditPage.locator(ready).first().waitFor({ state: "attached", timeout: TIMEOUT });
      await accessible(auditPage, name);
    }
    await auditPage.getByLabel("Access token").fill(novgorodToken);
    await auditPage.getByRole("button", { name: "Sign in" }).click();
    await auditPage.getByText("Signed in as").waitFor({ timeout: TIMEOUT });
    await accessible(auditPage, "desk");
  });

  // Veliky Novgorod's staff log a reply to Rochester's greeting.
  const staff = await context();
  const desk = await staff.newPage();
  await step("Veliky Novgorod's staff sign in and log a reply to Rochester's greeting", async () => {
    await desk.goto(`${base}/#/desk`);
    await desk.getByLabel("Access token").fill(novgorodToken);
    await desk.getByRole("button", { name: "Sign in" }).click();
    await desk.getByText("Signed in as Veliky Novgorod international relations").waitFor({ timeout: TIMEOUT });
    const kept = await desk.evaluate(() => ({ local: localStorage.length, cookie: document.cookie }));
    if (kept.local !== 0 || kept.cookie !== "") fail(`the token left traces: ${JSON.stringify(kept)}`);
    await desk.screenshot({ path: `${screenshots}/desk-desktop.png`, fullPage: true });
    const log = desk.getByRole("form", { name: "Log an exchange for Veliky Novgorod" });
    await log.getByLabel("Twinning").fill("1");
    await log.getByLabel("In reply to").locator("option", { hasText: "Video greeting from Rochester" }).waitFor({ state: "attached", timeout: TIMEOUT });
    await log.getByLabel("In reply to").selectOption({ label: "Video greeting from Rochester (2020)" });
    await log.getByLabel("Kind").selectOption("letter");
    await log.getByLabel("Status").selectOption("planned");
    await log.getByLabel("Date").fill("2026-12");
    await log.getByLabel("Title").fill("Letter of thanks from Veliky Novgorod");
    await log.getByLabel("Languages").fill("ru, en");
    await log.getByRole("button", { name: "Log the exchange" }).click();
    await desk.getByRole("link", { name: "See it on the timeline" }).click({ timeout: TIMEOUT });
    await desk.locator("ul.replies li", { hasText: "Letter of thanks from Veliky Novgorod" }).waitFor({ timeout: TIMEOUT });
    const line = await desk.locator("ul.replies li", { hasText: "Letter of thanks from Veliky Novgorod" }).innerText();
    if (!line.includes("December 2026")) fail(`the new reply reads ${JSON.stringify(line)}, not dated "December 2026"`);
  });
  await step("a stale edit of the city offers to reload it", async () => {
    await desk.goto(`${base}/#/desk`);
    await desk.getByText("Edit the city's record").click({ timeout: TIMEOUT });
    const edit = desk.getByRole("form", { name: "Edit Veliky Novgorod" });
    // Meanwhile, someone else changes the city.
    const elsewhere = await fetch(`${base}/api/v1/cities/1`, {
      method: "PATCH",
      headers: { Authorization: `Bearer ${novgorodToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ population: 224286 }),
    });
    if (!elsewhere.ok) throw new Error(`the change made elsewhere answered ${elsewhere.status}`);
    await edit.getByLabel("Population").fill("224000");
    await edit.getByRole("button", { name: "Save" }).click();
    await edit.getByRole("button", { name: "Reload the current version" }).click({ timeout: TIMEOUT });
    await desk.getByText("Edit the city's record").click({ timeout: TIMEOUT });
    const shown = await desk.getByRole("form", { name: "Edit Veliky Novgorod" }).getByLabel("Population").inputValue();
    if (shown !== "224286") fail(`after reloading, the form shows population ${shown}, not the stored 224286`);
  });
  await step("and are refused, beside the field, on a twinning that is not theirs", async () => {
    await desk.goto(`${base}/#/desk`);
    const log = desk.getByRole("form", { name: "Log an exchange for Veliky Novgorod" });
    await log.getByLabel("Twinning").fill("2");
    await log.getByLabel("Title").fill("Not ours to log");
    await log.getByRole("button", { name: "Log the exchange" }).click();
    const message = log.locator("[data-field=twinning_id] + .field-error");
    await message.waitFor({ timeout: TIMEOUT });
    const text = await message.innerText();
    if (!/may edit only cities/.test(text)) fail(`the refusal beside the twinning reads ${JSON.stringify(text)}`);
    const invalid = await log.getByLabel("Twinning").getAttribute("aria-invalid");
    if (invalid !== "true") fail("the refused field is not marked invalid");
    await desk.getByRole("button", { name: "Sign out" }).click();
    await desk.getByLabel("Access token").waitFor({ timeout: TIMEOUT });
    const left = await desk.evaluate(() => sessionStorage.length);
    if (left !== 0) fail("signing out left the token in the tab");
  });

  // An admin creates a token for Sapporo's staff.
  const admin = await context();
  const adminPage = await admin.newPage();
  await step("an admin creates a city token", async () => {
    await adminPage.goto(`${base}/#/desk`);
    await adminPage.getByLabel("Access token").fill(adminToken);
    await adminPage.getByRole("button", { name: "Sign in" }).click();
    const create = adminPage.getByRole("form", { name: "Create a token" });
    await create.getByLabel("Who holds it").fill("Sapporo international relations");
    await create.getByLabel("Cities it may edit").fill("3");
    await create.getByRole("button", { name: "Create the token" }).click();
    const secret = adminPage.locator(".secret");
    await secret.waitFor({ timeout: TIMEOUT });
    if (!(await secret.innerText()).startsWith("twn_")) fail("the new token's secret is not shown");
  });
} catch (error) {
  fail(String(error?.message ?? error));
} finally {
  await browser.close().catch(() => {});
}

const strange = [...new Set(requests)].filter((r) => !allowed(r.split(" ")[1]));
console.log(`app check: ${requests.length} requests, ${new Set(requests).size} distinct; to non-local hosts: ${blocked.length}`);
for (const r of strange) fail(`the page asked for ${r}, which is neither the app's nor an operation of the API document`);
for (const url of blocked) fail(`the page asked another host: ${url}`);
for (const e of pageErrors) fail(`page error: ${e}`);
if (problems.length) {
  for (const p of problems) console.error(`app check: FAILED: ${p}`);
  process.exit(1);
}
console.log(`app check: OK; screenshots in ${screenshots}`);
