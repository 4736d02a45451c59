"""Storage details that start-up relies on."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory

from zoomlive.server.storage.engine import HEAD_REVISION, MIGRATIONS


def test_head_revision_constant_matches_alembic() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD_REVISION
