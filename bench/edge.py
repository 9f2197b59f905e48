"""Varnish (Debian ``varnish``) running ``deploy/varnish/default.vcl`` in front of one
gateway, for ``scoreline bench spike``: ``running_edge(backend_port)`` yields the edge's
URL and varnishd's pids, and stops it after. Installed with apt-get when missing.
Adapted from tests/e2e/varnish_edge.py (benchmarks never import the tests)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.poll_peers import ensure_package
from bench.services import free_port, stop_process

VCL = Path(__file__).resolve().parents[1] / "deploy" / "varnish" / "default.vcl"


@contextlib.contextmanager
def running_edge(backend_port: int, *, threads: int = 3000) -> Iterator[tuple[str, list[int]]]:
    varnishd = ensure_package("varnishd", "varnish", "the edge cache of the spike")
    directory = Path(tempfile.mkdtemp(prefix="scoreline-edge-"))
    directory.chmod(0o755)
    text = VCL.read_text()
    if '.port = "8000";' not in text:
        raise RuntimeError(f"{VCL}: the backend port line moved")
    vcl = directory / "edge.vcl"
    vcl.write_text(text.replace('.port = "8000";', f'.port = "{backend_port}";'))
    vcl.chmod(0o644)
    port = free_port()
    command = [varnishd, "-F", "-f", str(vcl), "-a", f"127.0.0.1:{port}"]
    command += ["-n", str(directory / "work"), "-s", "malloc,256m"]
    command += ["-p", f"thread_pool_max={threads}", "-p", "default_grace=0"]
    log = (directory / "varnishd.log").open("ab")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError((directory / "varnishd.log").read_text())
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("varnish did not answer in 30 s")
            time.sleep(0.2)
        yield url, [process.pid, *_children(process.pid)]
    finally:
        stop_process(process, 15)
        shutil.rmtree(directory, ignore_errors=True)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []
