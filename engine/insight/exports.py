"""CSV exports: every cell safe to open in a spreadsheet, and every export audited as an export.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula by
Excel, LibreOffice and Google Sheets, so a context named ``=cmd|' /C calc'!A0`` would run when a manager
opens the file (OWASP "CSV injection"). Such a cell gets a leading apostrophe: the spreadsheet shows the
text as typed and runs nothing. Numbers stay numbers.

Reading a page and taking its data away are different acts for the auditors (an export of children's
names leaves the system), so each export writes its own ``data_exported`` row with what was exported,
how many rows, and which cases it holds (docs/security.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from engine import audit
from engine.insight.tables import Table
from engine.runtime.services import Services

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The cell as a spreadsheet will show it, never as a formula; None becomes an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(table: Table) -> str:
    """The table as CSV text, header first, every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    headers, rows = table
    writer.writerow([neutralise(h) for h in headers])
    writer.writerows([[neutralise(v) for v in row] for row in rows])
    return out.getvalue()


def export_csv(svc: Services, viewer: str, export: str, table: Table, *, case_refs: Iterable[str] = (),
               **details: Any) -> str:
    """The CSV of ``table`` for ``viewer``, audited as ``data_exported`` with its row count.

    Call it only after the service that built the table checked who may read it (and wrote its view row).
    ``case_refs`` names the cases whose records are in the file, so the auditors can see whose data left.
    """
    text = csv_text(table)
    cases = sorted(set(case_refs))
    with svc.db.transaction() as session:
        audit.record(session, at=svc.now(), actor=viewer, action="data_exported", subject_type="insight",
                     subject_id=export, format="csv", rows=len(table[1]), columns=list(table[0]),
                     cases=cases, personal_data=bool(cases), **details)
    return text
