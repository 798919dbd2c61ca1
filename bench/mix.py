"""Draws the realistic mix of bench/run from the data: 20,000 distinct paths
over the cities that have twinnings (30% a city, 25% its twinnings, 15% its
events, 20% a name prefix of 2-5 letters, 10% a month of anniversaries),
seeded. Writes paths.txt (the registry), datasette.txt (the part Datasette can
answer, the same draws) and twinnings.txt (id and a city, for the writes).

    python3 bench/mix.py DATABASE_URL_OR_FILE OUT_DIR
"""
import calendar
import random
import sqlite3
import subprocess
import sys
import urllib.parse

source, out = sys.argv[1], sys.argv[2]


def rows(sql):
    if source.startswith("postgres"):
        text = subprocess.run(["psql", source, "-AtF", "\t", "-c", sql], check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in text.splitlines() if line]
    return [[str(v) for v in row] for row in sqlite3.connect(source).execute(sql)]


cities = rows(
    "SELECT id, name FROM cities WHERE id IN "
    "(SELECT city_low_id FROM twinnings UNION SELECT city_high_id FROM twinnings) ORDER BY id"
)
twinnings = rows("SELECT id, city_low_id FROM twinnings ORDER BY id")
random.seed(42)
paths, datasette, seen = [], [], set()
while len(paths) < 20000:
    city, name = random.choice(cities)
    roll = random.random()
    if roll < 0.30:
        path, other = f"/api/v1/cities/{city}", f"/bench/cities/{city}.json?_nofacet=1"
    elif roll < 0.55:
        path, other = f"/api/v1/cities/{city}/twinnings", f"/bench/city_twinnings.json?id={city}"
    elif roll < 0.70:
        path, other = f"/api/v1/cities/{city}/events", f"/bench/city_events.json?id={city}"
    elif roll < 0.90:
        letters = [c for c in name if c.isalpha()]
        if len(letters) < 2:
            continue
        prefix = "".join(letters[: random.randint(2, 5)])
        path = "/api/v1/cities?q=" + urllib.parse.quote(prefix.lower())
        # Full-text search on names (FTS5, built by bench/run), prefix query.
        other = "/bench/cities.json?_size=50&_sort_desc=population&_nocount=1&_nofacet=1&_searchmode=raw&_search=" + urllib.parse.quote(prefix + "*")
    else:
        year, month = random.randint(2025, 2028), random.randint(1, 12)
        last = calendar.monthrange(year, month)[1]
        path, other = f"/api/v1/anniversaries?from={year}-{month:02}-01&to={year}-{month:02}-{last}", None
    if path in seen:
        continue
    seen.add(path)
    paths.append(path)
    if other:
        datasette.append(other)
random.shuffle(paths)
with open(f"{out}/paths.txt", "w") as f:
    f.write("\n".join(paths) + "\n")
with open(f"{out}/datasette.txt", "w") as f:
    f.write("\n".join(datasette) + "\n")
with open(f"{out}/twinnings.txt", "w") as f:
    f.write("\n".join(f"{t} {c}" for t, c in random.sample(twinnings, min(500, len(twinnings)))) + "\n")
print(f"mix: {len(paths)} paths over {len(cities)} cities with twinnings; {len(datasette)} Datasette can answer")
