"""Stricter checks for .ci/run, and bodies that reach a successful import.

schemathesis' `positive_data_acceptance` accepts a refusal of schema-valid data
only by status. Ours names the rule: a request that matches the document may be
refused only by a rule in REFUSALS, which no JSON Schema can state (it depends
on what is stored, on today's date, on another field's value from a registry,
or on the grammar of an uploaded file). Any other 400, 412 or 422 to positive
data fails the run, naming the field and the message. Besides:

- a 412 is a refusal only of a request that sent an `If-Match` other than `*`;
- a 401 or 403 to a request made with the admin token fails the run
  (SCHEMATHESIS_ADMIN_TOKEN names it; the run that revokes tokens sets none);
- a 404 for an id of the seeded demo data fails the run, unless the run
  deleted that record (or the twinning or city it belonged to) before;
- the import operations get CSV or JSON Lines files that import, so that a
  successful import is reached, not only refusals of generated text.
"""

import json
import os
import pathlib
import re
import urllib.parse
import urllib.request

import jsonschema
import schemathesis

DOCUMENT = json.loads((pathlib.Path(__file__).parent.parent / "openapi" / "openapi.json").read_text())

# (operation, status, problem code, field, message): regular expressions
# (but the status), matched whole; None matches anything.
CITY = r"(POST|PATCH) /api/v1/cities(/\{id\})?"
TWINNING = r"(POST|PATCH) /api/v1/twinnings(/\{id\})?"
EVENT = r"POST /api/v1/twinnings/\{id\}/events|PATCH /api/v1/events/\{id\}"
REFUSALS = [
    # State: only the server issues cursors and ETags.
    (r"GET .*", 400, "invalid_parameter", r"cursor|after", r"is not a cursor that this API issued"),
    # State: ids in a body must name stored cities and events.
    (r"POST /api/v1/(twinnings|tokens|webhooks)", 422, "validation_failed", r"city_ids\[\d+\]", r"there is no city with id -?\d+"),
    (EVENT, 422, "validation_failed", r"from_city_id", r"must be one of the twinning's cities .*"),
    (EVENT, 422, "validation_failed", r"reported_by_city_id", r"city -?\d+ is not one of the two cities of twinning \d+"),
    (EVENT, 422, "validation_failed", r"in_reply_to", r"there is no event with id -?\d+|event \d+ belongs to another twinning .*|event \d+ comes from the same city.*"),
    # State: a patch is checked with the stored record it changes: an event's
    # status moves along its life cycle, a twinning's status agrees with its
    # dates, a coordinate needs the other one.
    (r"PATCH /api/v1/events/\{id\}", 422, "validation_failed", r"status", r"cannot go from .*|a (completed|cancelled) event cannot change its status"),
    (r"PATCH /api/v1/twinnings/\{id\}", 422, "validation_failed", r"status", r"an `ended` date means the status is `ended`|`status_since` and `status_reason` describe the status: send `status` with them"),
    (r"PATCH /api/v1/cities/\{id\}", 422, "validation_failed", r"latitude|longitude", r"is required when (latitude|longitude) is given"),
    (r"PATCH /api/v1/events/\{id\}", 422, "validation_failed", r"date", r"is required for a completed event"),
    # Between two dates of a body: a twinning ends after it starts.
    (TWINNING, 422, "validation_failed", r"ended", r"is before `established`"),
    # Today's date: what has happened cannot be in the future.
    (TWINNING, 422, "validation_failed", r"established|ended|status_since", r"must not be in the future|is in the future; register the twinning with status `planned`"),
    (EVENT, 422, "validation_failed", r"date", r"a completed event cannot be in the future"),
    # Registries that no pattern states: BCP 47 subtags, ISO 3166-2 codes of
    # the city's own country, and URLs as the WHATWG URL standard parses them.
    (CITY, 422, "validation_failed", r"names\..*", r"`.*` is not a BCP 47 language tag.*"),
    (EVENT, 422, "validation_failed", r"languages\[\d+\]", r"`.*` is not a BCP 47 language tag.*"),
    (r"GET /api/v1/events", 400, "invalid_parameter", r"language", r"must be a BCP 47 language tag.*"),
    (CITY, 422, "validation_failed", r"subdivision_code", r"must start with the country code, as in `[A-Z]{2}-…`|`.*` is not an ISO 3166-2 code"),
    (TWINNING, 422, "validation_failed", r"source_urls\[\d+\]", r"must be an http or https URL"),
    (EVENT, 422, "validation_failed", r"media_urls\[\d+\]", r"must be an http or https URL"),
    # Words as the search index splits them (at any character that is not a
    # letter or digit, in every script): a search takes a bounded number.
    (r"GET /api/v1/cities(\.geojson)?", 400, "invalid_parameter", r"q", r"must have at most \d+ words"),
    # Between two parameters: a calendar window ends after it starts and spans
    # a bounded number of years.
    (r"GET /api/v1/anniversaries(\.ics)?", 400, "invalid_parameter", r"to", r"must not be before `.*`|the window may span at most \d+ years"),
    # Where a webhook may be delivered: URLs as the WHATWG URL standard parses
    # them, and no loopback or private address (the server's own network).
    (r"POST /api/v1/webhooks", 422, "validation_failed", r"url", r"is not a URL .*|must not be a loopback, private or link-local address|must not hold credentials|must have a host|must be an http or https URL"),
    # The grammar of an uploaded CSV or JSON Lines file.
    (r"POST /api/v1/import/.*", 422, "nothing_imported", None, None),
    (r"POST /api/v1/import/.*", 422, "validation_failed", r"line \d+", r".*"),
]


