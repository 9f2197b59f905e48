"""Nchan, the nginx pub/sub module: the reference SSE fan-out server the gateway is
measured against, on the same machine, with the same load generator, in one run.

``running_nchan(port, directory)`` writes an nginx configuration to ``directory``
(one worker process, as the gateway is one process; no access log), starts nginx
on ``port``, yields the worker's pid and stops it after. Subscribers read
``/sub/{channel}`` as EventSource; ``/pub/{channel}`` takes a POST per message.
Debian's ``nginx-light libnginx-mod-nchan`` are installed with apt-get if missing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from bench.services import stop_process, wait_reachable

MODULE = Path("/usr/share/nginx/modules/ngx_nchan_module.so")
PACKAGES = ("nginx-light", "libnginx-mod-nchan")

CONFIG = """\
load_module {module};
daemon off;
user root;
worker_processes 1;
worker_rlimit_nofile {files};
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections {connections}; multi_accept on; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location ~ ^/sub/(\\w+)$ {{
      nchan_subscriber eventsource;
      nchan_subscriber_first_message newest;
      nchan_channel_id $1;
    }}
    location ~ ^/pub/(\\w+)$ {{
      nchan_publisher;
      nchan_channel_id $1;
      nchan_message_buffer_length 16;
    }}
  }}
}}
"""


def ensure_installed() -> str:
    """The nginx binary, installing Debian's nginx-light and Nchan module if missing."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if Path(nginx).exists() and MODULE.exists():
        return nginx
    print(
        f"Nchan is not installed: running apt-get install -y {' '.join(PACKAGES)} "
        "(needs root and the Debian mirrors)",
        file=sys.stderr,
        flush=True,
    )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", *PACKAGES]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(
                f"cannot install Nchan ({' '.join(command)} failed): "
                f"{done.stderr.strip().splitlines()[-1:]}; install {' '.join(PACKAGES)} by hand"
            )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not (Path(nginx).exists() and MODULE.exists()):
        raise RuntimeError(f"installed {' '.join(PACKAGES)} but found no {MODULE}")
    return nginx


@contextlib.contextmanager
def running_nchan(port: int, directory: Path, connections: int) -> Iterator[int]:
    nginx = ensure_installed()
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "nginx.conf"
    config.write_text(
        CONFIG.format(
            module=MODULE,
            dir=directory,
            port=port,
            # nginx counts more than the client sockets against worker_connections
            # ("not enough, reusing connections" at N + 64 with 10,000 subscribers).
            connections=min(2 * connections + 256, 19_500),
            files=19_900,  # under the hard limit of 20,000 per process
        )
    )
    log = (directory / "stderr.log").open("ab")
    process = subprocess.Popen(
        [nginx, "-c", str(config), "-p", str(directory)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_reachable("127.0.0.1", port, "nginx (Nchan)", 20)
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {(directory / 'error.log').read_text()[-500:]}")
        yield worker_pid(process.pid)
    finally:
        stop_process(process, 10)
        log.close()
        time.sleep(0.1)


def worker_pid(master: int, timeout: float = 10) -> int:
    """The pid of nginx's (only) worker process."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
            if children:
                return int(children[0])
        time.sleep(0.05)
    raise RuntimeError("nginx started no worker process")
