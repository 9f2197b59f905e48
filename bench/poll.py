"""``scoreline bench poll [--rounds 3] [--seconds 8] [--connections 64] [--json]``

wrk against ``GET /games/{id}/state`` on one gateway process (the 200 path, and the 304
path with the current ETag), beside, in the same run and with the same wrk settings:

- nginx serving the very same JSON as a static file with its own ETag (the near-limit
  for this machine);
- the seed's design: a plain Starlette endpoint doing one Redis GET per request;
- the gateway again with its poll protocol unbound (``gateway_asgi``: every poll through
  uvicorn's ASGI cycle and ``FastPollApp``, as before ``entrypoints.web.poll_protocol``),
  to show what answering in the protocol gains.

Each round measures every target's two paths in a shuffled order; the figures are
medians over the rounds with their range, ratios taken within a round. Targets: the
gateway's 304 path at least 0.4x nginx's static 304 and at least 5x the Redis-per-request
endpoint's. ``--profile DIR`` samples the gateway with py-spy during its 304 runs.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
from pathlib import Path
from typing import Any

import httpx
import redis

from bench.poll_peers import gateway, nginx_static, redis_get_peer, wrk
from bench.profiling import profiled, summarise
from bench.report import CpuWindow, emit_json, machine_facts, spread, table
from bench.services import REDIS_URL, redis_prefix

TARGET_VS_NGINX = 0.4
TARGET_VS_REDIS = 5.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0, help="per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--no-asgi", action="store_true", help="skip the ASGI-only gateway")
    parser.add_argument("--profile", type=Path, help="py-spy the gateway's 304 runs here")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")


def run(args: argparse.Namespace) -> int:
    result = measure(args)
    print(report(result))
    if args.json:
        emit_json(result)
    return 0


def _check(url: str, headers: dict[str, str], status: int) -> None:
    answer = httpx.get(url, headers=headers, timeout=10)
    if answer.status_code != status:
        raise RuntimeError(f"{url} answered {answer.status_code}, not {status}")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    path = "/games/poll-0/state"
    with contextlib.ExitStack() as stack:
        shipped = stack.enter_context(gateway(1))
        body = httpx.get(shipped.base_url + path).content
        tag = httpx.get(shipped.base_url + path).headers["etag"]
        targets: dict[str, tuple[str, str, int]] = {"gateway": (shipped.base_url, tag, shipped.pid)}
        if not args.no_asgi:
            asgi = stack.enter_context(gateway(1, in_protocol=False))
            targets["gateway_asgi"] = (asgi.base_url, tag, asgi.pid)
        nginx_url, nginx_pid = stack.enter_context(nginx_static({path: body}))
        targets["nginx"] = (nginx_url, httpx.get(nginx_url + path).headers["etag"], nginx_pid)
        prefix = stack.enter_context(redis_prefix())
        key = f"{prefix}game:poll-0:state"
        client = redis.Redis.from_url(REDIS_URL)
        client.set(key, body)
        client.close()
        peer_url, peer_pid = stack.enter_context(redis_get_peer(REDIS_URL, key))
        targets["redis_get"] = (peer_url, tag, peer_pid)

        rates: dict[str, list[float]] = {}
        cpu: dict[str, list[float]] = {}
        for round_no in range(args.rounds):
            runs = [(name, kind) for name in targets for kind in ("200", "304")]
            random.shuffle(runs)
            for name, kind in runs:
                base, etag, pid = targets[name]
                headers = {"If-None-Match": etag} if kind == "304" else {}
                _check(base + path, headers, int(kind))
                spy = args.profile if name == "gateway" and kind == "304" else None
                window = CpuWindow({"server": [pid]}).start()
                with profiled({f"{name}-r{round_no + 1}": [pid]}, spy):
                    rate = wrk(
                        base + path,
                        seconds=args.seconds,
                        connections=args.connections,
                        headers=headers,
                    )
                used = window.stop()
                rates.setdefault(f"{name}_{kind}", []).append(rate)
                cpu.setdefault(f"{name}_{kind}", []).append(used["server"])
                cpu.setdefault(f"{name}_{kind}_others", []).append(used["others"])
    ratios = {
        "304_vs_nginx_304": [
            g / n for g, n in zip(rates["gateway_304"], rates["nginx_304"], strict=True)
        ],
        "304_vs_redis_get_304": [
            g / r for g, r in zip(rates["gateway_304"], rates["redis_get_304"], strict=True)
        ],
        "200_vs_nginx_200": [
            g / n for g, n in zip(rates["gateway_200"], rates["nginx_200"], strict=True)
        ],
        "200_vs_redis_get_200": [
            g / r for g, r in zip(rates["gateway_200"], rates["redis_get_200"], strict=True)
        ],
    }
    if "gateway_asgi_304" in rates:
        ratios["304_vs_asgi_304"] = [
            g / a for g, a in zip(rates["gateway_304"], rates["gateway_asgi_304"], strict=True)
        ]
        ratios["asgi_304_vs_nginx_304"] = [
            a / n for a, n in zip(rates["gateway_asgi_304"], rates["nginx_304"], strict=True)
        ]
    medians = {f"{k}_rps": statistics.median(v) for k, v in rates.items()}
    ratio_medians = {f"ratio_{k}": statistics.median(v) for k, v in ratios.items()}
    result: dict[str, Any] = {
        "benchmark": "poll",
        "rounds": args.rounds,
        "seconds": args.seconds,
        "connections": args.connections,
        **medians,
        **ratio_medians,
        "targets": {"304_vs_nginx_304": TARGET_VS_NGINX, "304_vs_redis_get_304": TARGET_VS_REDIS},
        "met": {
            "304_vs_nginx_304": ratio_medians["ratio_304_vs_nginx_304"] >= TARGET_VS_NGINX,
            "304_vs_redis_get_304": ratio_medians["ratio_304_vs_redis_get_304"] >= TARGET_VS_REDIS,
        },
        "rates": {k: spread(v) for k, v in rates.items()},
        "ratios": {k: spread(v) for k, v in ratios.items()},
        "server_cores": {k: spread(v) for k, v in cpu.items()},
        "machine": machine_facts(),
    }
    if args.profile is not None:
        result["profile"] = [str(p) for p in sorted(args.profile.glob("gateway-*.txt"))]
    return result


def report(result: dict[str, Any]) -> str:
    rows = []
    for name in ("gateway", "gateway_asgi", "nginx", "redis_get"):
        if f"{name}_304" not in result["rates"]:
            continue
        line: list[Any] = [name]
        for kind in ("200", "304"):
            r = result["rates"][f"{name}_{kind}"]
            line.append(f"{r['median']:,.0f} ({r['min']:,.0f}-{r['max']:,.0f})")
            line.append(f"{result['server_cores'][f'{name}_{kind}']['median']:.2f}")
        rows.append(line)
    headers = ["target", "200 req/s", "cores", "304 req/s", "cores"]
    lines = [f"poll: {result['rounds']} rounds of {result['seconds']:.0f} s, "
             f"{result['connections']} connections, wrk -t1", table(headers, rows), ""]  # fmt: skip
    for name, s in result["ratios"].items():
        lines.append(f"{name}: {s['median']:.2f} ({s['min']:.2f}-{s['max']:.2f}) median (range)")
    lines.append(f"targets: {result['targets']} met: {result['met']}")
    for path in result.get("profile", []):
        lines.append(summarise(Path(path), 20))
    return "\n".join(lines)
