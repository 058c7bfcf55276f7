"""Marshmallow schemas of the API's requests and answers; the OpenAPI document is generated from them."""

from __future__ import annotations

from functools import partial

import marshmallow as ma
from flask_smorest.fields import Upload

from engine.cases.notes import NOTE_KINDS

Time = partial(ma.fields.String, allow_none=True, metadata={"format": "date-time"})
Text = partial(ma.fields.String, allow_none=True)
Object = partial(ma.fields.Dict, keys=ma.fields.String())


# "Some text besides white space", said the same way to marshmallow and to JSON Schema: the class lists
# exactly the characters Python's str.strip() removes (ECMAScript's \s is a different set).
WHITE_SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NOT_BLANK = {"pattern": f"[^{WHITE_SPACE}]"}


def not_blank(value: str) -> None:
    """Refuse text that is only white space (the engine would strip it to nothing)."""
    if value is not None and not value.strip():
        raise ma.ValidationError("Enter some text")


class Strict(ma.Schema):
    """Unknown members in a request are an error, not silently dropped.

    ``OPENAPI_EXTRA`` holds what marshmallow cannot say about the whole body (one member or another,
    never both); web/api/problems.py's spec plugin adds it to the schema's OpenAPI definition.
    """

    OPENAPI_EXTRA: dict = {}

    class Meta:
        unknown = ma.RAISE


class ReferralIn(Strict):
    """A referral: the form's answers, and what to do if it may match an open case."""

    OPENAPI_EXTRA = {"not": {"required": ["add_to_case", "new_reason"],
                             "properties": {"add_to_case": {"type": "string", "minLength": 1},
                                            "new_reason": {"type": "string"}}}}

    data = Object(required=True, metadata={"description": "answers keyed as the referral form's fields; checked "
                                                          "against the deployed referral form (422 with per-field "
                                                          "errors when they do not satisfy it)"})
    add_to_case = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=40),
                                   metadata={"description": "reference of the open case to add this to (not with "
                                                            "new_reason; empty means none)"})
    new_reason = ma.fields.String(allow_none=True, validate=[ma.validate.Length(min=1, max=2000), not_blank],
                                  metadata={"description": "why a new case although there are possible matches",
                                            **NOT_BLANK})


class WorkItem(ma.Schema):
    """An open or finished human task."""

    id = ma.fields.Integer(required=True)
    instance_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    element_id = ma.fields.String(required=True)
    process_id = ma.fields.String(required=True)
    case_ref = Text()
    form = Text()
    groups = ma.fields.List(ma.fields.String(), required=True)
    assignee = Text()
    status = ma.fields.String(required=True)
    priority = ma.fields.Integer(allow_none=True)
    due_at = Time()
    due_reason = Text()
    due_words = ma.fields.String()
    overdue = ma.fields.Boolean()
    completed_by = Text()
    completed_at = Time()


class WorkItemRead(WorkItem):
    """One work item with ``context``: what its task page shows above the form, in the record's shape."""

    context = ma.fields.List(ma.fields.Nested(lambda: RecordEntry()), required=True)


class ReferralOut(ma.Schema):
    """What a referral produced: its case, the referral and the route it started."""

    case_ref = ma.fields.String(required=True)
    referral_id = ma.fields.Integer(required=True)
    instance_id = ma.fields.Integer(required=True)
    intake_decision = ma.fields.String(required=True)
    open_work_items = ma.fields.List(ma.fields.Nested(WorkItem), required=True)
    patterns = ma.fields.List(ma.fields.Integer(), metadata={"description": "the patterns across referrals this "
                                                                            "referral joined"})


class Case(ma.Schema):
    """A case as the caller may see it (a context never names a child the caller may not open)."""

    ref = ma.fields.String(required=True)
    subject_type = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    opened_at = Time(required=True)
    closed_at = Time()
    manager = Text()
    allocated_worker = Text()
    subject = Object(required=True)
    referrals = ma.fields.List(Object())
    link_counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    links = ma.fields.List(Object())
    instances = ma.fields.List(Object())
    stage = Text(metadata={"description": "where the case is on its route (a stage the route declares)"})
    merged_into = Text(metadata={"description": "the case this one was merged into, if it was a duplicate"})
    merged_from = ma.fields.List(ma.fields.String(), metadata={
        "description": "records merged into this one (their references redirect here)"})
    clocks = ma.fields.List(ma.fields.Nested("ClockOut"))


class ClockOut(ma.Schema):
    """A statutory or local clock on the case, with its due time (working days where the timescale says so)."""

    name = ma.fields.String(required=True)
    label = ma.fields.String()
    status = ma.fields.String(required=True, metadata={"description": "running, paused, stopped or breached"})
    anchor_at = Time(required=True)
    due_at = Time(required=True)
    due_text = ma.fields.String()
    limit = ma.fields.String()
    breached_at = Time()
    exceed_reason = Text()


