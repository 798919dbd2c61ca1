// The registry's web app: public pages and the staff desk. Plain JavaScript,
// no framework, no build step. Every request goes to the public API under
// /api/v1, as any frontend elsewhere could send it.

const main = document.getElementById("main");

// ---------------------------------------------------------------- helpers

/** An element: h("a", {href: "#/"}, "text", child, …). Text is never parsed as HTML. */
function h(tag, attrs = {}, ...children) {
  const svg = ["svg", "path", "circle", "g", "title"].includes(tag);
  const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "value" && !svg) el.value = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function show(...nodes) {
  main.replaceChildren(...nodes);
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
    document.title = `${heading.textContent} · Twin-city registry`;
  }
}

const words = (text) => text.replaceAll("_", " ");
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** A date at its precision: "1990", "May 2020", "14 May 2020". */
function partialDate(text) {
  if (!text) return "date not known yet";
  const [y, m, d] = text.split("-");
  if (d) return `${Number(d)} ${MONTHS[Number(m) - 1]} ${y}`;
  if (m) return `${MONTHS[Number(m) - 1]} ${y}`;
  return y;
}

function timestamp(text) {
  return text ? new Date(text).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }) : "";
}

const numbers = new Intl.NumberFormat("en");
let regions;
try {
  regions = new Intl.DisplayNames(["en"], { type: "region" });
} catch {
  regions = null;
}
const country = (code) => (regions && code ? `${regions.of(code)} (${code})` : code || "");

/** The reader's languages: `?lang=` first, then the browser's. */
const languages = (() => {
  const chosen = new URLSearchParams(location.search).get("lang");
  const list = chosen ? [chosen] : [...(navigator.languages || []), navigator.language || "en"];
  return list.filter(Boolean).map((l) => l.toLowerCase());
})();

/** A city's name in the reader's language where it has one, with the registry name beside it. */
function cityName(city, { link = true } = {}) {
  const names = city.names || {};
  let local = null;
  let tag = null;
  for (const lang of languages) {
    const primary = lang.split("-")[0];
    for (const [key, value] of Object.entries(names)) {
      const k = key.toLowerCase();
      if (k === lang || k === primary || k.split("-")[0] === primary) {
        local = value;
        tag = key;
        break;
      }
    }
    if (local) break;
  }
  const label = local && local !== city.name
    ? [h("bdi", { lang: tag, dir: "auto" }, local), " ", h("span", { class: "registry" }, "(", h("bdi", {}, city.name), ")")]
    : [h("bdi", { dir: "auto" }, city.name)];
  return link ? h("a", { href: `#/cities/${city.id}` }, label) : h("span", {}, label);
}

// ---------------------------------------------------------------- the API

/** The staff desk's token: kept for this tab only (sessionStorage), never in a cookie. */
const session = {
  get token() { return sessionStorage.getItem("registry-token"); },
  set token(value) { value ? sessionStorage.setItem("registry-token", value) : sessionStorage.removeItem("registry-token"); },
};

class Problem extends Error {
  constructor(status, body) {
    super(body && body.detail ? body.detail : `The registry answered ${status}.`);
    this.status = status;
    this.body = body || {};
  }
}

