"""The release's one version: ``pyproject.toml``'s, the installed package's, and the
newest entry of the changelog, which names its date."""

from __future__ import annotations

import re
import tomllib

from tests.support import ROOT
from zoomlive.wire.dist import version


def test_the_changelog_has_an_entry_for_this_version() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert version() == declared
    headings = re.findall(r"^## (\S+) \((\d{4}-\d\d-\d\d)\)$", (ROOT / "CHANGELOG.md").read_text(),
                          re.M)  # fmt: skip
    assert headings, "a '## <version> (<date>)' heading"
    assert headings[0][0] == declared, headings[0]
