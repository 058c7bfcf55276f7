"""Every error class with its stable code and HTTP status is listed in docs/errors.md, and nothing else is."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import cli
import engine
import web
from engine.errors import FrontdoorError
from web.api.problems import HTTP_CODES

ROOT = Path(__file__).resolve().parent.parent


def _every_module() -> None:
    for package in (engine, web, cli):
        for found in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" not in found.name:
                importlib.import_module(found.name)


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


def error_rows() -> list[tuple[str, int, str, str]]:
    """(code, HTTP status, class with its module, first line of its docstring) for every error class."""
    _every_module()
    rows = [(c.code, c.status, f"`{c.__module__}.{c.__name__}`", (c.__doc__ or "").strip().splitlines()[0])
            for c in [FrontdoorError, *_subclasses(FrontdoorError)]]
    return sorted(set(rows))


def test_docs_errors_lists_every_error_class_with_its_code_and_status():
    documented = (ROOT / "docs" / "errors.md").read_text()
    table = documented.split("<!-- error classes -->", 1)[1].split("<!-- end -->", 1)[0]
    found = set(re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \| (`[\w.]+`) \|", table, flags=re.M))
    expected = {(code, str(status), where) for code, status, where, _ in error_rows()}
    rendered = "\n".join(f"| `{c}` | {s} | {w} | {d} |" for c, s, w, d in error_rows())
    assert found == expected, "docs/errors.md is out of date; its table should read:\n" + rendered


def test_docs_errors_lists_the_api_http_codes():
    documented = (ROOT / "docs" / "errors.md").read_text()
    table = documented.split("<!-- http codes -->", 1)[1].split("<!-- end -->", 1)[0]
    found = dict(re.findall(r"^\| (\d{3}) \| `([a-z_]+)` \|", table, flags=re.M))
    assert {int(k): v for k, v in found.items()} == HTTP_CODES


def test_codes_are_unique_per_class():
    codes = {}
    for code, _status, where, _doc in error_rows():
        codes.setdefault(code, []).append(where)
    shared = {c: w for c, w in codes.items() if len(w) > 1 and c not in ("not_permitted",)}
    assert shared == {}
