"""GOV.UK Frontend's built files, copied from node_modules at set-up and served from our own origin.

Run ``python -m web.assets`` after ``npm ci`` (the Makefile's setup target does both). The copies live
in ``web/static/vendor/`` (git-ignored): assets come from npm, never from a CDN, never committed.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from flask import Blueprint, send_from_directory

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
VENDOR = Path(__file__).resolve().parent / "static" / "vendor" / "govuk-frontend"
FILES = ("govuk-frontend.min.css", "govuk-frontend.min.js")

bp = Blueprint("assets", __name__)


@bp.get("/assets/<path:filename>")
def asset(filename: str):
    """GOV.UK Frontend's fonts and images, at the /assets/ path its stylesheet expects."""
    return send_from_directory(VENDOR / "assets", filename, max_age=86400)


def copy_assets(source: Path = SOURCE, target: Path = VENDOR) -> list[Path]:
    """Copy the stylesheet, script, fonts and images into the vendor folder; returns what was copied."""
    if not source.is_dir():
        raise SystemExit(f"{source} is missing: run `npm ci` first")
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in FILES:
        copied.append(Path(shutil.copy(source / name, target / name)))  # fresh mtime for make
    shutil.copytree(source / "assets", target / "assets", dirs_exist_ok=True)
    copied.append(target / "assets")
    return copied


if __name__ == "__main__":
    for path in copy_assets():
        print(f"copied {path.relative_to(ROOT)}", file=sys.stdout)
