"""Pattern finder benchmark: quality and speed on a seeded fictional population of referrals.

Generates 100,000 referrals over three years about ~85,000 fictional children (some referred more than
once), each maybe naming a place of concern, a school URN, an online space and named associates, then
plants clusters of each kind (3 to 6 different children within the window) and near misses (the same
street name 2 km apart with different postcodes; the same associate's name at very different ages;
referrals naming the same place but further apart in time than the window). Rows are bulk-loaded; the
features go through the same extraction as the front door (engine/patterns/features.py).

Reports, per kind: recall of the planted clusters, precision (found patterns that are planted clusters,
over all found patterns of that kind, so coincidences in the background count against it), patterns
made by near misses (should be none) and background coincidences, how many of those meet the rule's
definition when checked here on the generated answers (so are real patterns the planting did not
intend), and precision counting those as right; the time of a full recompute; and the
time to index and check one new referral at 100,000 (p50, p95), on SQLite and on PostgreSQL.

Usage: python bench/patterns.py [--referrals 100000] [--checks 300] [--seed 17] [--no-postgres]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from engine.bootstrap import bootstrap  # noqa: E402
from engine.cases.matching import distance_m  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.patterns.features import features_of, names_harm  # noqa: E402
from engine.patterns.finder import check_on_arrival  # noqa: E402
from engine.patterns.rules import load_rules  # noqa: E402
from engine.patterns.sweep import recompute_patterns  # noqa: E402
from engine.store.cases import Case, Child, Referral  # noqa: E402
from engine.store.patterns import Pattern, PatternCheck, PatternFeature, PatternMember  # noqa: E402
from tests.support.postgres import Cluster, find_bin_dir  # noqa: E402

START = datetime(2023, 1, 2, 9, 0, tzinfo=timezone.utc)
DAYS = 3 * 365
CENTRE = (52.60, -1.20)
HALF_SIDE_KM = 30.0  # the area is 60 km square: a county
EFH = ["EFH-CCE", "EFH-CSE", "EFH-CL", "EFH-SV", "EFH-GNG", "EFH-ONL", "EFH-MIS"]
FIRST = ["Aiden", "Bella", "Callum", "Demi", "Ellis", "Freya", "Grayson", "Harper", "Isaac", "Jade", "Kian", "Layla",
         "Mason", "Nia", "Owen", "Poppy", "Reggie", "Sienna", "Tyler", "Una", "Vinnie", "Willow", "Xander", "Zara"]
LAST = ["Ashdown", "Brook", "Carver", "Dunmore", "Elford", "Fenwick", "Garland", "Hollis", "Ingram", "Jessop",
        "Kettle", "Lomax", "Marsh", "Norcott", "Orton", "Pryce", "Quill", "Rudd", "Stroud", "Tulley"]
VARIANTS = {"Jayden": "Jaiden", "Smith": "Smyth", "Kyle": "Kile", "Tyler": "Tylor", "Connor": "Conor",
            "Mohammed": "Muhammad", "Leighton": "Layton", "Reece": "Rhys"}
SYLLABLES = ["bar", "cot", "dun", "fen", "gar", "hol", "kes", "lom", "mer", "nor", "pel", "quen", "ros", "sel",
             "tam", "ver", "wick", "yar", "zen", "ald", "bro", "cal", "dre", "ell", "fin", "gil", "har", "ing"]
APPS = ["Snapchat", "TikTok", "Instagram", "WhatsApp", "Discord", "Telegram"]
KINDS = ("place", "school", "platform", "associate")


@dataclass
class Planted:
    """A planted group: its kind, the referral ids in it, and whether it is a near miss."""

    kind: str
    referrals: list[int] = field(default_factory=list)
    near_miss: bool = False


def _point(rng: random.Random) -> tuple[float, float]:
    dy, dx = rng.uniform(-HALF_SIDE_KM, HALF_SIDE_KM), rng.uniform(-HALF_SIDE_KM, HALF_SIDE_KM)
    return (round(CENTRE[0] + dy / 111.32, 6),
            round(CENTRE[1] + dx / (111.32 * math.cos(math.radians(CENTRE[0]))), 6))


def surname(rng: random.Random) -> str:
    """A made-up surname of three syllables (21,952 of them), so the background's names rarely meet."""
    return "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()