/** Calls the API; answers {data, etag}. A problem answer throws a Problem. */
async function api(path, { method = "GET", body, etag, token = session.token, raw, type } = {}) {
  const headers = { Accept: "application/json, application/problem+json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (etag) headers["If-Match"] = etag;
  const init = { method, headers, cache: "no-cache" };
  if (raw !== undefined) {
    headers["Content-Type"] = type;
    init.body = raw;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new Problem(0, { detail: "The registry cannot be reached. Check the connection and try again." });
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!res.ok) throw new Problem(res.status, typeof data === "object" ? data : null);
  return { data, etag: res.headers.get("ETag") };
}

const get = async (path) => (await api(path)).data;

/** Follows `next_cursor` until `max` items. */
async function all(path, max = 1000) {
  const items = [];
  let cursor = "";
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await get(`${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

function failure(error) {
  return h("div", { class: "card", role: "alert" }, h("h1", {}, error.status === 404 ? "Not found" : "Something went wrong"), h("p", {}, error.message));
}

// ---------------------------------------------------------------- forms

/** Shows a problem beside the fields it names (`errors[].field`), or on the form. */
function showProblem(form, error, fallbackField) {
  clearProblem(form);
  const fields = (error.body && error.body.errors) || [];
  const placed = [];
  for (const { field, message } of fields) {
    const base = field.replace(/\[\d+\]$/, "").split(".")[0];
    const input = form.querySelector(`[data-field="${field}"]`) || form.querySelector(`[data-field="${base}"]`);
    if (input) {
      fieldError(input, `${message}`);
      placed.push(input);
    }
  }
  if (!placed.length && fallbackField) {
    const input = form.querySelector(`[data-field="${fallbackField}"]`);
    if (input) {
      fieldError(input, error.message);
      placed.push(input);
    }
  }
  const summary = form.querySelector(".form-error");
  summary.textContent = placed.length ? `${error.message}: see the ${placed.length === 1 ? "field" : "fields"} marked below.` : error.message;
  if (error.status === 412) {
    summary.append(" ", h("button", { type: "button", class: "small", onclick: () => route() }, "Reload the current version"));
  }
  (placed[0] || summary).focus();
}

function fieldError(input, message) {
  const id = `${input.id}-error`;
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", id);
  input.insertAdjacentElement("afterend", h("p", { class: "field-error", id }, message));
}

function clearProblem(form) {
  form.querySelectorAll(".field-error").forEach((e) => e.remove());
  form.querySelectorAll("[aria-invalid]").forEach((e) => { e.removeAttribute("aria-invalid"); e.removeAttribute("aria-describedby"); });
  const summary = form.querySelector(".form-error");
  if (summary) summary.textContent = "";
}

let fieldCount = 0;
/** A labelled control; `field` names it as the API's errors do. */
function field(label, control, hint) {
  const id = control.id || `f${++fieldCount}`;
  control.id = id;
  return h("div", {}, h("label", { for: id }, label, hint ? [" ", h("span", { class: "hint" }, hint)] : null), control);
}

function select(name, options, value) {
  return h("select", { name, "data-field": name }, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
}

function form(title, children, onsubmit, submitLabel = "Save") {
  const f = h("form", { novalidate: true, "aria-label": title }, children, h("p", { class: "form-error", role: "alert", tabindex: "-1" }), h("button", { type: "submit" }, submitLabel));
  f.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = f.querySelector("button[type=submit]");
    button.disabled = true;
    clearProblem(f);
    try {
      await onsubmit(new FormData(f), f);
    } catch (error) {
      if (error instanceof Problem) showProblem(f, error, f.dataset.fallback);
      else throw error;
    } finally {
      button.disabled = false;
    }
  });
  return f;
}

const list = (text) => (text || "").split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
const optional = (text) => (text && text.trim() ? text.trim() : undefined);

// ---------------------------------------------------------------- maps

let land = null;
async function landPath() {
  if (!land) land = get("/app/land.json");
  return land;
}

/** Longitude and latitude to the land outline's plane (tenths of a degree). */
const project = ([lon, lat]) => [(lon + 180) * 10, (90 - lat) * 10];

async function mapFrame(label, lines, points) {
  const outline = await landPath();
  const svg = h("svg", { class: "map", viewBox: outline.viewBox, role: "img", "aria-label": label },
    h("title", {}, label),
    h("path", { class: "land", d: outline.d }));
  for (const { coordinates, pending, title } of lines) {
    const d = coordinates.map((line) => line.map((p, i) => `${i ? "L" : "M"}${project(p).map((n) => n.toFixed(1)).join(" ")}`).join("")).join("");
    svg.append(h("path", { class: pending ? "route pending" : "route", d }, h("title", {}, title)));
  }
  for (const { at, title, home } of points) {
    const [x, y] = project(at);
    svg.append(h("circle", { class: home ? "city home" : "city", cx: x.toFixed(1), cy: y.toFixed(1), r: home ? 14 : 10 }, h("title", {}, title)));
  }
  return svg;
}

/** The shorter way between two places, cut at the antimeridian. */
function way(a, b) {
  if (Math.abs(b[0] - a[0]) <= 180) return [[a, b]];
  const shift = b[0] > a[0] ? -360 : 360;
  const b2 = [b[0] + shift, b[1]];
  const edge = shift < 0 ? -180 : 180;
  const t = (edge - a[0]) / (b2[0] - a[0]);
  const lat = a[1] + t * (b2[1] - a[1]);
  return [[a, [edge, lat]], [[-edge, lat], b]];
}

// ---------------------------------------------------------------- pages

function searchPage() {
  const input = h("input", { type: "search", name: "q", autocomplete: "off", placeholder: "Новосибирск, Sapporo, 札幌, Nowgorod…", "aria-controls": "results" });
  const status = h("p", { class: "muted", role: "status", "aria-live": "polite" });
  const results = h("ul", { class: "plain results", id: "results" });
  let pending = 0;
  input.addEventListener("input", () => {
    const q = input.value.trim();
    const mine = ++pending;
    clearTimeout(input.timer);
    if (!q) {
      results.replaceChildren();
      status.textContent = "";
      return;
    }
    input.timer = setTimeout(async () => {
      try {
        const page = await get(`/api/v1/cities?q=${encodeURIComponent(q)}&limit=20`);
        if (mine !== pending) return;
        results.replaceChildren(...page.items.map((c) => h("li", {}, cityName(c), " · ", country(c.country_code),
          c.population ? ` · population ${numbers.format(c.population)}` : "")));
        status.textContent = page.items.length ? `${page.items.length} cities, largest first` : "No city has a name starting so.";
      } catch (error) {
        if (mine === pending) status.textContent = error.message;
      }
    }, 150);
  });
  show(h("h1", {}, "Find a city and its twin cities"),
    h("div", { class: "card" }, field("City name, in any language or script", input, "Case and accents do not matter."), status, results),
    h("p", {}, "Or browse the ", h("a", { href: "#/map" }, "world map of twinnings"), " and the ", h("a", { href: "#/anniversaries" }, "upcoming anniversaries"), "."));
  input.focus();
}

function twinningLine(t, partner) {
  const side = (id) => t.confirmations.find((c) => c.city_id === id);
  return [
    h("span", { class: "badge" }, words(t.kind)), " ",
    t.established ? `since ${partialDate(t.established)}` : "start not known", " · ",
    h("span", { class: `badge ${t.status === "active" ? "good" : t.status === "ended" ? "bad" : "warn"}` }, t.status), " ",
    t.confirmed ? h("span", { class: "badge good" }, "confirmed by both") : h("span", { class: "badge warn" }, partner && side(partner.id) && !side(partner.id).confirmed ? `awaiting ${partner.name}` : "awaiting confirmation"),
    t.next_anniversary ? [" · next: ", h("strong", {}, `${t.next_anniversary.years} years`), ` in ${partialDate(t.next_anniversary.date)}`] : null,
  ];
}

function eventLine(e) {
  return [
    h("strong", {}, h("bdi", { dir: "auto" }, e.title)), " ",
    h("span", { class: "badge" }, words(e.kind)), " ",
    h("span", { class: `badge ${e.status === "completed" ? "good" : e.status === "cancelled" ? "bad" : "warn"}` }, words(e.status)),
    h("br"),
    h("span", { class: "muted" }, partialDate(e.date), " · from ", h("bdi", {}, e.from_city.name), " to ", h("bdi", {}, e.to_city.name),
      e.languages.length ? ` · in ${e.languages.join(", ")}` : "",
      e.review ? ` · reported by ${e.to_city.name}, ${e.review.state === "pending" ? "awaiting " + e.from_city.name : e.review.state + " by " + e.from_city.name}` : ""),
    e.review && e.review.state === "disputed" && e.review.reason ? h("p", {}, "Disputed: ", h("bdi", { dir: "auto" }, e.review.reason)) : null,
    e.description ? h("p", {}, h("bdi", { dir: "auto" }, e.description)) : null,
    e.media_urls.length ? h("p", {}, e.media_urls.map((u) => [h("a", { href: u, rel: "noopener noreferrer" }, u), " "])) : null,
    e.in_reply_to ? h("p", { class: "muted" }, "In reply to: ", h("bdi", {}, e.in_reply_to.title)) : null,
  ];
}

async function cityPage(id) {
  const [city, twinnings, events] = await Promise.all([
    get(`/api/v1/cities/${id}`),
    all(`/api/v1/cities/${id}/twinnings`, 400),
    get(`/api/v1/cities/${id}/events?limit=50`),
  ]);
  const home = city.longitude !== null && city.latitude !== null ? [city.longitude, city.latitude] : null;
  const lines = [];
  const points = [];
  for (const t of twinnings) {
    const p = t.partner;
    if (home && p.longitude !== null && p.latitude !== null) {
      lines.push({ coordinates: way(home, [p.longitude, p.latitude]), pending: !t.confirmed, title: `${city.name} – ${p.name}` });
      points.push({ at: [p.longitude, p.latitude], title: p.name });
    }
  }
  if (home) points.push({ at: home, title: city.name, home: true });
  const names = Object.entries(city.names || {});
  show(
    h("h1", {}, cityName(city, { link: false })),
    h("div", { class: "grid" },
      h("section", { class: "card", "aria-labelledby": "about" }, h("h2", { id: "about" }, "About"),
        h("dl", { class: "facts" },
          h("dt", {}, "Country"), h("dd", {}, country(city.country_code), city.subdivision_code ? ` · ${city.subdivision_code}` : ""),
          city.population ? [h("dt", {}, "Population"), h("dd", {}, numbers.format(city.population))] : null,
          city.timezone ? [h("dt", {}, "Time zone"), h("dd", {}, city.timezone)] : null,
          names.length ? [h("dt", {}, "Names"), h("dd", {}, h("ul", { class: "plain" }, names.map(([lang, name]) => h("li", {}, h("bdi", { lang, dir: "auto" }, name), h("span", { class: "muted" }, ` (${lang})`)))))] : null),
        h("p", {}, h("a", { href: `/api/v1/anniversaries.ics?city_id=${city.id}` }, "Subscribe to its anniversaries"), h("span", { class: "muted" }, " (iCalendar)"))),
      h("section", { class: "card", "aria-labelledby": "partners-map" }, h("h2", { id: "partners-map" }, "Partners on the map"),
        home ? await mapFrame(`${city.name} and its ${twinnings.length} partner cities`, lines, points) : h("p", { class: "muted" }, "The registry has no coordinates for this city."))),
    h("section", { class: "card", "aria-labelledby": "partners" }, h("h2", { id: "partners" }, `Twin cities (${twinnings.length})`),
      twinnings.length ? h("ul", { class: "plain" }, twinnings.map((t) => h("li", {}, cityName(t.partner), " · ", country(t.partner.country_code), h("br"), twinningLine(t, t.partner), " · ", h("a", { href: `#/twinnings/${t.id}` }, "the twinning")))) : h("p", { class: "muted" }, "No twinnings are registered.")),
    h("section", { class: "card", "aria-labelledby": "timeline" }, h("h2", { id: "timeline" }, "Timeline of exchanges"),
      events.items.length ? h("ul", { class: "plain" }, events.items.map((e) => h("li", {}, eventLine(e)))) : h("p", { class: "muted" }, "No exchanges are logged yet.")),
  );
}

/** Events with their replies threaded under what they answer. */
function thread(events) {
  const byId = new Map(events.map((e) => [e.id, e]));
  const children = new Map();
  const roots = [];
  for (const e of events) {
    const parent = e.in_reply_to && byId.get(e.in_reply_to.id);
    if (parent) {
      if (!children.has(parent.id)) children.set(parent.id, []);
      children.get(parent.id).push(e);
    } else roots.push(e);
  }
  const item = (e) => h("li", {}, eventLine(e), children.has(e.id) ? h("ul", { class: "replies", "aria-label": "Replies" }, children.get(e.id).map(item)) : null);
  return h("ul", { class: "plain" }, roots.map(item));
}

async function twinningPage(id) {
  const [t, events] = await Promise.all([get(`/api/v1/twinnings/${id}`), all(`/api/v1/twinnings/${id}/events`, 400)]);
  const [a, b] = t.cities;
  show(
    h("h1", {}, h("bdi", {}, a.name), " – ", h("bdi", {}, b.name)),
    h("div", { class: "grid" },
      h("section", { class: "card", "aria-labelledby": "pair" }, h("h2", { id: "pair" }, "The twinning"),
        h("p", {}, twinningLine(t)),
        h("dl", { class: "facts" },
          t.cities.map((c) => {
            const side = t.confirmations.find((s) => s.city_id === c.id);
            return [h("dt", {}, h("a", { href: `#/cities/${c.id}` }, h("bdi", {}, c.name)), ` (${c.country_code})`),
              h("dd", {}, side && side.confirmed ? `confirmed ${timestamp(side.confirmed_at)} by ${side.confirmed_by.name}` : "has not confirmed")];
          }),
          t.notes ? [h("dt", {}, "Notes"), h("dd", {}, h("bdi", { dir: "auto" }, t.notes))] : null,
          t.source_urls.length ? [h("dt", {}, "Sources"), h("dd", {}, t.source_urls.map((u) => [h("a", { href: u, rel: "noopener noreferrer" }, u), " "]))] : null)),
      h("section", { class: "card", "aria-labelledby": "history" }, h("h2", { id: "history" }, "Status history"),
        h("ul", { class: "plain" }, t.status_history.map((s) => h("li", {}, h("strong", {}, s.status), s.since ? ` since ${partialDate(s.since)}` : "",
          s.by_city_id ? ` (set by ${t.cities.find((c) => c.id === s.by_city_id)?.name || "city " + s.by_city_id})` : "",
          s.reason ? [": ", h("bdi", { dir: "auto" }, s.reason)] : ""))))),
    h("section", { class: "card", "aria-labelledby": "exchanges" }, h("h2", { id: "exchanges" }, `Exchanges in both directions (${events.length})`),
      events.length ? thread(events) : h("p", { class: "muted" }, "No exchanges are logged yet.")),
  );
}

/** The most twinnings the world map draws (2 pages of the GeoJSON endpoint). */
const MAP_MOST = 4000;

async function mapPage() {
  const features = [];
  let cursor = "";
  do {
    const page = await get(`/api/v1/twinnings.geojson?limit=2000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    features.push(...page.features);
    cursor = page.next_cursor;
  } while (cursor && features.length < MAP_MOST);
  const more = Boolean(cursor);
  const lines = features.map((f) => ({
    coordinates: f.geometry.type === "MultiLineString" ? f.geometry.coordinates : [f.geometry.coordinates],
    pending: !f.properties.confirmed,
    title: f.properties.city_names.join(" – "),
  }));
  const places = new Map();
  for (const f of features) {
    const ends = f.geometry.type === "MultiLineString" ? [f.geometry.coordinates[0][0], f.geometry.coordinates.at(-1).at(-1)] : [f.geometry.coordinates[0], f.geometry.coordinates.at(-1)];
    ends.forEach((at, i) => places.set(f.properties.city_ids[i], { at, title: f.properties.city_names[i] }));
  }
  show(h("h1", {}, "World map of twinnings"),
    h("p", { class: "muted" }, `${more ? "The first " : ""}${numbers.format(features.length)} twinnings between ${numbers.format(places.size)} cities; a dashed line awaits one side's confirmation.`),
    await mapFrame(`Map of ${features.length} twinnings`, lines, [...places.values()]),
    h("h2", {}, "The twinnings"),
    h("ul", { class: "plain" }, features.slice(0, 200).map((f) => h("li", {}, h("a", { href: `#/twinnings/${f.properties.id}` }, f.properties.city_names.join(" – ")), ` · ${words(f.properties.kind)} · ${f.properties.established ? "since " + partialDate(f.properties.established) : ""}`))));
}

async function anniversariesPage(params) {
  const code = (params.get("country") || "").toUpperCase();
  const every = params.get("every") || "5";
  const year = new Date().getFullYear();
  const from = params.get("from") || `${year}-01-01`;
  const to = params.get("to") || `${year + 1}-12-31`;
  const query = new URLSearchParams({ from, to, every, limit: "200" });
  if (code) query.set("country", code);
  const page = await get(`/api/v1/anniversaries?${query}`);
  const countryInput = h("input", { name: "country", value: code, maxlength: "2", autocomplete: "off", "data-field": "country" });
  const everyInput = select("every", [["1", "every year"], ["5", "every 5 years"], ["10", "every 10 years"], ["25", "every 25 years"]], every);
  const f = h("form", { class: "card", "aria-label": "Filter anniversaries" },
    field("Country", countryInput, "two letters, e.g. RU, JP; empty for all"), field("Round years", everyInput),
    h("button", { type: "submit" }, "Show"));
  f.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams({ every: everyInput.value });
    if (countryInput.value.trim()) next.set("country", countryInput.value.trim().toUpperCase());
    location.hash = `#/anniversaries?${next}`;
  });
  show(h("h1", {}, `Anniversaries in ${year} and ${year + 1}`), f,
    h("p", {}, h("a", { href: `/api/v1/anniversaries.ics?${query}` }, "Subscribe to these in a calendar")),
    page.items.length ? h("ul", { class: "plain card" }, page.items.map((a) => h("li", {}, h("strong", {}, `${a.years} years`), ` · ${partialDate(a.date)} · `,
      h("a", { href: `#/twinnings/${a.twinning.id}` }, a.twinning.cities.map((c) => c.name).join(" – ")), ` (${a.twinning.cities.map((c) => c.country_code).join("–")})`)))
      : h("p", { class: "muted" }, "No round anniversaries in this window."));
}