class RecordAnswer(ma.Schema):
    """One answer: ``value`` is words, or for ``kind`` "group" a list of answers, for "rows" a list of rows."""

    label = ma.fields.String(required=True)
    value = ma.fields.Raw(required=True, metadata={"description": "text as the page shows it, or nested answers"})
    kind = ma.fields.String(required=True, metadata={"enum": ["text", "group", "rows"]})


class RecordEntry(ma.Schema):
    """A referral or a completed task: who completed it, when, and its answers in form order."""

    kind = ma.fields.String(required=True, metadata={"enum": ["referral", "task", "subject"]})
    task = ma.fields.String(required=True)
    process = ma.fields.String(required=True)
    completed_by = Text()
    completed_at = Time()
    work_item_id = ma.fields.Integer(allow_none=True)
    instance_id = ma.fields.Integer(allow_none=True)
    sections = ma.fields.List(ma.fields.Nested(RecordAnswer), required=True)


class RecordReferral(ma.Schema):
    """One referral with the completed steps of its route, newest first (the referral itself last)."""

    title = ma.fields.String(required=True)
    received_at = Time()
    entries = ma.fields.List(ma.fields.Nested(RecordEntry), required=True)


class CaseRecord(ma.Schema):
    """A case's record as the case page shows it, need-to-know applied."""

    ref = ma.fields.String(required=True)
    subject_type = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    referrals = ma.fields.List(ma.fields.Nested(RecordReferral), required=True)


class CaseSearch(Strict):
    """Search terms: at least one of them is needed. Names tolerate spelling variants (as on the web)."""

    q = ma.fields.String(validate=ma.validate.Length(max=200), metadata={"description": "reference or name"})
    postcode = ma.fields.String(validate=ma.validate.Length(max=10))
    school_urn = ma.fields.String(validate=ma.validate.Length(max=20))
    dob = ma.fields.Date(metadata={"description": "a child's date of birth (YYYY-MM-DD)"})
    nhs_number = ma.fields.String(validate=ma.validate.Length(max=20))
    upn = ma.fields.String(validate=ma.validate.Length(max=20))
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, 200))


class LinkIn(Strict):
    """Link this case to a case of the other kind (a child to a context, or a context to a child)."""

    other_ref = ma.fields.String(required=True, validate=ma.validate.Length(max=40))
    role = ma.fields.String(required=True, validate=ma.validate.Length(max=20),
                            metadata={"description": "harmed_at, at_risk_at, associated_with or member_of"})
    reason = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=2000), not_blank],
                              metadata=NOT_BLANK)
    started_on = ma.fields.Date(allow_none=True, metadata={"description": "when the link began (default today)"})


class LinkOut(ma.Schema):
    """A link as made."""

    link_id = ma.fields.Integer(required=True)
    child_ref = ma.fields.String(required=True)
    context_ref = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    started_on = ma.fields.String(required=True)
    reason = ma.fields.String()


class LinkEndIn(Strict):
    """End a current link, with the reason and (optionally) the date it ended."""

    reason = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=2000), not_blank],
                              metadata=NOT_BLANK)
    ended_on = ma.fields.Date(allow_none=True)


class LinkEnded(ma.Schema):
    """A link as ended."""

    link_id = ma.fields.Integer(required=True)
    ended_on = ma.fields.String(required=True)
    reason = ma.fields.String(required=True)


class MergeIn(Strict):
    """Merge another record of the same child or context into this one, saying why (a manager or the CS lead)."""

    merge = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=40), not_blank],
                             metadata={"description": "the reference of the record merged into this one; "
                                       "everything on it moves here and it closes"})
    reason = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=2000), not_blank],
                              metadata=NOT_BLANK)


class MergeDone(ma.Schema):
    """What a merge did: the kept record, the merged one, what moved and which blanks were filled in."""

    kept_ref = ma.fields.String(required=True)
    merged_ref = ma.fields.String(required=True)
    moved = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    filled = ma.fields.List(ma.fields.String(), required=True)


class NoteIn(Strict):
    """A case note or contact record."""

    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(NOTE_KINDS),
                            metadata={"description": "note, phone_call, visit, meeting, email or other"})
    text = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=20_000), not_blank],
                            metadata=NOT_BLANK)
    with_whom = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    occurred_at = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "when it happened (default now)"})


class NoteOut(ma.Schema):
    """One version of a note (the current one lists the earlier versions)."""

    id = ma.fields.Integer(required=True)
    version = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    kind_words = ma.fields.String()
    text = ma.fields.String(required=True)
    with_whom = ma.fields.String()
    occurred_at = Time(required=True)
    recorded_at = Time(required=True)
    recorded_by = ma.fields.String(required=True)
    correction_reason = Text()
    superseded_at = Time()
    earlier = ma.fields.List(Object())