def misspelt(name: str) -> str:
    """A spelling variant as referrers write them: a vowel swapped for y, or a letter doubled."""
    for vowel in "ie":
        if vowel in name[1:]:
            return name[0] + name[1:].replace(vowel, "y", 1)
    return name + name[-1]


def _near(point: tuple[float, float], metres: float, rng: random.Random) -> tuple[float, float]:
    angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(0, metres)
    return (round(point[0] + dist * math.cos(angle) / 111_320, 6),
            round(point[1] + dist * math.sin(angle) / (111_320 * math.cos(math.radians(point[0]))), 6))


class Population:
    """The generated referrals: (child id, received, harm codes, answers), and the planted groups."""

    def __init__(self, total: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rows: list[tuple[int, int, datetime, list[str], dict]] = []  # tag, child, received, harms, answers
        self.planted: list[Planted] = []
        self.next_child = 1
        self._postcodes = 0
        planted = self._plant(total)
        for _ in range(total - planted):
            self._background()
        self.rows.sort(key=lambda r: r[2])

    def _child(self) -> int:
        self.next_child += 1
        return self.next_child

    def _postcode(self) -> str:
        self._postcodes += 1
        n = self._postcodes
        return f"ZB{n // 1000 % 100} {n % 10}{chr(65 + n // 10 % 26)}{chr(65 + n // 260 % 26)}"

    def _when(self, base: float | None = None, spread: float = 60) -> datetime:
        day = self.rng.uniform(0, DAYS) if base is None else min(DAYS, max(0, base + self.rng.uniform(0, spread)))
        return START + timedelta(days=day)

    def _background(self) -> None:
        rng = self.rng
        child = self._child() if rng.random() > 0.15 or self.next_child < 10 else rng.randint(2, self.next_child)
        harms = [rng.choice(EFH)] if rng.random() < 0.35 else []
        data: dict = {"child": {}, "places_of_concern": [], "associates": []}
        if rng.random() < 0.2:
            lat, lon = _point(rng)
            data["places_of_concern"].append({"name": "Place", "postcode": self._postcode(), "latitude": lat,
                                              "longitude": lon})
        if rng.random() < 0.25:
            data["child"]["school_urn"] = str(100000 + rng.randint(0, 1199))
        if rng.random() < 0.1:
            handle = f"{rng.choice(APPS)} @bg_{rng.randint(0, 10**9)}" if rng.random() < 0.5 else rng.choice(APPS)
            data["contextual"] = {"online_platforms": handle}
        for _ in range(rng.choice((0, 0, 0, 1, 2))):
            name = f"{rng.choice(FIRST)} {surname(rng)}"
            data["associates"].append({"name": name, "approx_age": rng.randint(13, 25)})
        self.rows.append((len(self.rows), child, self._when(), harms, data))

    def _plant(self, total: int) -> int:
        """About 1% of referrals in planted groups: 40 clusters of each kind and 30 near misses of each."""
        count = 0
        for kind in KINDS:
            for n in range(40):
                count += self._cluster(kind, n, self.rng.randint(3, 6))
        count += self._near_misses()
        return count

    def _cluster(self, kind: str, n: int, size: int) -> int:
        rng, group = self.rng, Planted(kind)
        base = rng.uniform(0, DAYS - 80)
        place = _point(rng)
        postcode = self._postcode()
        first, last = rng.choice(list(VARIANTS)), surname(rng)
        for i in range(size):
            data: dict = {"child": {}, "places_of_concern": [], "associates": []}
            if kind == "place":  # within 150 m, or the same postcode without a point
                lat, lon = _near(place, 150, rng)
                data["places_of_concern"].append({"name": f"Station {n}", "postcode": postcode if i % 2 else "",
                                                  "latitude": lat, "longitude": lon})
            elif kind == "school":
                data["child"]["school_urn"] = str(200000 + n)
            elif kind == "platform":
                data["contextual"] = {"online_platforms": f"{rng.choice(['Snapchat', 'snap'])} @cluster_{n}"}
            else:  # the same person, sometimes spelt differently, ages given within a year
                f = VARIANTS[first] if i % 2 else first
                family = misspelt(last) if i % 3 == 1 else last
                data["associates"].append({"name": f"{f} {family}", "approx_age": 17 + rng.choice((0, 0, 1))})
            group.referrals.append(len(self.rows))
            self.rows.append((len(self.rows), self._child(), self._when(base, 60), ["EFH-CCE"], data))
        self.planted.append(group)
        return size

    def _near_misses(self) -> int:
        rng, count = self.rng, 0
        for n in range(30):
            # the same street name 2 km apart, different postcodes, in the same weeks
            base, point = rng.uniform(0, DAYS - 80), _point(rng)
            group = Planted("place", near_miss=True)
            for i in range(3):
                spot = (round(point[0] + i * 2.0 / 111.32, 6), point[1])
                data = {"child": {}, "places_of_concern": [{"name": "High Street", "postcode": self._postcode(),
                                                            "latitude": spot[0], "longitude": spot[1]}],
                        "associates": []}
                group.referrals.append(len(self.rows))
                self.rows.append((len(self.rows), self._child(), self._when(base, 30), ["EFH-CCE"], data))
            self.planted.append(group)
            # the same associate's name at very different ages
            base, group = rng.uniform(0, DAYS - 80), Planted("associate", near_miss=True)
            same_name = f"Jordan {surname(rng)}"
            for age in (12, 17, 23):
                data = {"child": {}, "places_of_concern": [], "associates": [{"name": same_name,
                                                                              "approx_age": age}]}
                group.referrals.append(len(self.rows))
                self.rows.append((len(self.rows), self._child(), self._when(base, 30), ["EFH-CCE"], data))
            self.planted.append(group)
            # the same place, but each referral 100 days after the last
            base, point, group = rng.uniform(0, DAYS - 220), _point(rng), Planted("place", near_miss=True)
            for i in range(3):
                data = {"child": {}, "places_of_concern": [{"name": f"Underpass {n}", "postcode": "",
                                                            "latitude": point[0], "longitude": point[1]}],
                        "associates": []}
                group.referrals.append(len(self.rows))
                self.rows.append((len(self.rows), self._child(), START + timedelta(days=base + 100 * i), ["EFH-CCE"],
                                  data))
            self.planted.append(group)
            count += 9
        return count


def _chunks(session, table, rows: list[dict], size: int = 5000) -> None:
    for start in range(0, len(rows), size):
        session.execute(insert(table.__table__), rows[start:start + size])


def load(svc, population: Population) -> dict[int, int]:
    """Bulk-load cases, children, referrals and their features; returns tag -> referral id."""
    rules = load_rules(svc.settings.patterns_path)
    first: dict[int, datetime] = {}
    for _tag, child, at, _h, _d in population.rows:
        first.setdefault(child, at)
    cases = [{"id": c, "ref": f"CH-{c:06d}", "subject_type": "child", "status": "open", "opened_at": at,
              "created_by": "bench"} for c, at in first.items()]
    children = [{"case_id": c, "first_name": FIRST[c % len(FIRST)], "last_name": f"Bench{c}", "address": "",
                 "school": "", "protected_address": False} for c in first]
    referrals, features, tags = [], [], {}
    for n, (tag, child, at, harms, data) in enumerate(population.rows, start=1):
        tags[tag] = n
        referrals.append({"id": n, "case_id": child, "received_at": at, "harm_types": harms, "created_by": "bench"})
        features += [{"referral_id": n, "case_id": child, "subject_type": "child", "at": at, "efh": names_harm(harms),
                      **f.__dict__} for f in features_of("child", data, rules)]
    with svc.db.transaction() as session:
        _chunks(session, Case, cases)
        _chunks(session, Child, children)
        _chunks(session, Referral, referrals)
        _chunks(session, PatternFeature, features)
        if not svc.db.is_sqlite:  # the ids were given, so move the sequences past them
            for table in ("cases", "referrals"):
                session.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
            session.execute(text("ANALYZE"))
    return tags


def _linked(kind: str, a: tuple, b: tuple) -> bool:
    """The rule's definition, written out here on the generated answers (not the finder's code): two
    referrals about different children within 90 days sharing the place (same postcode or within 250 m)
    or the school (the same URN and a type of harm in common)."""
    (_t, child_a, at_a, harms_a, data_a), (_u, child_b, at_b, harms_b, data_b) = a, b
    if child_a == child_b or abs(at_a - at_b) > timedelta(days=90):
        return False
    if kind == "school":
        urn = data_a["child"].get("school_urn")
        return urn is not None and urn == data_b["child"].get("school_urn") and bool(set(harms_a) & set(harms_b))
    for p in data_a["places_of_concern"]:
        for q in data_b["places_of_concern"]:
            if (p["postcode"] and p["postcode"] == q["postcode"]) or distance_m(
                    p["latitude"], p["longitude"], q["latitude"], q["longitude"]) <= 250:
                return True
    return False


def meets_rule(kind: str, rows: list[tuple]) -> bool:
    """True when a found group is itself a pattern by the definition: three or more different children,
    each linked to another member (a background coincidence the finder was right to find)."""
    if kind not in ("place", "school") or len({r[1] for r in rows}) < 3:
        return False
    return all(any(_linked(kind, r, s) for s in rows if s is not r) for r in rows)


def evaluate(svc, population: Population, tags: dict[int, int]) -> dict[str, dict[str, float]]:
    """Recall, precision, near-miss and background patterns per kind (see the module docstring)."""
    with svc.db.read() as session:
        rows = session.execute(select(Pattern.id, Pattern.kind, PatternMember.referral_id)
                               .join(PatternMember, PatternMember.pattern_id == Pattern.id)).all()
    members: dict[int, set[int]] = defaultdict(set)
    kinds: dict[int, str] = {}
    for pattern_id, kind, referral_id in rows:
        members[pattern_id].add(referral_id)
        kinds[pattern_id] = kind
    groups = [(g, {tags[t] for t in g.referrals}) for g in population.planted]
    row_of = {tags[row[0]]: row for row in population.rows}
    out = {}
    for kind in KINDS:
        mine = {p for p in members if kinds[p] == kind}
        planted = [(g, ids) for g, ids in groups if g.kind == kind and not g.near_miss]
        misses = [(g, ids) for g, ids in groups if g.kind == kind and g.near_miss]
        true = {p for p in mine if any(len(members[p] & ids) >= 3 for _g, ids in planted)}
        near = {p for p in mine - true if any(len(members[p] & ids) >= 2 for _g, ids in misses)}
        found = sum(1 for _g, ids in planted if any(len(members[p] & ids) >= 3 for p in mine))
        real = {p for p in mine - true - near if meets_rule(kind, [row_of[r] for r in members[p]])}
        out[kind] = {"planted": len(planted), "found": found, "recall": found / len(planted) if planted else 1.0,
                     "patterns": len(mine), "precision": len(true) / len(mine) if mine else 1.0,
                     "near_miss_patterns": len(near), "background": len(mine) - len(true) - len(near),
                     "background_real": len(real),
                     "precision_rule": (len(true) + len(real)) / len(mine) if mine else 1.0}
    return out


def time_checks(svc, population: Population, count: int) -> tuple[list[float], list[float]]:
    """Index and check ``count`` new referrals, one transaction each; the check's wall and CPU milliseconds
    (this process's CPU: on a shared, loaded machine the wall time mostly measures the others)."""
    rng, rules, took, cpu = random.Random(99), load_rules(svc.settings.patterns_path), [], []
    last = max(r[2] for r in population.rows)
    for n in range(count):
        data = {"child": {"school_urn": str(100000 + rng.randint(0, 1199))},
                "places_of_concern": [{"name": "Place", "postcode": f"ZC{n} 1AA", "latitude": _point(rng)[0],
                                       "longitude": _point(rng)[1]}],
                "associates": [{"name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "approx_age": 16}],
                "contextual": {"online_platforms": f"Snapchat @check_{n % 7}"}}
        at = last + timedelta(minutes=n)
        with svc.db.transaction() as session:
            case = Case(ref=f"NB-{n:06d}", subject_type="child", status="open", opened_at=at, created_by="bench")
            session.add(case)
            session.flush()
            session.add(Child(case_id=case.id, first_name="New", last_name=f"Bench{n}", address="", school=""))
            referral = Referral(case_id=case.id, received_at=at, harm_types=["EFH-CCE"], created_by="bench")
            session.add(referral)
            session.flush()
            started, cpu_started = time.perf_counter(), time.process_time()
            check_on_arrival(session, referral, case, data, rules, "bench", at)
            took.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
    return took, cpu


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def measure(db: str, url: str, population: Population, checks: int) -> tuple[list[str], dict]:
    """Load, recompute (timed), evaluate, then time single checks; Markdown rows and the quality table."""
    svc = bootstrap(settings=Settings.from_env({}), database_url=url)
    try:
        svc.db.upgrade()
        started = time.perf_counter()
        tags = load(svc, population)
        loaded = time.perf_counter() - started
        print(f"{db}: loaded in {loaded:.1f} s", file=sys.stderr, flush=True)
        started, cpu_started = time.perf_counter(), time.process_time()
        recompute_patterns(svc, "bench")
        recomputed, recompute_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        print(f"{db}: recomputed in {recomputed:.1f} s", file=sys.stderr, flush=True)
        quality = evaluate(svc, population, tags)
        took, cpu = time_checks(svc, population, checks)
        with svc.db.read() as session:
            features = session.scalar(select(text("count(*)")).select_from(PatternFeature))
            pending = session.scalar(select(text("count(*)")).select_from(PatternCheck))
        load_now = os.getloadavg()[0]
        rows = [f"| {db} | {len(population.rows):,} | {features:,} | {recomputed:.1f} ({recompute_cpu:.1f}) | "
                f"{statistics.median(took):.1f} ({statistics.median(cpu):.1f}) | {_p(took, 95):.1f} "
                f"({_p(cpu, 95):.1f}) | {max(took):.1f} | {load_now:.1f} |"]
        del pending
        return rows, quality
    finally:
        svc.db.dispose()


def _postgres(population: Population, checks: int) -> tuple[list[str], dict]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        return ["| PostgreSQL | not installed here | | | | | | |"], {}
    cluster = Cluster(bin_dir)
    admin_url = cluster.start()
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE bench_patterns"))
        admin.dispose()
        return measure("PostgreSQL", admin_url.rsplit("/", 1)[0] + "/bench_patterns", population, checks)
    finally:
        cluster.stop()


def main() -> None:
    """Run the benchmark and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=300, help="new referrals checked one by one")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    population = Population(args.referrals, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        rows, quality = measure("SQLite (WAL)", f"sqlite:///{folder}/bench.db", population, args.checks)
    print("\n".join(rows), flush=True)  # as soon as it is known: the PostgreSQL run takes as long again
    if not args.no_postgres:
        more, pg_quality = _postgres(population, args.checks)
        rows += more
        print("\n".join(more), flush=True)
        assert not pg_quality or pg_quality == quality, "the two databases found different patterns"
    print(f"Pattern finder quality: {len(population.rows):,} referrals over three years, seed {args.seed}\n")
    print("| kind | planted | found | recall | patterns | precision | near-miss patterns | background "
          "| of which real | precision by the rule |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind, q in quality.items():
        print(f"| {kind} | {q['planted']} | {q['found']} | {q['recall']:.2f} | {q['patterns']} | "
              f"{q['precision']:.2f} | {q['near_miss_patterns']} | {q['background']} | {q['background_real']} | "
              f"{q['precision_rule']:.2f} |")
    print(f"\nSpeed: load, full recompute, and indexing plus checking one new referral ({args.checks} in a row)\n")
    print("Wall time, and in brackets this process's CPU time; the machine's load average when measured.\n")
    print("| database | referrals | features | recompute s | check p50 ms | check p95 ms | max ms | load |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
