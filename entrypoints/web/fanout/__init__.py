"""The SSE fan-out hot path: frames encoded once, a per-game window of recent frames,
and the raw ASGI stream endpoint that hands the same bytes to every subscriber."""
