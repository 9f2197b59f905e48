"""The cache headers of the fans' polled answers (a game's state, standings, leaderboards).

- ``Cache-Control: no-cache``: a browser may keep the answer but revalidates it (with
  ``If-None-Match``) before every use, so a fan never sees an old score from its own cache.
- ``CDN-Cache-Control`` (RFC 9213) and ``Surrogate-Control`` (the older spelling some
  edges read): an edge cache may serve the answer for 1 s, then serve it stale for 5 s
  while one request revalidates it, and for 60 s while the origin errs. The edge absorbs a
  goal's spike; ``deploy/varnish/default.vcl`` is the edge configuration that honours them.
- A 304 repeats these headers (RFC 9110 section 15.4.5), so a revalidated answer gets a
  fresh edge lifetime.
"""

from __future__ import annotations

EDGE_CACHE = "max-age=1, stale-while-revalidate=5, stale-if-error=60"
CACHE_HEADERS = {
    "Cache-Control": "no-cache",
    "CDN-Cache-Control": EDGE_CACHE,
    "Surrogate-Control": EDGE_CACHE,
}
RAW_CACHE_HEADERS: list[tuple[bytes, bytes]] = [
    (name.lower().encode("latin-1"), value.encode("latin-1"))
    for name, value in CACHE_HEADERS.items()
]
""":data:`CACHE_HEADERS` as ASGI header pairs, encoded once."""