class DocumentIn(ma.Schema):
    """A file to attach (multipart/form-data)."""

    file = Upload(required=True)


class DocumentDescription(ma.Schema):
    """An optional description sent with the file."""

    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))


class DocumentOut(ma.Schema):
    """A document's record (its bytes are at GET .../documents/{id})."""

    id = ma.fields.Integer(required=True)
    file_name = ma.fields.String(required=True)
    content_type = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True)
    sha256 = ma.fields.String(required=True)
    description = ma.fields.String()
    scan_status = ma.fields.String(required=True, metadata={"description": "clean or not_scanned"})
    uploaded_at = Time(required=True)
    uploaded_by = ma.fields.String(required=True)
    note_id = ma.fields.Integer(allow_none=True)
    work_item_id = ma.fields.Integer(allow_none=True)
    deleted = ma.fields.Boolean()


class CaseSummary(ma.Schema):
    """One search result."""

    ref = ma.fields.String(required=True)
    subject_type = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    type = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    postcode = Text()
    stage = Text()
    dob = Text()
    why = ma.fields.List(ma.fields.String(), metadata={"description": "which search terms agreed"})


class WorkItemQuery(Strict):
    """Filters and paging of the work-item list; ordering is stable (ties broken by id)."""

    view = ma.fields.String(load_default="all", validate=ma.validate.OneOf(("all", "mine", "groups")),
                            metadata={"description": "mine: held by you; groups: your groups' unclaimed; all: both"})
    group = ma.fields.String(load_default="", validate=ma.validate.Length(max=80))
    process = ma.fields.String(load_default="", validate=ma.validate.Length(max=120))
    case = ma.fields.String(load_default="", validate=ma.validate.Length(max=40))
    due = ma.fields.String(load_default="", validate=ma.validate.OneOf(("", "soon", "overdue")))
    sort = ma.fields.String(load_default="due", validate=ma.validate.OneOf(("due", "priority", "newest")))
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(1, 100_000))
    per_page = ma.fields.Integer(load_default=25, validate=ma.validate.Range(1, 100))
    count = ma.fields.Boolean(load_default=False, metadata={
        "description": "true: also count the whole filtered list (pagination.total and pages, and a 'last' link); "
                       "counting reads every item the filter matches, so ask only when you need it"})


class Pagination(ma.Schema):
    """Where this page sits in the filtered list; the totals only when counting was asked for."""

    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    has_next = ma.fields.Boolean(required=True)
    total = ma.fields.Integer(metadata={"description": "with count=true only"})
    pages = ma.fields.Integer(metadata={"description": "with count=true only"})


class WorkItemPage(ma.Schema):
    """One page of work items."""

    items = ma.fields.List(ma.fields.Nested(WorkItem), required=True)
    pagination = ma.fields.Nested(Pagination, required=True)


class CompleteIn(Strict):
    """The answers to the work item's form (checked against the form, as on the task page)."""

    data = Object(load_default=dict, metadata={"description": "answers keyed as the task's form fields; checked "
                                                             "against that form (422 with per-field errors)"})


class ReassignIn(Strict):
    """Hand a work item to one person or one group, with a reason (audited)."""

    OPENAPI_EXTRA = {"oneOf": [{"required": ["to_user"], "properties": {"to_user": {"type": "string"}}},
                               {"required": ["to_group"], "properties": {"to_group": {"type": "string"}}}]}

    reason = ma.fields.String(required=True, validate=[ma.validate.Length(min=10, max=2000), not_blank],
                              metadata=NOT_BLANK)
    to_user = ma.fields.String(allow_none=True, validate=ma.validate.Length(min=1, max=80),
                               metadata={"description": "a person's user name (or to_group, not both)"})
    to_group = ma.fields.String(allow_none=True, validate=ma.validate.Length(min=1, max=80),
                                metadata={"description": "a group's id (or to_user, not both)"})


class ReassignManyIn(Strict):
    """Hand several work items to one person or one group at once, with one reason (audited per item)."""

    ids = ma.fields.List(ma.fields.Integer(validate=ma.validate.Range(1, 2147483647)), required=True,
                         validate=ma.validate.Length(min=1, max=500))
    reason = ma.fields.String(required=True, validate=[ma.validate.Length(min=10, max=2000), not_blank],
                              metadata=NOT_BLANK)
    to_user = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=80))
    to_group = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=80))


class AllocationIn(Strict):
    """Allocate a case to a worker (who then has need-to-know of it)."""

    case_ref = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=40))
    worker = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=80))


class Allocation(ma.Schema):
    """A case's allocated worker and manager after the change."""

    ref = ma.fields.String(required=True)
    allocated_worker = Text(required=True)
    manager = Text(required=True)


