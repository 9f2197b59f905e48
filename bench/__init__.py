"""Benchmarks of Scoreline, run as commands (``python -m bench.fleet_throughput``, ...).

Every benchmark targets 127.0.0.1 only, stops by itself (bounded counts and time),
measures a peer in the same run and reports ratios against it; see BENCHMARKS.md.
Nothing here is imported by the service or the tests.
"""
