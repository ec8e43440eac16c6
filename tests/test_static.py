"""Static files: the vendored plotly.js bundle is the one the chart pages load, it draws every
trace type our charts use, no template loads a script from elsewhere, and the collected
(fingerprinted) storage says what to do when a file was never collected."""

import json
import os
import re
import time
from html import unescape
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from plotly.offline import get_plotlyjs_version

from assessments.services import scorecards_recompute
from kpis.models import MetricValue
from partnerscore.staticfiles import (
    CollectedStaticFilesStorage,
    MissingStaticFile,
    collection_stale,
    static_files_collected,
)
from tests.helpers import ROOT

BUNDLE = "vendor/plotly/plotly-cartesian.min.js"
BUNDLE_PATH = ROOT / "static" / BUNDLE
STATIC_TAG = re.compile(r"""{%\s*static\s+['"]([^'"]+)['"]\s*%}""")
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


def bundle_trace_types() -> set[str]:
    return set(re.findall(r'moduleType:"trace",name:"(\w+)"', BUNDLE_PATH.read_text()))


def test_vendored_bundle_matches_the_plotly_python_package():
    head = BUNDLE_PATH.read_text()[:200]
    assert f"plotly.js (cartesian - minified) v{get_plotlyjs_version()}" in head
    assert (BUNDLE_PATH.parent / "LICENSE").read_text().startswith("MIT License")
    assert get_plotlyjs_version() in (BUNDLE_PATH.parent / "README.md").read_text()
    assert BUNDLE_PATH.stat().st_size < 2_000_000  # the full bundle is 4.8 MB


# "type" values in chart modules that are not trace types (axes, shapes, references)
NOT_TRACES = {"category", "linear", "log", "date", "multicategory", "line", "rect", "circle"}


def test_bundle_draws_every_trace_type_our_chart_modules_name():
    used = set()
    for module in (ROOT / "assessments").rglob("*chart*.py"):
        source = module.read_text()
        assert "plotly.express" not in source, f"{module}: px may switch to scattergl (WebGL)"
        used |= {name.lower() for name in re.findall(r"\bgo\.([A-Z]\w+)\(", source)}
        # {"type": "bar"} and dict(type="bar") alike
        used |= set(re.findall(r"""\btype["']?\s*[:=]\s*["'](\w+)["']""", source))
    used -= {"figure"} | NOT_TRACES
    assert {"bar", "scatter", "heatmap"} <= used  # the patterns still find the charts' traces
    lacking = used - bundle_trace_types()
    assert not lacking, f"trace types not in the cartesian bundle: {lacking}"


def figure_trace_types(html: str) -> set[str]:
    """The trace types of every figure a page carries (charts.js draws them)."""
    figures = [json.loads(unescape(f)) for f in re.findall(r'data-figure="([^"]*)"', html)]
    assert figures
    return {trace.get("type", "scatter") for figure in figures for trace in figure["data"]}


def test_bundle_lacks_the_trace_types_its_readme_warns_about():
    readme = (BUNDLE_PATH.parent / "README.md").read_text()
    types = bundle_trace_types()
    assert {"bar", "scatter", "heatmap", "histogram", "box", "contour", "pie"} <= types
    for missing in ("scattergl", "indicator", "waterfall", "funnel", "sunburst", "treemap"):
        assert missing not in types and f"`{missing}`" in readme


def test_templates_load_scripts_and_styles_only_from_our_static_files():
    referenced = set()
    for template in TEMPLATES:
        text = template.read_text()
        for tag in re.findall(r"<(?:script|link)\b[^>]*>", text):
            assert not re.search(r"""(src|href)=["']?(https?:)?//""", tag), f"{template}: {tag}"
        assert "plotly.min.js" not in text, f"{template}: the full 4.8 MB plotly.js"
        referenced |= set(STATIC_TAG.findall(text))
    assert BUNDLE in referenced
    for name in referenced:
        assert finders.find(name), f"{name} is referenced but no static folder has it"


