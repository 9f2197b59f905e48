"""Sample the service's processes with py-spy while a benchmark measures, and summarise.

``profiled({"recorder": [pid, ...]}, directory)`` runs ``py-spy record --format raw``
(collapsed stacks, idle frames left out) on every process for as long as the block
lasts; ``python -m bench.profiling DIR [--top N]`` prints, per file, the functions
holding the most samples, inclusive (on the stack) and exclusive (on top).
py-spy is a separate install (``pip install py-spy``) and needs ptrace rights.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path


@contextlib.contextmanager
def profiled(pids: Mapping[str, Sequence[int]], directory: Path | None) -> Iterator[None]:
    """py-spy on every pid while the block runs (nothing when ``directory`` is None)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if directory is None:
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    samplers = []
    for name, group in pids.items():
        for pid in group:
            out = directory / f"{name}-{pid}.txt"
            command = [spy, "record", "--pid", str(pid), "--format", "raw", "--output", str(out)]
            command += ["--rate", "50", "--nonblocking", "--threads"]
            samplers.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=sys.stderr))
    try:
        yield
    finally:
        for sampler in samplers:
            sampler.send_signal(signal.SIGINT)
        for sampler in samplers:
            try:
                sampler.wait(30)
            except subprocess.TimeoutExpired:
                sampler.kill()


def summarise(path: Path, top: int) -> str:
    """The functions with the most samples in one raw py-spy file."""
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if not f.startswith("thread ")]
        if not frames:
            continue
        n = int(count)
        total += n
        exclusive[_short(frames[-1])] += n
        for frame in {_short(f) for f in frames}:
            inclusive[frame] += n
    lines = [f"== {path.name}: {total} samples"]
    for title, counter in (("inclusive", inclusive), ("exclusive", exclusive)):
        lines.append(f"-- {title}")
        for frame, n in counter.most_common(top):
            lines.append(f"{100 * n / max(total, 1):5.1f}%  {frame}")
    return "\n".join(lines)


def _short(frame: str) -> str:
    """``fn (path/to/site-packages/pkg/mod.py:12)`` -> ``fn (pkg/mod.py)``."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profiling")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    for path in sorted(args.directory.glob("*.txt")):
        print(summarise(path, args.top), end="\n\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
