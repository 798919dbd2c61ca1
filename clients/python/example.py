"""Exercises the Python client generated from openapi/openapi.json (by
openapi-python-client, default settings) against a server with the demo data:
search, a city's twinnings, timelines, anniversaries, the change feed,
creating an event, and a 422 read back as a `Problem`.

Usage: example.py BASE_URL ADMIN_TOKEN
"""

import sys

from twinning_registry_client import AuthenticatedClient, Client
from twinning_registry_client.api.anniversaries import list_anniversaries
from twinning_registry_client.api.changes import list_changes
from twinning_registry_client.api.cities import list_cities
from twinning_registry_client.api.events import city_events, create_event, twinning_events
from twinning_registry_client.api.twinnings import list_city_twinnings
from twinning_registry_client.models import (
    CityPage,
    ChangePage,
    Event,
    EventKind,
    EventStatus,
    NewEvent,
    Problem,
)

base, token = sys.argv[1], sys.argv[2]
public = Client(base_url=base)
admin = AuthenticatedClient(base_url=base, token=token)


def check(condition, what):
    if not condition:
        sys.exit(f"python client: FAILED: {what}")
    print(f"python client: {what}")


page = list_cities.sync(client=public, q="Новосиб")
check(isinstance(page, CityPage) and page.items[0].name == "Novosibirsk", "search in Cyrillic finds Novosibirsk")
novosibirsk = page.items[0]

partners = list_city_twinnings.sync(novosibirsk.id, client=public)
check(partners.items[0].partner.name == "Sapporo", "its twinnings name Sapporo")
twinning = partners.items[0]

timeline = city_events.sync(novosibirsk.id, client=public)
check(any(e.title == "Reply video from Novosibirsk" for e in timeline.items), "its timeline holds the reply in preparation")
exchanges = twinning_events.sync(twinning.id, client=public)
check(len(exchanges.items) >= 2, "the twinning's timeline has both greetings")

anniversaries = list_anniversaries.sync(client=public, from_="2020-01-01", to="2020-12-31", every=10)
check(sorted(a.years for a in anniversaries.items) == [30, 30], "2020 holds both 30th anniversaries")

feed = list_changes.sync(client=public, limit=5)
check(isinstance(feed, ChangePage) and len(feed.items) == 5 and feed.next_cursor, "the change feed pages with a cursor")

letter = NewEvent(kind=EventKind.LETTER, from_city_id=novosibirsk.id, title="Letter from Novosibirsk", status=EventStatus.PLANNED)
created = create_event.sync(twinning.id, client=admin, body=letter)
check(isinstance(created, Event) and created.reported_by.side.value == "admin", "an admin logs an event")

undated = NewEvent(kind=EventKind.LETTER, from_city_id=novosibirsk.id, title="Undated", status=EventStatus.COMPLETED)
problem = create_event.sync(twinning.id, client=admin, body=undated)
check(
    isinstance(problem, Problem) and problem.status == 422 and [e.field for e in problem.errors] == ["date"],
    "a completed event without a date is a 422 Problem naming `date`",
)
print("python client: OK")
