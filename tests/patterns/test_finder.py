"""Each kind of pattern is found on arrival, and each near miss is not (docs/patterns.md)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.cases.intake import log_context_referral, refer_child
from engine.errors import InvalidSetting
from engine.patterns.rules import parse_rules
from engine.patterns.sweep import recompute_patterns
from engine.store.models import AuditEvent
from engine.store.patterns import Pattern, PatternCheck
from tests.support.case_data import context_referral, deploy_routes, team
from tests.support.pattern_data import BUS_STATION, kid


@pytest.fixture
def routes(lite):
    deploy_routes(lite)
    team(lite)
    return lite


def _patterns(svc):
    with svc.db.read() as session:
        return session.execute(select(Pattern.kind, Pattern.label, Pattern.children, Pattern.status)).all()


def _near(place: dict, metres_north: float) -> dict:
    return {**place, "postcode": "", "latitude": round(place["latitude"] + metres_north / 111_320.0, 6)}


KINDS = [
    ("place", [dict(places=[BUS_STATION])] * 3, "Northgate bus station"),
    ("place", [dict(places=[_near(BUS_STATION, m)]) for m in (0, 120, 200)], "Northgate bus station"),
    ("place", [dict(places=[{"name": n, "uprn": "100012345678"}]) for n in ("Flat 2", "Top flat", "2 Hill Rd")],
     "Flat 2"),
    ("school", [dict(urn="123456")] * 3, "Northgate Academy"),
    ("school", [dict(urn="123456", harm=h) for h in (("EFH-CCE",), ("EFH-CSE", "EFH-CCE"), ("EFH-MIS", "EFH-CCE"))],
     "Northgate Academy"),
    ("platform", [dict(platforms=p) for p in ("Snapchat (@Northgate_Deals)", "snap: northgate_deals, TikTok",
                                              "SNAPCHAT @Northgate_Deals")], "snapchat northgate_deals"),
    ("associate", [dict(associates=[{"name": n, "approx_age": a}])
                   for n, a in (("Jayden Smith", 17), ("Jaiden Smyth", 18), ("jayden smith", 17))], "Jayden Smith"),
]


@pytest.mark.parametrize("kind, referrals, label", KINDS, ids=[k[0] + str(i) for i, k in enumerate(KINDS)])
def test_the_third_child_sharing_a_feature_makes_a_pattern_on_arrival(routes, clock, kind, referrals, label):
    first = refer_child(routes, kid(1, **referrals[0]), "fd")
    clock.advance(days=20)
    second = refer_child(routes, kid(2, **referrals[1]), "fd")
    assert first.patterns == second.patterns == [] and _patterns(routes) == []
    clock.advance(days=30)
    third = refer_child(routes, kid(3, **referrals[2]), "fd")
    assert len(third.patterns) == 1
    assert _patterns(routes) == [(kind, label, 3, "open")]


NEAR_MISSES = [
    ("same street 2 km apart", [dict(places=[{**BUS_STATION, "postcode": pc, "latitude": BUS_STATION["latitude"] + d}])
                                for pc, d in (("ZZ3 4BS", 0), ("ZZ3 9AA", 0.018), ("ZZ3 4BS", 0))]),
    ("a name only", [dict(places=[{"name": "High Street"}])] * 3),
    ("same name, different ages", [dict(associates=[{"name": "Jayden Smith", "approx_age": a}]) for a in (12, 17, 23)]),
    ("different people", [dict(associates=[{"name": n, "approx_age": 16}]) for n in ("Sam Lee", "Tom Lee", "Sam Lee")]),
    ("same school, no harm outside the home", [dict(urn="123456", harm=())] * 3),
    ("same school, a different harm each", [dict(urn="123456", harm=(h,)) for h in ("EFH-CCE", "EFH-CSE", "EFH-ONL")]),
    ("same school, a shared harm that is not outside the home",
     [dict(urn="123456", harm=("EFH-OTH", h)) for h in ("EFH-CCE", "EFH-CSE", "EFH-ONL")]),
    ("the same app, no shared space", [dict(platforms=p) for p in ("Snapchat", "Snapchat @a_b", "Snapchat @c_d")]),
]


@pytest.mark.parametrize("why, referrals", NEAR_MISSES, ids=[n[0] for n in NEAR_MISSES])
def test_near_misses_make_no_pattern(routes, clock, why, referrals):
    for n, shape in enumerate(referrals):
        assert refer_child(routes, kid(n, **shape), "fd").patterns == []
        clock.advance(days=10)
    assert _patterns(routes) == []


def test_the_same_child_three_times_is_not_a_pattern(routes, clock):
    first = refer_child(routes, kid(1, places=[BUS_STATION]), "fd")
    for _ in range(2):
        clock.advance(days=5)
        assert refer_child(routes, kid(1, places=[BUS_STATION]), "fd", add_to_case=first.case_ref).patterns == []
    assert _patterns(routes) == []


def test_referrals_outside_the_window_do_not_count(routes, clock):
    refer_child(routes, kid(1, places=[BUS_STATION]), "fd")
    clock.advance(days=91)
    refer_child(routes, kid(2, places=[BUS_STATION]), "fd")
    clock.advance(days=1)
    assert refer_child(routes, kid(3, places=[BUS_STATION]), "fd").patterns == []
    clock.advance(days=1)
    assert len(refer_child(routes, kid(4, places=[BUS_STATION]), "fd").patterns) == 1


def test_a_fourth_referral_and_a_context_referral_join_the_pattern(routes, clock):
    ids = [refer_child(routes, kid(n, places=[BUS_STATION]), "fd").patterns for n in range(3)]
    fourth = refer_child(routes, kid(4, places=[BUS_STATION]), "fd")
    place = context_referral(context_name="Bus station", location={"postcode": "ZZ3 4BS", "uprn": ""})
    context = log_context_referral(routes, place, "fd")
    assert fourth.patterns == context.patterns == ids[2]
    assert _patterns(routes) == [("place", "Northgate bus station", 4, "open")]
    with routes.db.read() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "pattern")).all()
        assert actions == ["pattern_found", "pattern_joined", "pattern_joined"]
        assert session.scalars(select(PatternCheck.status)).all() == ["checked"] * 5


def test_a_protected_home_postcode_is_never_a_place(routes):
    for n in range(3):
        home = {"postcode": "ZZ3 4BS", "protected_address": True}
        data = kid(n, places=[{"name": "Home", "postcode": "ZZ3 4BS"}])
        data["child"].update(home)
        assert refer_child(routes, data, "fd").patterns == []
    assert _patterns(routes) == []


def test_the_recompute_keeps_the_school_rule(routes, clock):
    for n, harm in enumerate(("EFH-CCE", "EFH-CSE", "EFH-ONL")):  # one school, no harm in common
        assert refer_child(routes, kid(n, urn="123456", harm=(harm,)), "fd").patterns == []
        clock.advance(days=5)
    for n, harm in enumerate([("EFH-CSE",), ("EFH-MIS", "EFH-CSE"), ("EFH-CSE",)], start=3):
        refer_child(routes, kid(n, urn="654321", harm=harm), "fd")
        clock.advance(days=5)
    found = _patterns(routes)
    assert found == [("school", "Northgate Academy", 3, "open")]
    assert recompute_patterns(routes, "fd") == {"school": 1}
    assert _patterns(routes) == found


def test_same_harm_is_a_rule_of_each_kind(tmp_path):
    rules = parse_rules("[patterns.place]\nsame_harm = true\n", tmp_path / "patterns.toml")
    assert rules.of("place").same_harm and not rules.of("platform").same_harm
    with pytest.raises(InvalidSetting, match="same_harm must be true or false, not 1"):
        parse_rules("[patterns]\nsame_harm = 1\n", tmp_path / "patterns.toml")
