"""``wire.zoom_fields`` is what ``scripts/generate-zoom-fields`` derives from Zoom's
2025 Meetings OpenAPI (the vendored subset holds every schema it reads), so the
package's defaults, body types and enum table cannot drift from Zoom's schema."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from types import ModuleType

from tests.spec import load_spec
from tests.support import ROOT
from zoomlive.wire import zoom_fields as zf


def _generator() -> ModuleType:
    path = ROOT / "scripts" / "generate-zoom-fields"
    loader = importlib.machinery.SourceFileLoader("generate_zoom_fields", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_generated_module_is_what_the_schema_gives() -> None:
    gen = _generator()
    derived = gen.derive(gen.Spec(load_spec()))
    assert set(derived) == {n for n in vars(zf) if n.isupper()}
    for name, value in derived.items():
        assert getattr(zf, name) == value, name


def test_the_settings_enums_hold_zoom_lists() -> None:
    assert zf.MEETING_SETTINGS_ENUMS["encryption_type"] == ("enhanced_encryption", "e2ee")
    assert zf.MEETING_SETTINGS_ENUMS["jbh_time"] == (0, 5, 10, 15)
    assert zf.MEETING_BODY_TYPES["type"] == "integer"
    assert zf.MEETING_BODY_TYPES["settings"] == "object"
