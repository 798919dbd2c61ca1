"""A stricter positive-data check for .ci/run.

schemathesis' `positive_data_acceptance` accepts a refusal of schema-valid data
only by status. Ours names the rule: a request that matches the document may be
refused only by a rule in REFUSALS, which no JSON Schema can state (it depends
on what is stored, on today's date, on another field's value from a registry,
or on the grammar of an uploaded file). Any other 400, 412 or 422 to positive
data fails the run, naming the field and the message.
"""

import json
import pathlib
import re

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
    (r"(PATCH|DELETE) .*", 412, "precondition_failed", None, None),
    # State: ids in a body must name stored cities and events.
    (r"POST /api/v1/(twinnings|tokens)", 422, "validation_failed", r"city_ids\[\d+\]", r"there is no city with id -?\d+"),
    (EVENT, 422, "validation_failed", r"from_city_id", r"must be one of the twinning's cities .*"),
    (EVENT, 422, "validation_failed", r"in_reply_to", r"there is no event with id -?\d+|event \d+ belongs to another twinning .*|event \d+ comes from the same city.*"),
    # State: a patch is checked with the stored record it changes: an event's
    # status moves along its life cycle, a twinning's status agrees with its
    # dates, a coordinate needs the other one.
    (r"PATCH /api/v1/events/\{id\}", 422, "validation_failed", r"status", r"cannot go from .*|a (completed|cancelled) event cannot change its status"),
    (r"PATCH /api/v1/twinnings/\{id\}", 422, "validation_failed", r"status", r"an `ended` date means the status is `ended`|`status_since` and `status_reason` describe the status: send `status` with them"),
    (r"PATCH /api/v1/cities/\{id\}", 422, "validation_failed", r"latitude|longitude", r"is required when (latitude|longitude) is given"),
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
    # Between two parameters: a calendar window ends after it starts and spans
    # a bounded number of years.
    (r"GET /api/v1/anniversaries(\.ics)?", 400, "invalid_parameter", r"to", r"must not be before `.*`|the window may span at most \d+ years"),
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


@schemathesis.check
def refusals_are_documented_rules(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 412, 422) or not _body_conforms(case):
        return None
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    if not isinstance(problem, dict) or not _explained(case.operation.label, response.status_code, problem):
        raise AssertionError(
            f"Schema-valid request refused by a rule the document could state\n"
            f"status {response.status_code}: {response.text[:500]}"
        )
    return None