def test_every_chart_page_loads_the_vendored_bundle_before_charts_js():
    for template in TEMPLATES:
        text = template.read_text()
        if "charts.js" in text:
            assert text.index(BUNDLE) < text.index("js/charts.js"), template


def test_chart_pages_load_the_bundle_and_draw_only_its_trace_types(world, client):
    MetricValue.objects.create(
        partner=world.acme, kpi=world.revenue, observed_on=world.q3.end, value=120000
    )
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    client.force_login(world.manager)
    drawn = set()
    for url in (reverse("portfolio"), reverse("scorecard", args=["ACME"])):
        html = client.get(url).content.decode()
        assert f'<script src="/static/{BUNDLE}" defer></script>' in html, url
        drawn |= figure_trace_types(html)
    assert {"bar", "heatmap"} <= drawn <= bundle_trace_types()
    assert client.get(f"/static/{BUNDLE}").status_code == 200


def write_manifest(root: Path, paths: dict[str, str]) -> Path:
    manifest = root / CollectedStaticFilesStorage.manifest_name
    manifest.write_text(json.dumps({"version": "1.1", "paths": paths, "hash": "x"}))
    return manifest


def test_collected_storage_hands_out_fingerprinted_names_even_under_debug(tmp_path, settings):
    write_manifest(tmp_path, {"js/app.js": "js/app.0123456789ab.js"})
    settings.DEBUG = True  # as `make run`; Django's manifest storage would give "js/app.js"
    storage = CollectedStaticFilesStorage(location=tmp_path)
    assert storage.url("js/app.js") == "/static/js/app.0123456789ab.js"


def test_a_file_missing_from_the_manifest_names_the_file_and_the_fix(tmp_path):
    storage = CollectedStaticFilesStorage(location=tmp_path)
    with pytest.raises(MissingStaticFile, match=r"never collected.*collectstatic --no-input"):
        storage.url("js/app.js")
    write_manifest(tmp_path, {"js/app.js": "js/app.0123456789ab.js"})
    storage = CollectedStaticFilesStorage(location=tmp_path)
    with pytest.raises(MissingStaticFile, match=r"'js/new\.js' is not in .*collectstatic"):
        storage.url("js/new.js")


def test_check_warns_when_static_files_are_not_collected(tmp_path, settings):
    settings.STATIC_FILES, settings.STATIC_ROOT = "collected", str(tmp_path)
    [warning] = static_files_collected(None)
    assert warning.id == "partnerscore.W001" and "collectstatic" in warning.hint
    write_manifest(tmp_path, {k: v for k, v in source_names().items() if k != "css/app.css"})
    [warning] = static_files_collected(None)
    assert warning.id == "partnerscore.W002"
    assert warning.msg == "1 static file(s) are not collected: css/app.css."


def source_names() -> dict[str, str]:
    from partnerscore.staticfiles import _source_files

    return {name: name for name in _source_files()}


def test_collection_is_stale_when_a_file_is_missing_or_newer(tmp_path, settings):
    settings.STATIC_FILES, settings.STATIC_ROOT = "collected", str(tmp_path)
    assert collection_stale()  # no manifest
    names = source_names()
    manifest = write_manifest(tmp_path, names)
    assert not collection_stale() and static_files_collected(None) == []
    os.utime(manifest, (time.time(), os.stat(ROOT / "static" / "js" / "app.js").st_mtime - 1))
    assert collection_stale()  # app.js changed after this collection
    manifest = write_manifest(tmp_path, {k: v for k, v in names.items() if k != "js/app.js"})
    assert collection_stale()
    settings.STATIC_FILES = "source"
    assert not collection_stale() and static_files_collected(None) == []


def test_settings_refuse_an_unknown_static_files_mode(monkeypatch):
    import importlib

    import partnerscore.settings as module

    monkeypatch.setenv("STATIC_FILES", "cdn")
    with pytest.raises(ImproperlyConfigured, match="STATIC_FILES='cdn'"):
        importlib.reload(module)
    monkeypatch.undo()
    importlib.reload(module)
    assert module.STATIC_FILES == "source"
