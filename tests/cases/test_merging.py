"""Merging two records opened for one child by mistake, through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from engine.bootstrap import bootstrap
from engine.cases.documents import Upload, attach_document
from engine.cases.intake import log_context_referral, refer_child
from engine.cases.links import LinkRequest, link_cases
from engine.cases.merging import compare_cases, merge_cases
from engine.cases.notes import NoteInput, add_note
from engine.cases.records import CaseMerged
from engine.cases.views import get_case
from engine.config import Settings
from engine.errors import InvalidFormData, NotPermitted
from engine.store.cases import Case, ChildContextLink, Referral
from engine.store.casework import CaseMerge, CaseNote, Document
from engine.store.clocks import Clock
from engine.store.models import AuditEvent, Instance, WorkItem
from engine.work.items import claim, complete_work_item
from tests.support.case_data import child_referral, context_referral, deploy_routes, team
from tests.support.walker import sample_answers

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TYLER = {"first_name": "Tyler", "last_name": "Example", "dob": "2012-05-06", "nhs_number": "", "upn": "",
         "postcode": "ZZ9 9ZZ", "school": "Northgate Academy"}


def _services(url, clock, tmp_path):
    svc = bootstrap(settings=Settings.from_env({"FRONTDOOR_DOCUMENTS_DIR": str(tmp_path / "docs")}), clock=clock,
                    database_url=url)
    deploy_routes(svc)
    team(svc)
    return svc


def two_records(svc):
    """Tyler referred twice: the second time as "Tylor", opened as a new case with a reason (the mistake)."""
    first = refer_child(svc, child_referral(child=TYLER), "fd").case_ref
    second = refer_child(svc, child_referral(child={**TYLER, "first_name": "Tylor"}), "fd",
                         new_reason="Thought to be a different boy").case_ref
    return first, second


@pytest.fixture
def merge(db_url, clock, tmp_path):
    svc = _services(db_url, clock, tmp_path)
    yield svc
    svc.db.dispose()


@pytest.fixture
def merge_lite(sqlite_url, clock, tmp_path):
    svc = _services(sqlite_url, clock, tmp_path)
    yield svc
    svc.db.dispose()


def snapshot(svc) -> dict:
    """Everything a merge could change, to show a refused merge changed nothing."""
    with svc.db.read() as session:
        return {"cases": [(c.ref, c.status, c.merged_into) for c in session.scalars(select(Case).order_by(Case.id))],
                "referrals": sorted(session.execute(select(Referral.id, Referral.case_id)).all()),
                "items": sorted(session.execute(select(WorkItem.id, WorkItem.case_ref)).all()),
                "instances": sorted(session.execute(select(Instance.id, Instance.case_ref)).all()),
                "merges": session.scalars(select(CaseMerge.id)).all()}


def test_everything_on_the_duplicate_moves_and_its_reference_leads_to_the_kept_case(merge):
    svc = merge
    kept, duplicate = two_records(svc)
    context = log_context_referral(svc, context_referral(), "fd").case_ref
    link_cases(svc, duplicate, LinkRequest(context, "at_risk_at", "Seen at the park"), "fd")
    note = add_note(svc, duplicate, NoteInput("phone_call", "School rang about Tylor.", "School"), "fd")
    attach_document(svc, duplicate, Upload("minutes.pdf", PDF), "fd")
    compared = compare_cases(svc, kept, duplicate, "mgr")
    assert compared.agreed == ["First name (spelt differently)", "Surname", "Date of birth", "Postcode", "School"]

    done = merge_cases(svc, kept, duplicate, "Same boy: the school confirmed his date of birth", "mgr")

    assert done.moved["referrals"] == 1 and done.moved["notes"] == 1 and done.moved["documents"] == 1
    assert done.moved["links"] == 1 and done.moved["routes"] == 1 and done.moved["tasks"] >= 1
    with svc.db.read() as session:
        ids = dict(session.execute(select(Case.ref, Case.id)).all())
        children = [ids[kept], ids[duplicate]]
        assert {r for (r,) in session.execute(select(Referral.case_id).where(Referral.case_id.in_(children)))} \
            == {ids[kept]}
        assert session.scalar(select(CaseNote.case_id).where(CaseNote.note_key == note["id"])) == ids[kept]
        assert session.scalar(select(Document.case_id)) == ids[kept]
        assert session.scalar(select(ChildContextLink.child_case_id)) == ids[kept]
        assert {r for (r,) in session.execute(select(Instance.case_ref))} >= {kept}
        assert duplicate not in {r for (r,) in session.execute(select(Instance.case_ref))}
        assert duplicate not in {r for (r,) in session.execute(select(WorkItem.case_ref))}
        assert duplicate not in {r for (r,) in session.execute(select(Clock.case_ref))}
        merged = session.scalar(select(Case).where(Case.ref == duplicate))
        assert (merged.status, merged.merged_into) == ("merged", kept)
        audits = session.execute(select(AuditEvent.subject_id, AuditEvent.details)
                                 .where(AuditEvent.action == "case_merged")).all()
    assert {s for s, _ in audits} == {kept, duplicate}
    assert all(d["reason"].startswith("Same boy") for _, d in audits)
    with pytest.raises(CaseMerged) as err:
        get_case(svc, duplicate, "fd")
    assert err.value.merged_into == kept
    view = get_case(svc, kept, "fd")
    assert view.merged_from == [duplicate] and len(view.referrals) == 2 and view.links[0]["context_ref"] == context


def test_the_moved_route_carries_on_on_the_kept_case(merge_lite):
    svc = merge_lite
    kept, duplicate = two_records(svc)
    merge_cases(svc, kept, duplicate, "One boy", "mgr")
    with svc.db.read() as session:
        item = session.scalars(select(WorkItem).where(WorkItem.case_ref == kept, WorkItem.status == "open")
                               .order_by(WorkItem.id.desc())).first()
        from engine.runtime.version_cache import load_version
        form = load_version(session, session.get(Instance, item.instance_id).version_id).form(item.form_ref)
    claim(svc, item.id, "fd")
    outcome = complete_work_item(svc, item.id, "fd", sample_answers(form.fields, {}))
    assert all(w["case_ref"] == kept for w in outcome.open_work_items)


def test_the_old_reference_is_refused_as_a_target_everywhere(merge_lite):
    svc = merge_lite
    kept, duplicate = two_records(svc)
    context = log_context_referral(svc, context_referral(), "fd").case_ref
    merge_cases(svc, kept, duplicate, "One boy", "mgr")
    with pytest.raises(InvalidFormData) as err:
        link_cases(svc, context, LinkRequest(duplicate, "at_risk_at", "Seen there"), "fd")
    assert f"use {kept}" in err.value.errors["other_ref"][0]
    with pytest.raises(CaseMerged):
        add_note(svc, duplicate, NoteInput("note", "Anything"), "fd")
    with pytest.raises(CaseMerged):
        attach_document(svc, duplicate, Upload("minutes.pdf", PDF), "fd")
    with pytest.raises(InvalidFormData) as err:
        refer_child(svc, child_referral(child=TYLER), "fd", add_to_case=duplicate)
    assert f"add to {kept}" in err.value.errors["match"][0]
    with pytest.raises(InvalidFormData) as err:
        merge_cases(svc, kept, duplicate, "Again", "mgr")
    assert "already merged" in err.value.errors["other_ref"][0]


@pytest.mark.parametrize("who, other, reason, error", [
    ("fd", "second", "One boy", NotPermitted),       # a front-door worker is not a manager
    ("sw", "second", "One boy", NotPermitted),
    ("mgr", "first", "One boy", InvalidFormData),    # the same record twice
    ("mgr", "context", "One boy", InvalidFormData),  # a child and a context
    ("mgr", "CH-999999", "One boy", InvalidFormData),
    ("mgr", "second", "  ", InvalidFormData),         # no reason
])
def test_bad_merges_say_why_and_change_nothing(merge_lite, who, other, reason, error):
    svc = merge_lite
    first, second = two_records(svc)
    context = log_context_referral(svc, context_referral(), "fd").case_ref
    before = snapshot(svc)
    named = {"first": first, "second": second, "context": context}.get(other, other)
    with pytest.raises(error) as err:
        merge_cases(svc, first, named, reason, who)
    assert err.value.message
    assert snapshot(svc) == before


def test_comparing_is_audited_on_both_records_and_a_protected_address_is_never_compared(merge_lite):
    svc = merge_lite
    first = refer_child(svc, child_referral(child={**TYLER, "address": "1 Refuge Road",
                                                   "protected_address": True}), "fd").case_ref
    second = refer_child(svc, child_referral(child={**TYLER, "address": "1 Refuge Road"}), "fd",
                         new_reason="Not sure").case_ref
    compared = compare_cases(svc, first, second, "mgr")
    address = next(f for f in compared.fields if f.label == "Address")
    assert (address.this, address.other, address.agreement) == ("Withheld: protected address",) * 2 + ("withheld",)
    with svc.db.read() as session:
        looked = session.scalars(select(AuditEvent.subject_id).where(AuditEvent.action == "case_viewed",
                                                                     AuditEvent.actor == "mgr")).all()
    assert {first, second} <= set(looked)
    merge_cases(svc, second, first, "One boy", "mgr")  # keeping the unprotected one: it becomes protected
    assert get_case(svc, second, "mgr").subject["protected_address"] is True


def test_two_managers_merging_the_same_pair_opposite_ways_at_once_leave_one_merge(merge):
    svc = merge
    first, second = two_records(svc)
    barrier, results = threading.Barrier(2), {}

    def run(kept, duplicate, who):
        barrier.wait()
        try:
            results[who] = merge_cases(svc, kept, duplicate, "One boy", who).kept_ref
        except InvalidFormData as exc:
            results[who] = exc

    from engine.people.directory import add_user
    add_user(svc, "mgr2", ["mash_manager"], "test", role="manager")
    threads = [threading.Thread(target=run, args=(first, second, "mgr")),
               threading.Thread(target=run, args=(second, first, "mgr2"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [r for r in results.values() if isinstance(r, str)]
    lost = [r for r in results.values() if isinstance(r, InvalidFormData)]
    assert len(won) == 1 and len(lost) == 1
    with svc.db.read() as session:
        merged = session.execute(select(Case.ref, Case.merged_into).where(Case.merged_into.is_not(None))).all()
        assert len(merged) == 1 and merged[0].merged_into == won[0]
        assert len(session.scalars(select(CaseMerge.id)).all()) == 1