// ---------------------------------------------------------------- the staff desk

const NEXT = {
  planned: ["in_preparation", "postponed", "cancelled"],
  in_preparation: ["completed", "postponed", "cancelled"],
  postponed: ["planned", "in_preparation", "cancelled"],
  completed: [],
  cancelled: [],
};
const EVENT_KINDS = ["video_greeting", "letter", "delegation_visit", "online_meeting", "cultural_event", "student_exchange", "gift", "aid", "other"];
const TWINNING_KINDS = ["sister_city", "twin_town", "friendship_city", "partner_city", "cooperation"];

async function deskPage() {
  if (!session.token) return signIn();
  let me;
  try {
    me = await get("/api/v1/tokens/current");
  } catch (error) {
    if (error.status === 401) {
      session.token = null;
      return signIn(error.message);
    }
    throw error;
  }
  const signOut = h("button", { type: "button", class: "secondary", onclick: () => { session.token = null; route(); } }, "Sign out");
  const sections = [h("h1", {}, "Staff desk"), h("p", {}, "Signed in as ", h("strong", {}, me.name), me.admin ? " (admin)" : "", ". ", signOut)];
  for (const id of me.city_ids) sections.push(await citySection(id));
  if (me.admin) sections.push(await tokensSection(), importSection());
  show(...sections);
}

