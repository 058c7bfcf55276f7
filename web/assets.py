"""GOV.UK Frontend's and bpmn-js's built files, copied from node_modules at set-up, served from our origin.

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
# The bpmn.io viewers for diagrams (its licence asks that the bpmn.io watermark stays visible); the navigated
# viewer zooms and pans.
BPMN_SOURCE = ROOT / "node_modules" / "bpmn-js" / "dist"
BPMN_VENDOR = VENDOR.parent / "bpmn-js"
BPMN_FILES = ("bpmn-viewer.production.min.js", "bpmn-navigated-viewer.production.min.js", "assets/bpmn-js.css",
              "assets/diagram-js.css")
# Swagger UI for the API's docs page (/api/v1/docs), from npm like the rest.
SWAGGER_SOURCE = ROOT / "node_modules" / "swagger-ui-dist"
SWAGGER_VENDOR = VENDOR.parent / "swagger-ui"
SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")

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
    return copied + copy_bpmn_viewer() + copy_swagger_ui() + copy_modeller() + copy_maps()


def copy_bpmn_viewer(source: Path = BPMN_SOURCE, target: Path = BPMN_VENDOR) -> list[Path]:
    """Copy the bpmn-js viewer and its stylesheets; returns what was copied."""
    if not source.is_dir():
        raise SystemExit(f"{source} is missing: run `npm ci` first")
    target.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(source / name, target / Path(name).name)) for name in BPMN_FILES]



def copy_swagger_ui(source: Path = SWAGGER_SOURCE, target: Path = SWAGGER_VENDOR) -> list[Path]:
    """Copy Swagger UI's script and stylesheet for the API docs page; returns what was copied."""
    if not source.is_dir():
        raise SystemExit(f"{source} is missing: run `npm ci` first")
    target.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(source / name, target / name)) for name in SWAGGER_FILES]


# The admin modeller and form editor: bpmn-js Modeler, the properties panel with the Camunda
# Platform provider, camunda-bpmn-moddle's descriptor and form-js's editor, all as built dist files.
MODELLER_VENDOR = VENDOR.parent / "bpmn-modeller"
MODELLER_FILES = {
    "bpmn-js/dist/bpmn-modeler.production.min.js": "bpmn-modeler.production.min.js",
    "bpmn-js/dist/bpmn-navigated-viewer.production.min.js": "bpmn-navigated-viewer.production.min.js",
    "bpmn-js/dist/assets/bpmn-js.css": "bpmn-js.css", "bpmn-js/dist/assets/diagram-js.css": "diagram-js.css",
    "bpmn-js/dist/assets/bpmn-font": "bpmn-font",
    "bpmn-js-properties-panel/dist/bpmn-js-properties-panel.umd.js": "bpmn-js-properties-panel.umd.js",
    "@bpmn-io/properties-panel/dist/assets/properties-panel.css": "properties-panel.css",
    "camunda-bpmn-moddle/resources/camunda.json": "camunda.json",
    "@bpmn-io/form-js/dist/form-editor.umd.js": "form-editor.umd.js",
    "@bpmn-io/form-js/dist/assets": "form-js",
}


def copy_modeller(modules: Path = ROOT / "node_modules", target: Path = MODELLER_VENDOR) -> list[Path]:
    """Copy the modeller's and form editor's scripts, stylesheets and fonts; returns what was copied."""
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for source, name in MODELLER_FILES.items():
        if not (modules / source).exists():
            raise SystemExit(f"{modules / source} is missing: run `npm ci` first")
        if (modules / source).is_dir():
            copied.append(Path(shutil.copytree(modules / source, target / name, dirs_exist_ok=True)))
        else:
            copied.append(Path(shutil.copy(modules / source, target / name)))
    return copied



# The map (Leaflet and its marker clusters) and the network (cytoscape.js), as built dist files.
MAPS_FILES = {
    "leaflet/dist/leaflet.js": "leaflet/leaflet.js", "leaflet/dist/leaflet.css": "leaflet/leaflet.css",
    "leaflet/dist/images": "leaflet/images",
    "leaflet.markercluster/dist/leaflet.markercluster.js": "leaflet/leaflet.markercluster.js",
    "leaflet.markercluster/dist/MarkerCluster.css": "leaflet/MarkerCluster.css",
    "leaflet.markercluster/dist/MarkerCluster.Default.css": "leaflet/MarkerCluster.Default.css",
    "cytoscape/dist/cytoscape.esm.min.mjs": "cytoscape/cytoscape.esm.min.mjs",
}


def copy_maps(modules: Path = ROOT / "node_modules", target: Path = VENDOR.parent) -> list[Path]:
    """Copy Leaflet, its marker clusters and cytoscape.js; returns what was copied."""
    copied = []
    for source, name in MAPS_FILES.items():
        if not (modules / source).exists():
            raise SystemExit(f"{modules / source} is missing: run `npm ci` first")
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        if (modules / source).is_dir():
            copied.append(Path(shutil.copytree(modules / source, target / name, dirs_exist_ok=True)))
        else:
            copied.append(Path(shutil.copy(modules / source, target / name)))
    return copied

if __name__ == "__main__":
    for path in copy_assets():
        print(f"copied {path.relative_to(ROOT)}", file=sys.stdout)
