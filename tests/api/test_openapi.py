"""The OpenAPI document and its docs page are served from our own origin, with no token needed."""

from __future__ import annotations

import re

import pytest


def test_the_spec_describes_every_endpoint_and_bearer_auth(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.") and spec["info"]["version"] == "v1"
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert {"/api/v1/contexts", "/api/v1/children", "/api/v1/cases/{ref}", "/api/v1/cases", "/api/v1/work-items",
            "/api/v1/work-items/{work_item_id}", "/api/v1/work-items/{work_item_id}/complete",
            "/api/v1/instances/{instance_id}", "/api/v1/processes",
            "/api/v1/processes/{process_id}/instances", "/api/v1/deployments"} <= set(spec["paths"])
    start = spec["paths"]["/api/v1/processes/{process_id}/instances"]["post"]
    assert {"201", "403", "404", "422"} <= set(start["responses"])
    assert any(p.get("name") == "Idempotency-Key" for p in start["parameters"])
    complete = spec["paths"]["/api/v1/work-items/{work_item_id}/complete"]["post"]
    assert {"200", "409", "422"} <= set(complete["responses"])
    assert any(p.get("name") == "Idempotency-Key" for p in complete["parameters"])


def test_the_docs_page_loads_only_local_assets(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.get_data(as_text=True))
    assert sources and all(s.startswith("/") for s in sources)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/static/js/api-docs.js"])
def test_the_docs_script_is_served(client, path):
    assert client.get(path).status_code == 200