function signIn(message) {
  const input = h("input", { type: "password", name: "token", autocomplete: "off", "data-field": "token", required: true });
  const f = form("Sign in", [
    h("p", {}, "Paste the token you were given. It is kept for this browser tab only and forgotten when you sign out or close the tab."),
    field("Access token", input),
  ], async (data) => {
    const token = String(data.get("token") || "").trim();
    await api("/api/v1/tokens/current", { token });
    session.token = token;
    route();
  }, "Sign in");
  f.dataset.fallback = "token";
  show(h("h1", {}, "Staff desk: sign in"), h("div", { class: "card" }, f));
  if (message) f.querySelector(".form-error").textContent = message;
}

async function citySection(cityId) {
  const [city, twinnings] = await Promise.all([api(`/api/v1/cities/${cityId}`), all(`/api/v1/cities/${cityId}/twinnings`, 400)]);
  const c = city.data;
  return h("section", { class: "card", "aria-labelledby": `city-${cityId}` },
    h("h2", { id: `city-${cityId}` }, cityName(c)),
    h("div", { class: "grid" },
      h("div", {}, h("h3", {}, "Log an exchange"), logForm(c, twinnings)),
      h("div", {}, h("h3", {}, "Register a twinning"), registerForm(c))),
    h("h3", {}, "Twinnings and their exchanges"),
    twinnings.length ? h("ul", { class: "plain" }, twinnings.map((t) => twinningDesk(c, t))) : h("p", { class: "muted" }, "None yet."),
    h("details", {}, h("summary", {}, "Edit the city's record"), cityForm(c, city.etag)));
}

