"""``zoomlive serve --workers N``: N server processes sharing one listening socket.

The supervisor binds the port once (``cli.serve.bind``) and starts N workers (``python -m
zoomlive.cli.serve`` with the socket's descriptor) that inherit the socket; the
kernel spreads connections among them. Each worker is a whole server: it opens the
database, and migrations and the demo seed run under the start-up lock, so N
processes starting together migrate and seed once (``storage.engine.startup_lock``).
Only PostgreSQL: every process reads the others' writes straight from the database
(README, "Deployment").

A worker that dies is started again; SIGINT or SIGTERM stops them all. Workers die
with their supervisor, however it ends (SIGKILL too): each holds the read end of a
pipe whose only write end is the supervisor's, sees it close, and stops
(``cli.serve._die_with_supervisor``), so no worker is left serving the port alone.
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
#: The descriptor of the worker's end of its supervisor pipe.
SUPERVISOR_FD_ENV = "ZOOMLIVE_SUPERVISOR_FD"


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

    #: Each worker's supervisor pipe, our end: it closes when this process ends.
    pipes: dict[int, int] = {}

    def start(index: int) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-m", "zoomlive.cli.serve", str(fd), host, str(port), log_level,
               *flags]  # fmt: skip
        theirs, ours = os.pipe()
        try:
            worker_env = {**env, WORKER_ENV: str(index), SUPERVISOR_FD_ENV: str(theirs)}
            proc = subprocess.Popen(cmd, env=worker_env, pass_fds=(fd, theirs))
        except BaseException:
            os.close(ours)
            raise
        finally:
            os.close(theirs)
        if index in pipes:
            os.close(pipes.pop(index))  # the worker it replaces is gone
        pipes[index] = ours
        return proc

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
        for ours in pipes.values():
            os.close(ours)
    return 0