def _body_conforms(case):
    """Whether the JSON body really matches the document. The generator marks
    some bodies positive that are not (a `names` value with a control
    character, which the document's pattern forbids); those are negative data,
    left to the other checks."""
    operation = DOCUMENT["paths"][case.operation.path][case.operation.method.lower()]
    content = (operation.get("requestBody") or {}).get("content", {})
    if "application/json" not in content or case.body is None:
        return True
    schema = {"$ref": "#/x-body", "x-body": content["application/json"]["schema"], "components": DOCUMENT["components"]}
    return jsonschema.Draft202012Validator(schema).is_valid(case.body)


def _path_conforms(case):
    """Whether the path parameters match their schemas: the stateful phase
    fills a link's parameter with `None` when the response it follows has
    no such value, and still marks the request positive."""
    operation = DOCUMENT["paths"][case.operation.path][case.operation.method.lower()]
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "path":
            continue
        value = (case.path_parameters or {}).get(parameter["name"])
        schema = {"$ref": "#/x-param", "x-param": parameter.get("schema", {}), "components": DOCUMENT["components"]}
        if value is None or not jsonschema.Draft202012Validator(schema).is_valid(value):
            return False
    return True


def _headers_conform(case, response):
    """Whether the headers sent match their documented patterns: the coverage
    phase marks some values positive that the pattern refuses (`If-Match: 0`)."""
    operation = DOCUMENT["paths"][case.operation.path][case.operation.method.lower()]
    for parameter in operation.get("parameters", []):
        pattern = parameter.get("schema", {}).get("pattern")
        if parameter.get("in") != "header" or pattern is None:
            continue
        value = _sent(response, parameter["name"])
        if value is not None and re.search(pattern, value) is None:
            return False
    return True


def _matches(pattern, text):
    return pattern is None or (text is not None and re.fullmatch(pattern, text, re.DOTALL) is not None)


def _explained(operation, status, problem):
    code = problem.get("code")
    errors = problem.get("errors") or [{"field": None, "message": None}]
    return all(
        any(
            _matches(o, operation)
            and status == s
            and code == c
            and _matches(f, e.get("field"))
            and _matches(m, e.get("message"))
            for o, s, c, f, m in REFUSALS
        )
        for e in errors
    )


BASE_URL = os.environ.get("SCHEMATHESIS_BASE_URL", "")
ADMIN_TOKEN = os.environ.get("SCHEMATHESIS_ADMIN_TOKEN", "")
READ_TOKEN = ADMIN_TOKEN or os.environ.get("SCHEMATHESIS_READ_TOKEN", "")