function twinningDesk(city, t) {
  const own = t.confirmations.find((s) => s.city_id === city.id);
  const events = h("div", {}, h("button", { type: "button", class: "small secondary", onclick: async (e) => { e.target.remove(); events.append(await eventsDesk(city, t)); } }, "Show its exchanges"));
  return h("li", {}, cityName(t.partner), " · ", twinningLine(t, t.partner), " · ", h("a", { href: `#/twinnings/${t.id}` }, `twinning ${t.id}`),
    own && !own.confirmed ? h("div", {}, h("button", { type: "button", class: "small", onclick: () => act(`/api/v1/twinnings/${t.id}/confirmations/${city.id}`, "PUT") }, `Confirm for ${city.name}`)) : null,
    events);
}

/** A write from a button; its problem, if any, is shown beside it. */
async function act(path, method, body, etag) {
  try {
    await api(path, { method, body, etag });
    route();
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    const note = h("p", { class: "form-error", role: "alert" }, error.message, error.status === 412 ? [" ", h("button", { type: "button", class: "small", onclick: () => route() }, "Reload")] : null);
    document.activeElement?.insertAdjacentElement("afterend", note);
  }
}

async function eventsDesk(city, t) {
  const events = await all(`/api/v1/twinnings/${t.id}/events`, 400);
  if (!events.length) return h("p", { class: "muted" }, "No exchanges yet.");
  return h("ul", { class: "plain" }, events.map((e) => {
    const mine = e.reported_by.city_id === city.id;
    const moves = mine ? NEXT[e.status].map((s) => h("button", { type: "button", class: "small secondary", onclick: async () => {
      const current = await api(`/api/v1/events/${e.id}`);
      await act(`/api/v1/events/${e.id}`, "PATCH", { status: s }, current.etag);
    } }, `Mark ${words(s)}`)) : [];
    const review = e.review && e.from_city.id === city.id ? ["confirmed", "disputed"].filter((v) => v !== e.review.state).map((v) => h("button", { type: "button", class: "small secondary", onclick: () => act(`/api/v1/events/${e.id}/review`, "PUT", { verdict: v }) }, v === "confirmed" ? "Confirm their report" : "Dispute their report")) : [];
    return h("li", {}, eventLine(e), h("div", {}, moves, review));
  }));
}

