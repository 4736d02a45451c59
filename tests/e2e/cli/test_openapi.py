"""``zoomlive openapi`` prints the document the server serves."""

from __future__ import annotations

import json
import subprocess

from tests.server.ui.test_docs import ours
from tests.support import ZOOMLIVE


def test_openapi_writes_the_served_document_to_stdout() -> None:
    done = subprocess.run([ZOOMLIVE, "openapi"], capture_output=True, check=True, timeout=120)
    assert json.loads(done.stdout) == json.loads(json.dumps(ours()))