def _get(path):
    request = urllib.request.Request(BASE_URL + path, headers={"Authorization": f"Bearer {READ_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _all(path):
    items, cursor = [], ""
    while True:
        page = _get(f"{path}?limit=200&cursor={cursor}")
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def _seeded():
    """The demo data's records, read before any case runs."""
    if not BASE_URL or not READ_TOKEN:
        return None
    twinnings = _all("/api/v1/twinnings")
    return {
        "cities": {c["id"] for c in _all("/api/v1/cities")},
        "twinnings": {t["id"]: [c["id"] for c in t["cities"]] for t in twinnings},
        "events": {e["id"]: e["twinning_id"] for e in _all("/api/v1/events")},
        "tokens": {t["id"] for t in _all("/api/v1/tokens")} if ADMIN_TOKEN else set(),
    }


SEEDED = _seeded()
DELETED = {"cities": set(), "twinnings": set(), "events": set(), "tokens": set()}


def _resource(response):
    """The collection and id the request's own URL names, if it names one."""
    path = urllib.parse.urlsplit(response.request.url).path
    match = re.fullmatch(r"/api/v1/(cities|twinnings|events|tokens)/(\d+)(/.*)?", path)
    if match is None:
        return None, None
    return match.group(1), int(match.group(2))


def _names_no_city_of_the_pair(response):
    path = urllib.parse.urlsplit(response.request.url).path
    if not re.fullmatch(r"/api/v1/twinnings/\d+/confirmations/-?\d+", path):
        return False
    try:
        detail = response.json().get("detail", "")
    except (ValueError, AttributeError):
        return False
    return bool(re.fullmatch(r"city -?\d+ is not one of the two cities of twinning \d+", detail))


def _note_deletion(response):
    kind, ident = _resource(response)
    path = urllib.parse.urlsplit(response.request.url).path
    if response.request.method.upper() != "DELETE" or kind is None or response.status_code >= 300:
        return
    if not re.fullmatch(r"/api/v1/\w+/\d+", path):
        # A part of the resource (a city's confirmation of a twinning), not the resource.
        return
    DELETED[kind].add(ident)
    if kind == "twinnings" and SEEDED:
        DELETED["events"].update(e for e, t in SEEDED["events"].items() if t == ident)
    if kind == "cities" and SEEDED:
        for t, pair in SEEDED["twinnings"].items():
            if ident in pair:
                DELETED["twinnings"].add(t)
                DELETED["events"].update(e for e, tw in SEEDED["events"].items() if tw == t)


def _seeded_and_present(kind, ident):
    return SEEDED is not None and ident in SEEDED[kind] and ident not in DELETED[kind]


def _sent(response, name):
    """A header of the request as it was sent (checks of their own, such as
    the one for ignored authentication, send without some)."""
    for key, value in response.request.headers.items():
        if key.lower() == name.lower():
            return value
    return None


@schemathesis.check
def refusals_are_documented_rules(ctx, response, case):
    _note_deletion(response)
    status = response.status_code
    authorization = _sent(response, "Authorization")
    if ADMIN_TOKEN and status in (401, 403) and authorization == f"Bearer {ADMIN_TOKEN}":
        raise AssertionError(f"A request with the admin token was refused\nstatus {status}: {response.text[:500]}")
    kind, ident = _resource(response)
    if status == 404 and _names_no_city_of_the_pair(response):
        # State: the city of a confirmation must be one of the twinning's two.
        kind = None
    if status == 404 and kind is not None and _seeded_and_present(kind, ident):
        raise AssertionError(f"{kind} {ident} of the demo data, not deleted by this run, answered 404\n{response.text[:500]}")
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if status == 412:
        # Only an ETag the resource no longer has is a reason for 412.
        if_match = _sent(response, "If-Match")
        if if_match is None or if_match.strip() == "*":
            raise AssertionError(f"412 without an If-Match to fail\n{response.text[:500]}")
        return None
    if status not in (400, 422) or not _body_conforms(case) or not _headers_conform(case, response) or not _path_conforms(case):
        return None
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    if not isinstance(problem, dict) or not _explained(case.operation.label, status, problem):
        raise AssertionError(
            f"Schema-valid request refused by a rule the document could state\n"
            f"status {status}: {response.text[:500]}"
        )
    return None


def _import_file(kind, jsonl, serial):
    """A small file of `kind` that imports into the demo data."""
    if kind == "cities":
        rows = [{"name": f"Hookton {serial}", "country_code": "FR", "population": serial}]
    elif kind == "twinnings":
        ids = sorted(SEEDED["cities"]) if SEEDED else [1, 2]
        rows = [{"city_a_id": ids[0], "city_b_id": ids[-1], "kind": "friendship_city", "established": "1990"}]
    else:
        twinning, pair = next(iter(SEEDED["twinnings"].items())) if SEEDED else (1, [1, 2])
        rows = [{"twinning_id": twinning, "kind": "letter", "from_city_id": pair[0], "status": "planned", "title": f"Letter {serial}"}]
    if jsonl:
        return "".join(json.dumps(row) + "\n" for row in rows)
    columns = list(rows[0])
    return ",".join(columns) + "\n" + "".join(",".join(str(row[c]) for c in columns) + "\n" for row in rows)


SERIAL = [0]


@schemathesis.hook
def map_case(ctx, case):
    """An import's body, when the generated one is valid text, becomes a file
    that imports (a negative case keeps its invalid body)."""
    match = re.fullmatch(r"/api/v1/import/(cities|twinnings|events)", case.operation.path)
    if match is None or not isinstance(case.body, str) or not case.body:
        return case
    SERIAL[0] += 1
    jsonl = (case.query or {}).get("format") == "jsonl"
    case.body = _import_file(match.group(1), jsonl, SERIAL[0])
    return case