function logForm(city, twinnings) {
  const options = twinnings.map((t) => h("option", { value: String(t.id) }, `${t.id} · ${t.partner.name}`));
  const twinning = h("input", { name: "twinning_id", list: `tw-${city.id}`, inputmode: "numeric", autocomplete: "off", "data-field": "twinning_id", value: twinnings[0] ? String(twinnings[0].id) : "" });
  const replyTo = h("select", { name: "in_reply_to", "data-field": "in_reply_to" }, h("option", { value: "" }, "nothing (not a reply)"));
  const loadReplies = async () => {
    replyTo.replaceChildren(h("option", { value: "" }, "nothing (not a reply)"));
    const id = Number(twinning.value);
    if (!twinnings.some((t) => t.id === id)) return;
    const events = await all(`/api/v1/twinnings/${id}/events`, 400);
    for (const e of events.filter((e) => e.from_city.id !== city.id)) replyTo.append(h("option", { value: String(e.id) }, `${e.title} (${partialDate(e.date)})`));
  };
  twinning.addEventListener("change", loadReplies);
  loadReplies();
  const f = form(`Log an exchange for ${city.name}`, [
    h("datalist", { id: `tw-${city.id}` }, options),
    field("Twinning", twinning, "its number; the list holds this city's"),
    field("Direction", select("direction", [["sent", `sent by ${city.name}`], ["received", `received by ${city.name}`]], "sent")),
    field("Kind", select("kind", EVENT_KINDS.map((k) => [k, words(k)]), "video_greeting")),
    field("Mode", select("mode", [["", "not said"], ["in_person", "in person"], ["virtual", "virtual"], ["hybrid", "hybrid"]], "")),
    field("Status", select("status", Object.keys(NEXT).map((s) => [s, words(s)]), "planned")),
    field("Date", h("input", { name: "date", "data-field": "date", placeholder: "2020, 2020-05 or 2020-05-14", autocomplete: "off" }), "as precise as known; may stay empty unless completed"),
    field("Title", h("input", { name: "title", "data-field": "title", required: true })),
    field("Description", h("textarea", { name: "description", "data-field": "description" })),
    field("Languages", h("input", { name: "languages", "data-field": "languages", placeholder: "ru, en", autocomplete: "off" }), "language tags, separated by commas"),
    field("Media links", h("textarea", { name: "media_urls", "data-field": "media_urls", placeholder: "https://…" }), "one per line"),
    field("In reply to", replyTo),
  ], async (data, f) => {
    const id = Number(data.get("twinning_id"));
    const t = twinnings.find((x) => x.id === id);
    let from = city.id;
    if (data.get("direction") === "received") {
      if (!t) throw new Problem(422, { detail: "Choose one of this city's twinnings to say who sent it", errors: [{ field: "twinning_id", message: "not one of this city's twinnings" }] });
      from = t.partner.id;
    }
    const body = {
      kind: data.get("kind"), from_city_id: from, status: data.get("status"), title: String(data.get("title") || ""),
      mode: optional(data.get("mode")), date: optional(data.get("date")), description: optional(data.get("description")),
      languages: list(data.get("languages")), media_urls: list(data.get("media_urls")),
      in_reply_to: data.get("in_reply_to") ? Number(data.get("in_reply_to")) : undefined,
    };
    const { data: event } = await api(`/api/v1/twinnings/${encodeURIComponent(data.get("twinning_id") || "0")}/events`, { method: "POST", body });
    f.replaceWith(h("p", { class: "notice", role: "status" }, `Logged “${event.title}”. `, h("a", { href: `#/twinnings/${event.twinning_id}` }, "See it on the timeline"), " · ", h("button", { type: "button", class: "small", onclick: () => route() }, "Log another")));
  }, "Log the exchange");
  f.dataset.fallback = "twinning_id";
  return f;
}

