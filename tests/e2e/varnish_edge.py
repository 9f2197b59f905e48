"""A real Varnish (Debian ``varnish``) running ``deploy/varnish/default.vcl`` in front of
one gateway, for the edge tests: started on a free port, its counters read by varnishstat."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

VCL = Path(__file__).resolve().parents[2] / "deploy" / "varnish" / "default.vcl"


def varnishd_path() -> str | None:
    return shutil.which("varnishd") or next(
        (p for p in ("/usr/sbin/varnishd",) if Path(p).exists()), None
    )


def edge_vcl(backend_port: int) -> str:
    """The deployed VCL with its backend pointed at ``backend_port``."""
    text = VCL.read_text()
    assert '.port = "8000";' in text, "the VCL's backend port line moved"
    return text.replace('.port = "8000";', f'.port = "{backend_port}";')


class Edge:
    def __init__(self, port: int, backend_port: int) -> None:
        self.port = port
        self.backend_port = backend_port
        self.dir = Path(tempfile.mkdtemp(prefix="scoreline-varnish-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Edge:
        varnishd = varnishd_path()
        assert varnishd is not None
        vcl = self.dir / "edge.vcl"
        vcl.write_text(edge_vcl(self.backend_port))
        self.dir.chmod(0o755)
        vcl.chmod(0o644)
        log = (self.dir / "varnishd.log").open("ab")
        self.process = subprocess.Popen(
            [
                *(varnishd, "-F", "-f", str(vcl), "-a", f"127.0.0.1:{self.port}"),
                *("-n", str(self.dir / "work"), "-s", "malloc,64m", "-p", "default_grace=0"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"varnishd exited: {(self.dir / 'varnishd.log').read_text()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("varnish did not answer in 30 s")

    def counter(self, name: str) -> int:
        out = subprocess.run(
            ["varnishstat", "-n", str(self.dir / "work"), "-1", "-j", "-f", name],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
        value: int = json.loads(out)["counters"][name]["value"]
        return value

    def healthy(self) -> bool:
        out = subprocess.run(
            ["varnishadm", "-n", str(self.dir / "work"), "backend.list"],
            capture_output=True,
            text=True,
        ).stdout
        return " healthy " in out

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)