class HandoverIn(Strict):
    """Everything a person holds to a person or a group, or (neither) back to each item's groups."""

    person = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=80))
    reason = ma.fields.String(required=True, validate=[ma.validate.Length(min=10, max=2000), not_blank],
                              metadata=NOT_BLANK)
    to_user = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=80))
    to_group = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=80))


class Notification(ma.Schema):
    """An alert or notification for the caller: what, about which case, why, and whether acknowledged."""

    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    case_ref = Text(required=True)
    reason = ma.fields.String(required=True)
    what_to_do = ma.fields.String()
    urgent = ma.fields.Boolean()
    created_at = Time(required=True)
    read_at = Time()
    acknowledged_at = Time(required=True)
    alert_acknowledged_by = Text()


class TeamRow(ma.Schema):
    """One person's or group's open work: open, overdue, due this week, claimed and unclaimed."""

    key = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    detail = ma.fields.String()
    open = ma.fields.Integer(required=True)
    overdue = ma.fields.Integer(required=True)
    due_this_week = ma.fields.Integer(required=True)
    claimed = ma.fields.Integer(required=True)
    unclaimed = ma.fields.Integer(required=True)


class StrandedItem(ma.Schema):
    """A work item nobody can act on, or overdue, and why."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    case_ref = Text()
    assignee = Text()
    groups = ma.fields.List(ma.fields.String(), required=True)
    due_at = Time()
    reasons = ma.fields.List(ma.fields.String(), required=True)


class Team(ma.Schema):
    """A manager's team: per person and per group, and the stranded work."""

    manager = ma.fields.String(required=True)
    people = ma.fields.List(ma.fields.Nested(TeamRow), required=True)
    groups = ma.fields.List(ma.fields.Nested(TeamRow), required=True)
    stranded = ma.fields.List(ma.fields.Nested(StrandedItem), required=True)
    complete = ma.fields.Boolean(required=True, metadata={
        "description": "false when the service has more open work than is counted; the counts then cover the "
                       "tasks due soonest"})


class StartIn(Strict):
    """A start: the answers to the process's start form and, optionally, the case it is for."""

    data = Object(load_default=dict, metadata={"description": "answers keyed as the start form's fields"})
    case_ref = ma.fields.String(allow_none=True, validate=ma.validate.Length(min=1, max=40),
                                metadata={"description": "reference of the case this instance is for (you must "
                                                         "be allowed to open it)"})


class Started(ma.Schema):
    """The new instance and where it waits."""

    instance_id = ma.fields.Integer(required=True)
    process_id = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)
    case_ref = Text()
    open_work_items = ma.fields.List(ma.fields.Nested(WorkItem), required=True)


class StepOutcome(ma.Schema):
    """Where the route stands after the step."""

    instance_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)
    open_work_items = ma.fields.List(ma.fields.Nested(WorkItem), required=True)


class HistoryEntry(ma.Schema):
    """One audited event on an instance."""

    at = Time(required=True)
    actor = ma.fields.String(required=True)
    action = ma.fields.String(required=True)
    subject = ma.fields.String(required=True)
    details = Object(allow_none=True)


class Instance(ma.Schema):
    """A route instance: status, open and finished work, history."""

    id = ma.fields.Integer(required=True)
    process_id = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)
    case_ref = Text()
    started_by = ma.fields.String(required=True)
    started_at = Time(required=True)
    failed_element = Text()
    failure_reason = Text()
    open_work_items = ma.fields.List(ma.fields.Nested(WorkItem), required=True)
    done_work_items = ma.fields.List(ma.fields.Nested(WorkItem), required=True)
    history = ma.fields.List(ma.fields.Nested(HistoryEntry), required=True)


class ProcessVersion(ma.Schema):
    """One immutable deployed version."""

    version = ma.fields.Integer(required=True)
    version_id = ma.fields.Integer(required=True)
    content_hash = ma.fields.String(required=True)
    deployed_by = ma.fields.String(required=True)
    deployed_at = Time(required=True)


class Process(ma.Schema):
    """A process with its versions, newest first."""

    process_id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    versions = ma.fields.List(ma.fields.Nested(ProcessVersion), required=True)


class DeployIn(ma.Schema):
    """BPMN, DMN and form files to validate and deploy together."""

    files = ma.fields.List(Upload(), required=True, validate=ma.validate.Length(min=1))


class Deployed(ma.Schema):
    """A version the deploy created, or found unchanged."""

    process_id = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)
    version_id = ma.fields.Integer(required=True)
    content_hash = ma.fields.String(required=True)
    created = ma.fields.Boolean(required=True)


class Problem(ma.Schema):
    """An error (RFC 9457 problem details); ``code`` is stable, other members depend on it."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()))
    candidates = ma.fields.List(Object())
    problems = ma.fields.List(Object())
    completed_by = Text()
    completed_at = Text()

    class Meta:
        unknown = ma.INCLUDE
