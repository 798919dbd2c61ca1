// A small client for the twinning registry that uses only the types generated from
// openapi/openapi.json (src/api.d.ts, made by check.sh) and the global fetch. A field
// renamed or removed in the API makes this file fail to type-check.
import type { paths, components } from "./api";

type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

type ListCities = paths["/api/v1/cities"]["get"];
export type CityQuery = NonNullable<ListCities["parameters"]["query"]>;
export type CityPage = ListCities["responses"]["200"]["content"]["application/json"];

type CreateTwinning = paths["/api/v1/twinnings"]["post"];
export type NewTwinning = Schemas["NewTwinning"];
export type Twinning = CreateTwinning["responses"]["201"]["content"]["application/json"];

type CreateEvent = paths["/api/v1/twinnings/{id}/events"]["post"];
export type NewEvent = CreateEvent["requestBody"]["content"]["application/json"];
export type TwinningEvent = CreateEvent["responses"]["201"]["content"]["application/json"];
type TwinningId = CreateEvent["parameters"]["path"]["id"];

type ConfirmTwinning = paths["/api/v1/twinnings/{id}/confirmations/{city_id}"]["put"];
type ConfirmingCity = ConfirmTwinning["parameters"]["path"]["city_id"];
export type Confirmation = Schemas["Confirmation"];

type ReviewEvent = paths["/api/v1/events/{id}/review"]["put"];
export type NewReview = ReviewEvent["requestBody"]["content"]["application/json"];
export type ReviewedEvent = ReviewEvent["responses"]["200"]["content"]["application/json"];

/** A non-2xx answer; `problem` is the RFC 9457 body when the server sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
  ) {
    super(problem ? `${status} ${problem.code}: ${problem.detail}` : `HTTP ${status}`);
  }
}

function isProblem(value: unknown): value is Problem {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v["code"] === "string" && typeof v["status"] === "number" && typeof v["detail"] === "string";
}

interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  token?: string;
}

async function call<T>(baseUrl: string, method: "GET" | "POST" | "PUT", path: string, opts: RequestOptions = {}): Promise<T> {
  const url = new URL(path, baseUrl);
  for (const [name, value] of Object.entries(opts.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
  if (opts.token) headers["Authorization"] = `Bearer ${opts.token}`;
  const init: RequestInit = { method, headers };
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(opts.body);
  }
  const res = await fetch(url, init);
  if (!res.ok) {
    const isJson = (res.headers.get("content-type") ?? "").includes("json");
    const payload: unknown = isJson ? await res.json().catch(() => null) : null;
    throw new ApiError(res.status, isProblem(payload) ? payload : null);
  }
  return (await res.json()) as T;
}

/** GET /api/v1/cities?q=... — cities whose names start with the words of `q`. */
export function listCities(baseUrl: string, q: string, more: Omit<CityQuery, "q"> = {}): Promise<CityPage> {
  const query: CityQuery = { q, ...more };
  return call<CityPage>(baseUrl, "GET", "/api/v1/cities", { query });
}

/** POST /api/v1/twinnings — a city token registers for its own city: the twinning is
 * `confirmed` once the partner city confirms it too (`confirmTwinning`). */
export function createTwinning(
  baseUrl: string,
  token: string,
  cityIds: [number, number],
  kind: NewTwinning["kind"],
  established: string,
): Promise<Twinning> {
  const body: NewTwinning = { city_ids: cityIds, kind, established };
  return call<Twinning>(baseUrl, "POST", "/api/v1/twinnings", { body, token });
}

/** PUT /api/v1/twinnings/{id}/confirmations/{city_id} — the partner city's staff confirm. */
export function confirmTwinning(baseUrl: string, token: string, twinningId: TwinningId, cityId: ConfirmingCity): Promise<Twinning> {
  const path = `/api/v1/twinnings/${encodeURIComponent(String(twinningId))}/confirmations/${encodeURIComponent(String(cityId))}`;
  return call<Twinning>(baseUrl, "PUT", path, { token });
}

/** PUT /api/v1/events/{id}/review — the sender confirms or disputes what its partner reported receiving. */
export function reviewEvent(baseUrl: string, token: string, eventId: number, review: NewReview): Promise<ReviewedEvent> {
  const path = `/api/v1/events/${encodeURIComponent(String(eventId))}/review`;
  return call<ReviewedEvent>(baseUrl, "PUT", path, { body: review, token });
}

/** Which cities have confirmed the twinning, by id. */
export function confirmedBy(twinning: Twinning): number[] {
  return twinning.confirmations.filter((c: Confirmation) => c.confirmed).map((c: Confirmation) => c.city_id);
}

/** POST /api/v1/twinnings/{id}/events — log an exchange between the twinning's two cities. */
export function logEvent(baseUrl: string, token: string, twinningId: TwinningId, event: NewEvent): Promise<TwinningEvent> {
  const path = `/api/v1/twinnings/${encodeURIComponent(String(twinningId))}/events`;
  return call<TwinningEvent>(baseUrl, "POST", path, { body: event, token });
}

/** Example flow: Veliky Novgorod's staff register the twinning, Rochester's confirm it;
 * Novgorod logs the greeting it received from Rochester, and Rochester confirms the report. */
export async function demo(baseUrl: string, novgorodToken: string, rochesterToken: string): Promise<void> {
  try {
    const [from] = (await listCities(baseUrl, "novgorod", { limit: 1 })).items;
    const [to] = (await listCities(baseUrl, "rochester", { country: "US", limit: 1 })).items;
    if (!from || !to) throw new Error("cities not found");
    const proposed = await createTwinning(baseUrl, novgorodToken, [from.id, to.id], "sister_city", "1990");
    console.log(`twinning ${proposed.id}: confirmed by ${confirmedBy(proposed).join(", ")}; official: ${proposed.confirmed}`);
    const twinning = await confirmTwinning(baseUrl, rochesterToken, proposed.id, to.id);
    console.log(`twinning ${twinning.id}: official: ${twinning.confirmed}`);
    const greeting = await logEvent(baseUrl, novgorodToken, twinning.id, {
      kind: "video_greeting",
      from_city_id: to.id,
      status: "completed",
      date: "2020",
      title: `Video greeting from ${to.name}`,
      languages: ["ru", "en"],
    });
    console.log(`event ${greeting.id}: reported by the ${greeting.reported_by.side}, review ${greeting.review?.state}`);
    const reviewed = await reviewEvent(baseUrl, rochesterToken, greeting.id, { verdict: "confirmed" });
    console.log(`event ${reviewed.id}: review ${reviewed.review?.state}`);
  } catch (err) {
    if (err instanceof ApiError && err.problem) {
      console.error(`${err.problem.status} ${err.problem.code}: ${err.problem.detail}`);
      for (const e of err.problem.errors ?? []) console.error(`  ${e.field}: ${e.message}`);
    } else {
      throw err;
    }
  }
}
