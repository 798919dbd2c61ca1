"""Checks an anniversary feed as a calendar app would read it: it parses with
the `icalendar` package, every line ends in CRLF and fits 75 octets, and every
VEVENT is a whole-day event (DTSTART before DTEND) with a UID of its own, a
DTSTAMP and an absolute http(s) URL under the expected base.

    check_ics.py FEED_FILE BASE_URL MIN_EVENTS
"""

import datetime
import sys

import icalendar


def problems(raw, base, min_events):
    found = []
    lines = raw.split(b"\r\n")
    if lines[-1] != b"":
        found.append("the feed does not end in CRLF")
    for number, line in enumerate(lines[:-1], start=1):
        if b"\n" in line or b"\r" in line:
            found.append(f"line {number} has a bare CR or LF")
        if len(line) > 75:
            found.append(f"line {number} is {len(line)} octets long: {line[:40]!r}…")

    calendar = icalendar.Calendar.from_ical(raw)
    for name in ("VERSION", "PRODID"):
        if name not in calendar:
            found.append(f"the calendar has no {name}")
    events = calendar.walk("VEVENT")
    if len(events) < min_events:
        found.append(f"{len(events)} events, fewer than the {min_events} expected")
    uids = set()
    for event in events:
        uid = str(event.get("UID", ""))
        where = uid or str(event.get("SUMMARY"))
        if not uid:
            found.append(f"{where}: no UID")
        elif uid in uids:
            found.append(f"{where}: the UID is not unique")
        uids.add(uid)
        if not isinstance(event.decoded("DTSTAMP", None), datetime.datetime):
            found.append(f"{where}: no DTSTAMP date-time")
        start, end = event.decoded("DTSTART", None), event.decoded("DTEND", None)
        if not all(
            isinstance(d, datetime.date) and not isinstance(d, datetime.datetime)
            for d in (start, end)
        ):
            found.append(f"{where}: DTSTART {start!r} and DTEND {end!r} are not both dates")
        elif not start < end:
            found.append(f"{where}: DTEND {end} is not after DTSTART {start}")
        url = str(event.get("URL", ""))
        if not url.startswith(("http://", "https://")) or not url.startswith(base + "/"):
            found.append(f"{where}: URL {url!r} is not absolute under {base}")
    return len(events), found


def main():
    path, base, min_events = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(path, "rb") as feed:
        raw = feed.read()
    count, found = problems(raw, base, min_events)
    for problem in found:
        print(f"ics: {problem}", file=sys.stderr)
    if found:
        sys.exit(1)
    print(f"ics: {count} events parse (icalendar {icalendar.__version__}); each ends after it starts and has a UID, a DTSTAMP and a URL under {base}")


if __name__ == "__main__":
    main()