function registerForm(city) {
  const search = h("input", { type: "search", name: "partner_search", autocomplete: "off", "data-field": "city_ids" });
  const partner = h("select", { name: "partner", "data-field": "partner" }, h("option", { value: "" }, "type a name above"));
  search.addEventListener("input", async () => {
    const q = search.value.trim();
    if (!q) return;
    const page = await get(`/api/v1/cities?q=${encodeURIComponent(q)}&limit=10`);
    partner.replaceChildren(...page.items.filter((c) => c.id !== city.id).map((c) => h("option", { value: String(c.id) }, `${c.name} (${c.country_code})${c.population ? ", " + numbers.format(c.population) : ""}`)));
  });
  const f = form(`Register a twinning of ${city.name}`, [
    field("Partner city", search, "search by any of its names"),
    field("Choose the partner", partner),
    field("Kind", select("kind", TWINNING_KINDS.map((k) => [k, words(k)]), "sister_city")),
    field("Start", h("input", { name: "established", "data-field": "established", placeholder: "1990, 1990-05 or 1990-05-17", autocomplete: "off" })),
  ], async (data) => {
    const body = { city_ids: [city.id, Number(data.get("partner") || 0)], kind: data.get("kind"), established: optional(data.get("established")) };
    const { data: t } = await api("/api/v1/twinnings", { method: "POST", body });
    location.hash = `#/twinnings/${t.id}`;
  }, "Register (confirmed for this city)");
  f.dataset.fallback = "city_ids";
  return f;
}

function cityForm(c, etag) {
  const f = form(`Edit ${c.name}`, [
    field("Name", h("input", { name: "name", value: c.name, "data-field": "name" })),
    field("Population", h("input", { name: "population", value: c.population ?? "", inputmode: "numeric", "data-field": "population" })),
    field("Time zone", h("input", { name: "timezone", value: c.timezone ?? "", "data-field": "timezone", placeholder: "Europe/Moscow" })),
    field("Latitude", h("input", { name: "latitude", value: c.latitude ?? "", inputmode: "decimal", "data-field": "latitude" })),
    field("Longitude", h("input", { name: "longitude", value: c.longitude ?? "", inputmode: "decimal", "data-field": "longitude" })),
  ], async (data, f) => {
    const number = (name) => (String(data.get(name)).trim() === "" ? null : Number(data.get(name)));
    const body = { name: String(data.get("name")), population: number("population"), timezone: optional(data.get("timezone")) ?? null, latitude: number("latitude"), longitude: number("longitude") };
    await api(`/api/v1/cities/${c.id}`, { method: "PATCH", body, etag });
    f.replaceWith(h("p", { class: "notice", role: "status" }, "Saved. ", h("button", { type: "button", class: "small", onclick: () => route() }, "Show")));
  });
  return f;
}

