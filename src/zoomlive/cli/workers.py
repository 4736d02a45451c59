"""``zoomlive serve --workers N``: N server processes sharing one listening socket.

The supervisor binds the port once (``cli.serve.bind``) and starts N workers (``python -m
zoomlive.cli.serve`` with the socket's descriptor) that inherit the socket; the
kernel spreads connections among them. Each worker is a whole server: it opens the
database, and migrations and the demo seed run under the start-up lock, so N
processes starting together migrate and seed once (``storage.engine.startup_lock``).
Only PostgreSQL: every process reads the others' writes straight from the database
(README, "Deployment").

A worker that dies is started again; SIGINT or SIGTERM stops them all.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

#: Settings reach the workers through the environment, as ``ServerSettings.from_env``
#: reads it; the database URL and the demo flag as the supervisor resolved them.
WORKER_ENV = "ZOOMLIVE_WORKER_INDEX"


def supervise(
    settings: Any,
    sock: socket.socket,
    host: str,
    port: int,
    log_level: str,
    workers: int,
    access_log: bool = False,
    debug: bool = False,
) -> int:
    """Run ``workers`` server processes on ``sock`` (bound and listening) until a
    signal stops them; each worker that dies is started again."""
    sock.set_inheritable(True)
    fd = sock.fileno()
    flags = (["--access-log"] if access_log else []) + (["--debug"] if debug else [])
    env = {
        **os.environ,
        "ZOOMLIVE_DATABASE_URL": settings.database_url,
        "ZOOMLIVE_DEMO": "1" if settings.demo else "0",
        "ZOOMLIVE_SEED": settings.seed_file,
    }

    def start(index: int) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-m", "zoomlive.cli.serve", str(fd), host, str(port), log_level,
               *flags]  # fmt: skip
        return subprocess.Popen(cmd, env={**env, WORKER_ENV: str(index)}, pass_fds=(fd,))

    procs = [start(i) for i in range(workers)]
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            for i, p in enumerate(procs):
                if p.poll() is not None and not stopping:
                    print(f"zoomlive: worker {i} exited ({p.returncode}); starting it again")
                    procs[i] = start(i)
            time.sleep(0.2)
    finally:
        for p in procs:
            p.wait()
    return 0
