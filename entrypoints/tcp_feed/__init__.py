"""The inbound TCP feed: providers stream native events over a long-lived connection.

Newline-delimited JSON frames both ways (docs/tcp-feed-protocol.md): the server says
``hello`` with a nonce, the provider answers ``auth`` with an HMAC of it, the server
says ``ready`` with where to resume per game, then the provider sends event lines and
the server acknowledges each once durable. Heartbeats both ways; silence is death.

Entry point: :func:`serve_tcp_feed`; :attr:`TcpFeed.status` is for ``/ops/feeds``.
"""

from entrypoints.tcp_feed.protocol import auth_signature
from entrypoints.tcp_feed.server import DEFAULT_HEARTBEAT_SECONDS, TcpFeed, serve_tcp_feed
from entrypoints.tcp_feed.status import FeedStatus, ProviderFeed

__all__ = [
    "DEFAULT_HEARTBEAT_SECONDS",
    "FeedStatus",
    "ProviderFeed",
    "TcpFeed",
    "auth_signature",
    "serve_tcp_feed",
]