async function tokensSection() {
  const tokens = await all("/api/v1/tokens", 1000);
  const created = h("div", { "aria-live": "polite" });
  const f = form("Create a token", [
    field("Who holds it", h("input", { name: "name", "data-field": "name", autocomplete: "off" })),
    field("Cities it may edit", h("input", { name: "city_ids", "data-field": "city_ids", placeholder: "4, 7", autocomplete: "off" }), "city numbers, separated by commas"),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "admin", "data-field": "admin" }), "An admin token (may do everything)"),
    field("Expires after", h("input", { name: "expires_in_days", "data-field": "expires_in_days", inputmode: "numeric", placeholder: "365" }), "days; empty for never"),
  ], async (data) => {
    const body = { name: String(data.get("name") || ""), admin: data.get("admin") === "on", city_ids: list(data.get("city_ids")).map(Number) };
    if (optional(data.get("expires_in_days"))) body.expires_in_days = Number(data.get("expires_in_days"));
    const { data: token } = await api("/api/v1/tokens", { method: "POST", body });
    created.replaceChildren(h("div", { class: "notice", role: "status" }, h("p", {}, `Token ${token.id} for ${token.name}. Hand it over now: it is not shown again.`), h("p", { class: "secret" }, token.secret)));
  }, "Create the token");
  return h("section", { class: "card", "aria-labelledby": "tokens" }, h("h2", { id: "tokens" }, "Tokens"), f, created,
    h("div", { class: "scroll" }, h("table", {}, h("caption", { class: "muted" }, `${tokens.length} tokens`),
      h("thead", {}, h("tr", {}, ["Id", "Holder", "Scope", "Expires", "State", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, tokens.map((t) => h("tr", {}, h("td", {}, t.id), h("td", {}, t.name), h("td", {}, t.admin ? "admin" : `cities ${t.city_ids.join(", ")}`),
        h("td", {}, t.expires_at ? timestamp(t.expires_at) : "never"), h("td", {}, t.revoked_at ? `revoked ${timestamp(t.revoked_at)}` : "active"),
        h("td", {}, t.revoked_at ? "" : h("button", { type: "button", class: "small secondary", onclick: () => act(`/api/v1/tokens/${t.id}`, "DELETE") }, `Revoke ${t.name}`))))))));
}

function importSection() {
  const report = h("div", { "aria-live": "polite" });
  const file = h("input", { type: "file", name: "file", accept: ".csv,.jsonl,.ndjson,text/csv,application/jsonl", "data-field": "file" });
  const f = form("Import a file", [
    field("What it holds", select("kind", [["cities", "cities"], ["twinnings", "twinnings"], ["events", "events"]], "cities")),
    field("File", file, "CSV or JSON Lines, as the command line's import reads"),
  ], async (data) => {
    const chosen = file.files[0];
    if (!chosen) throw new Problem(400, { detail: "Choose a file", errors: [{ field: "file", message: "no file chosen" }] });
    const jsonl = /\.(jsonl|ndjson)$/i.test(chosen.name);
    try {
      const { data: result } = await api(`/api/v1/import/${data.get("kind")}`, { method: "POST", raw: chosen, type: jsonl ? "application/jsonl" : "text/csv" });
      report.replaceChildren(h("h3", {}, "Report"), h("pre", {}, JSON.stringify(result, null, 2)));
    } catch (error) {
      if (error instanceof Problem && error.body && error.body.errors) report.replaceChildren(h("h3", {}, "Nothing was imported"), h("pre", {}, JSON.stringify(error.body, null, 2)));
      throw error;
    }
  }, "Import");
  f.dataset.fallback = "file";
  return h("section", { class: "card", "aria-labelledby": "imports" }, h("h2", { id: "imports" }, "Imports"), f, report);
}

// ---------------------------------------------------------------- routing

async function route() {
  const [path, query] = (location.hash.slice(1) || "/").split("?");
  const params = new URLSearchParams(query || "");
  for (const a of document.querySelectorAll(".top nav a")) {
    const target = a.getAttribute("href").slice(1);
    a.toggleAttribute("aria-current", target === path || (target !== "/" && path.startsWith(target)));
    if (a.hasAttribute("aria-current")) a.setAttribute("aria-current", "page");
  }
  try {
    let m;
    if (path === "/" || path === "") searchPage();
    else if ((m = path.match(/^\/cities\/(\d+)$/))) await cityPage(m[1]);
    else if ((m = path.match(/^\/twinnings\/(\d+)$/))) await twinningPage(m[1]);
    else if (path === "/map") await mapPage();
    else if (path === "/anniversaries") await anniversariesPage(params);
    else if (path === "/desk") await deskPage();
    else show(h("h1", {}, "Not found"), h("p", {}, "There is no such page. ", h("a", { href: "#/" }, "Search for a city.")));
  } catch (error) {
    if (error instanceof Problem) show(failure(error));
    else throw error;
  }
}

window.addEventListener("hashchange", route);
route();
