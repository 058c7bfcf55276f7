"""Every request body the API cannot read is a 400 problem (never a 500) and changes nothing."""

from __future__ import annotations

import pytest

from engine.runtime.instances import get_instance
from web.api.bodies import MAX_DEPTH

UNREADABLE = {
    "truncated": b'{"data": {',
    "a NUL byte": b"\x00",
    "not JSON at all": b"data=1",
    "not UTF-8": b'{"data": {"x": "\xff\xfe"}}',
    "NaN": b'{"data": {"n": NaN}}',
    "Infinity": b'{"data": {"n": -Infinity}}',
    "100,000 nested arrays": b"[" * 100_000 + b"]" * 100_000,
    "5,000 nested objects": b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    f"{MAX_DEPTH + 1} levels": b'{"data": ' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}",
}
POSTS = ["/api/v1/contexts", "/api/v1/children", "/api/v1/work-items/{item}/complete",
         "/api/v1/work-items/{item}/reassign"]


@pytest.mark.parametrize("path", POSTS)
def test_f8_an_unreadable_body_is_a_400_problem_and_changes_nothing(client, tokens, lite, started, item, path):
    before = get_instance(lite, started.id).open_work_items
    for name, body in UNREADABLE.items():
        response = client.post(path.format(item=item), data=body,
                               headers={**tokens["fd"], "Content-Type": "application/json"})
        assert response.status_code == 400, (name, response.get_data(as_text=True)[:300])
        assert response.mimetype == "application/problem+json" and response.json["code"] == "bad_request", name
        assert "Traceback" not in response.get_data(as_text=True)
    assert get_instance(lite, started.id).open_work_items == before


def test_f8_ordinary_nesting_is_read_as_before(client, tokens, item):
    deep_but_fine = {"data": {"rag": "red", "notes": [[[[["a"]]]]]}}
    response = client.post(f"/api/v1/work-items/{item}/complete", json=deep_but_fine, headers=tokens["fd"])
    assert response.status_code == 422 and response.json["code"] == "invalid_form_data"  # read, then checked


def test_f8_an_unreadable_body_from_a_stranger_is_still_a_401(client):
    response = client.post("/api/v1/contexts", data=b"{", headers={"Content-Type": "application/json"})
    assert response.status_code == 401 and response.json["code"] == "unauthorized"


def test_f8_errors_are_documented_as_problem_json(client):
    spec = client.get("/api/v1/openapi.json").json
    documented = {(path, method, status): set(answer.get("content", {}))
                  for path, methods in spec["paths"].items() for method, op in methods.items() if method != "parameters"
                  for status, answer in op["responses"].items() if status == "default" or status >= "400"}
    assert documented and all(kinds <= {"application/problem+json"} for kinds in documented.values()), documented
    assert set(spec["components"]["responses"]["DEFAULT_ERROR"]["content"]) == {"application/problem+json"}
