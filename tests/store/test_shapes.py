"""One shape per concept: the hand-written step SQL, the ORM tables, the typed shapes and the API schema agree."""

from __future__ import annotations

import typing
from dataclasses import fields
from types import SimpleNamespace

import pytest

from engine.cases.views import CaseSummary
from engine.runtime.instances import InstanceView
from engine.store import hotpath
from engine.store.models import Instance, WorkItem
from engine.store.shapes import INSTANCE_COLUMNS, InstanceRow, WorkItemView
from web.api import schemas

WORK_ITEM_COLUMNS = set(WorkItem.__table__.c.keys())
INSTANCE_TABLE_COLUMNS = set(Instance.__table__.c.keys())


@pytest.mark.parametrize(("statement_columns", "table"), [
    (INSTANCE_COLUMNS, INSTANCE_TABLE_COLUMNS),
    (hotpath.ITEM_COLUMNS, WORK_ITEM_COLUMNS),
    (hotpath.OPEN_ITEM_COLUMNS, WORK_ITEM_COLUMNS),
    (hotpath._ITEM_INSERT_COLUMNS, WORK_ITEM_COLUMNS),
], ids=["instance", "item", "open-item", "item-insert"])
def test_every_column_the_step_sql_names_is_a_column_of_its_table(statement_columns, table):
    assert set(statement_columns) <= table, set(statement_columns) - table


def test_the_step_reads_exactly_the_instance_row_shape():
    assert tuple(f.name for f in fields(InstanceRow) if f.name != "open_items") == INSTANCE_COLUMNS
    selected = hotpath._ITEM_WITH_INSTANCE.split(" FROM work_items")[0]
    assert [c for c in INSTANCE_COLUMNS if f"i.{c}," not in selected] == []


def test_a_work_item_view_reads_only_columns_the_open_item_statement_returns():
    row = SimpleNamespace(**{c: None for c in hotpath.OPEN_ITEM_COLUMNS})
    row.id, row.instance_id, row.groups = 1, 2, "police,health"
    assert WorkItemView.of(row).groups == ["police", "health"]  # AttributeError if it read anything else


def _optional(annotation) -> bool:
    return type(None) in typing.get_args(annotation)


def _hints(cls) -> dict[str, object]:
    return typing.get_type_hints(cls)


@pytest.mark.parametrize(("shape", "schema"), [
    (WorkItemView, schemas.WorkItem),
    (CaseSummary, schemas.CaseSummary),
], ids=["work-item", "case-summary"])
def test_the_api_schema_has_the_shapes_fields_and_their_optionality(shape, schema):
    declared = schema().fields
    hints = _hints(shape)
    assert set(declared) == set(hints)
    for name, field in declared.items():
        required = field.required
        assert required != _optional(hints[name]) or not required, f"{schema.__name__}.{name}"


def test_the_work_item_json_form_is_what_the_api_schema_declares():
    item = WorkItemView(1, 2, "Police check", "task_police", "child_referral", "CH-000001", "child_agency_check",
                        ["police"], None, "open", 50, None, None, None, None)
    assert set(item.to_dict()) == set(schemas.WorkItem().fields) - {"due_words", "overdue"}
    assert schemas.WorkItem().dump(item.to_dict()) == item.to_dict()


def test_an_instance_view_is_what_the_api_instance_schema_declares():
    view_fields = {f.name for f in fields(InstanceView)}
    assert view_fields | {"done_work_items"} == set(schemas.Instance().fields)
