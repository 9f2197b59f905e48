"""/metrics names the threads that take the CPU."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from entrypoints.metrics import Metrics
from entrypoints.thread_cpu import thread_cpu_seconds

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def test_a_busy_thread_is_counted_under_its_own_name() -> None:
    burnt, done = threading.Event(), threading.Event()

    def burn() -> None:
        end = time.thread_time() + 0.3
        while time.thread_time() < end:
            pass
        burnt.set()
        done.wait(10)

    worker = threading.Thread(target=burn, name="busy-test-thread")
    idle = threading.Thread(target=done.wait, args=(10,), name="idle-test-thread")
    worker.start()
    idle.start()
    try:
        assert burnt.wait(10)
        seconds = thread_cpu_seconds()
        assert seconds["busy-test-thread"] >= 0.25
        assert seconds["idle-test-thread"] < 0.1
        exposed = Metrics().render().decode()
        assert 'scoreline_thread_cpu_seconds_total{thread="busy-test-thread"}' in exposed
    finally:
        done.set()
        worker.join()
        idle.join()
