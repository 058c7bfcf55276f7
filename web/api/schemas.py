"""Marshmallow schemas of the API's requests and answers; the OpenAPI document is generated from them."""

from __future__ import annotations

from functools import partial

import marshmallow as ma
from flask_smorest.fields import Upload

Time = partial(ma.fields.String, allow_none=True, metadata={"format": "date-time"})
Text = partial(ma.fields.String, allow_none=True)
Object = partial(ma.fields.Dict, keys=ma.fields.String())


class Strict(ma.Schema):
    """Unknown members in a request are an error, not silently dropped."""

    class Meta:
        unknown = ma.RAISE


class ReferralIn(Strict):
    """A referral: the form's answers, and what to do if it may match an open case."""

    data = Object(required=True, metadata={"description": "answers keyed as the referral form's fields"})
    add_to_case = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=40),
                                   metadata={"description": "reference of the open case to add this to"})
    new_reason = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=2000),
                                  metadata={"description": "why a new case although there are possible matches"})


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


class ReferralOut(ma.Schema):
    """What a referral produced: its case, the referral and the route it started."""

    case_ref = ma.fields.String(required=True)
    referral_id = ma.fields.Integer(required=True)
    instance_id = ma.fields.Integer(required=True)
    intake_decision = ma.fields.String(required=True)
    open_work_items = ma.fields.List(ma.fields.Nested(WorkItem), required=True)


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


class CaseSearch(Strict):
    """Search terms: at least one of them is needed."""

    q = ma.fields.String(validate=ma.validate.Length(max=200), metadata={"description": "reference or name"})
    postcode = ma.fields.String(validate=ma.validate.Length(max=10))
    school_urn = ma.fields.String(validate=ma.validate.Length(max=20))
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, 200))


class CaseSummary(ma.Schema):
    """One search result."""

    ref = ma.fields.String(required=True)
    subject_type = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    type = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    postcode = Text()


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

    data = Object(load_default=dict)


class ReassignIn(Strict):
    """Hand a work item to one person or one group, with a reason (audited)."""

    reason = ma.fields.String(required=True, validate=ma.validate.Length(max=2000))
    to_user = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=80))
    to_group = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=80))


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

    files = ma.fields.List(Upload(), required=True)


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
