"""A real RTMP receiver for the media tests: nginx with the RTMP module, recording on.

nginx runs in the foreground in a temporary directory on a free port, with its
``rtmp_stat`` page on a second port, so a test reads who is publishing from nginx
itself. Debian's ``nginx`` and ``libnginx-mod-rtmp`` provide it (``.ci/run`` installs
them when they are missing).
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support import free_port

MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")

_CONF = """
load_module {module};
daemon off;
master_process off;
worker_processes 1;
error_log {dir}/error.log info;
pid {dir}/nginx.pid;
events {{ worker_connections 256; }}
rtmp {{
  server {{
    listen 127.0.0.1:{port};
    application live {{
      live on;
      record all;
      record_path {dir}/rec;
      record_unique on;
    }}
  }}
}}
http {{
  access_log off;
  client_body_temp_path {dir}/tmp;
  proxy_temp_path {dir}/tmp;
  fastcgi_temp_path {dir}/tmp;
  uwsgi_temp_path {dir}/tmp;
  scgi_temp_path {dir}/tmp;
  server {{
    listen 127.0.0.1:{stat_port};
    location /stat {{ rtmp_stat all; }}
  }}
}}
"""


def nginx_available() -> bool:
    return shutil.which("nginx") is not None and MODULE.exists()


def require_nginx() -> None:
    if not nginx_available():
        pytest.skip("nginx with the RTMP module is not installed (.ci/run installs it)")


@dataclass
class Nginx:
    dir: Path
    port: int = field(default_factory=free_port)
    stat_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The RTMP application URL to give as ``stream_url``."""
        return f"rtmp://127.0.0.1:{self.port}/live"

    @property
    def recordings(self) -> Path:
        return self.dir / "rec"

    def start(self) -> Nginx:
        for sub in ("rec", "tmp"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        conf = self.dir / "nginx.conf"
        conf.write_text(
            _CONF.format(module=MODULE, dir=self.dir, port=self.port, stat_port=self.stat_port)
        )
        self.proc = subprocess.Popen(
            ["nginx", "-c", str(conf), "-p", str(self.dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.wait_for(lambda: self._stat() is not None, 10, "nginx did not start")
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def _stat(self) -> ET.Element | None:
        with contextlib.suppress(httpx.HTTPError):
            r = httpx.get(f"http://127.0.0.1:{self.stat_port}/stat", timeout=2)
            if r.status_code == 200:
                return ET.fromstring(r.content)
        return None

    def publishers(self) -> set[tuple[str, str]]:
        """(application, stream name) of every stream with a publishing client."""
        root = self._stat()
        found: set[tuple[str, str]] = set()
        if root is None:
            return found
        for app in root.iter("application"):
            app_name = app.findtext("name", "")
            for stream in app.iter("stream"):
                if any(c.find("publishing") is not None for c in stream.iter("client")):
                    found.add((app_name, stream.findtext("name", "")))
        return found

    def recording(self, name: str) -> list[Path]:
        return sorted(self.recordings.glob(f"{name}-*.flv"))

    @staticmethod
    def wait_for(check: Callable[[], object], timeout: float, what: str) -> float:
        """Poll ``check`` until it is true; the seconds it took."""
        start = time.monotonic()
        while True:
            if check():
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise AssertionError(f"{what} (waited {timeout} s)")
            time.sleep(0.02)
