"""The README's first five minutes work as written: its curl session runs against a fresh demo (bash runs the
lines exactly as they are; only curl's transfers go through Python's HTTP client, against the WSGI app on a
real port), and its table of demo sign-ins names every demo person truly."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from engine.bootstrap import bootstrap
from engine.config import Settings
from engine.demo.cast import GROUPS, PEOPLE
from engine.demo.load import load_demo
from engine.store.db import Database
from web import create_app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCUMENTED = "127.0.0.1:8000"

# A stand-in for curl with the options the README uses (-s, -X, -H, -d): Python's HTTP client does the
# transfer, prints the body as curl does, and logs each request's status for the test to check.
CURL = textwrap.dedent('''\
    import os, sys, urllib.error, urllib.request
    args, method, headers, data, url = sys.argv[1:], None, {}, None, None
    while args:
        arg = args.pop(0)
        if arg == "-s":
            continue
        if arg == "-X":
            method = args.pop(0)
        elif arg == "-H":
            name, _, value = args.pop(0).partition(":")
            headers[name.strip()] = value.strip()
        elif arg == "-d":
            data = args.pop(0).encode()
        else:
            url = arg.replace("DOCUMENTED", os.environ["README_ORIGIN"])
    request = urllib.request.Request(url, data=data, headers=headers, method=method or ("POST" if data else "GET"))
    try:
        with urllib.request.urlopen(request) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    with open(os.environ["README_LOG"], "a") as log:
        log.write(f"{request.get_method()} {url} {status}\\n")
    sys.stdout.write(body.decode())
''').replace("DOCUMENTED", DOCUMENTED)


def api_session() -> str:
    """The README's shell block in the JSON API section."""
    section = README[README.index("## The JSON API"):README.index("## Configuration")]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


@pytest.fixture
def demo_site(tmp_path):
    """A fresh demo database (as `make run` loads it) behind the WSGI app on a free port."""
    url = f"sqlite:///{tmp_path / 'frontdoor.db'}"
    Database(url).upgrade()
    svc = bootstrap(settings=Settings.from_env({}), database_url=url)
    load_demo(svc, say=lambda _text: None)
    httpd = make_server("127.0.0.1", 0, create_app(svc), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield url, f"127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=5)
        svc.db.dispose()


def test_the_readme_api_session_works_as_written_on_a_fresh_demo(demo_site, tmp_path):
    database, origin = demo_site
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "curl").write_text(f"#!{sys.executable}\n{CURL}")
    (bin_dir / "curl").chmod(stat.S_IRWXU)
    log = tmp_path / "requests.log"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "DATABASE_URL": database,
           "README_ORIGIN": origin, "README_LOG": str(log)}
    run = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", api_session()], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    requests = [line.rsplit(" ", 1) for line in log.read_text().splitlines()]
    assert [(r.split(" ")[0], int(status)) for r, status in requests] == [
        ("POST", 201), ("GET", 200), ("POST", 200), ("GET", 200)]
    outputs = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    referral, overdue, claimed, case = outputs
    assert referral["case_ref"].startswith("CX-") and referral["open_work_items"]
    assert isinstance(overdue["items"], list)
    assert (claimed["id"], claimed["assignee"]) == (referral["open_work_items"][0]["id"], "fd.amber")
    assert case["ref"] == referral["case_ref"]
    assert referral["instance_id"] in [i["id"] for i in case["instances"]]


def test_the_readme_lists_every_demo_sign_in_with_role_and_agency():
    rows = re.findall(r"^\| (.+?) \| `(.+?)` \| (.+?) \| (.+?) \| (.+?) \|$", README, re.M)
    assert rows == [(display, user, role.replace("_", " "), agency, "; ".join(GROUPS[g] for g in groups))
                    for user, display, role, agency, groups in PEOPLE]
    assert "demo-password-only" in README
