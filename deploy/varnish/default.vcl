vcl 4.1;
# Scoreline's edge cache (Varnish 7): what the gateway's cache headers ask of an edge.
#
# - A fan's polled answer (game state, standings, leaderboards) carries
#   CDN-Cache-Control / Surrogate-Control "max-age=1, stale-while-revalidate=5,
#   stale-if-error=60" (Cache-Control: no-cache is for browsers and ignored here):
#   fresh for max-age; then served stale while ONE background fetch revalidates it
#   (grace, up to stale-while-revalidate); past that a request waits for a fetch that
#   every other request of the object waits on too (request coalescing, Varnish's
#   waiting list); while the gateway is sick (its /healthz probe fails) stale copies are
#   served up to stale-if-error. Revalidation sends the copy's ETag (If-None-Match) and
#   the gateway's 304 repeats the directive, so a revalidated copy gets a fresh max-age.
# - Providers' and operators' endpoints, and anything but GET/HEAD, pass to the gateway.
# - SSE streams (/games/{id}/stream, /replay, or Accept: text/event-stream) are piped:
#   bytes go through as they come, never buffered or cached.
# Why grace holds stale-if-error: Varnish Cache never delivers an object from `keep`
# (that is for conditional revalidation only), so the longest stale period is the grace,
# and vcl_hit enforces the shorter stale-while-revalidate while the gateway is healthy.

import std;

probe gateway_health {
    .url = "/healthz";
    .interval = 1s;
    .timeout = 1s;
    .window = 3;
    .threshold = 2;
    .initial = 2;
}

backend gateway {
    .host = "127.0.0.1";
    .port = "8000";
    .probe = gateway_health;
    .connect_timeout = 1s;
    .first_byte_timeout = 10s;
    .between_bytes_timeout = 60s;
}

sub vcl_recv {
    if (req.restarts == 0) {
        unset req.http.X-Scoreline-Refresh;
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url ~ "^/(providers|ops|metrics|readyz|healthz)(/|\?|$)") {
        return (pass);
    }
    if (req.url ~ "^/games/[^/?]+/(stream|replay)(\?|$)" || req.http.Accept ~ "text/event-stream") {
        return (pipe);
    }
    if (req.http.X-Scoreline-Refresh) {
        set req.grace = 0s;  # the stale copy is too old to serve: fetch, coalesced
    }
    unset req.http.Cookie;
    return (hash);
}

sub vcl_pipe {
    # One stream per gateway connection: nothing else may ride on it after.
    set bereq.http.Connection = "close";
}

sub vcl_hit {
    # Past stale-while-revalidate with a healthy gateway: do not serve the stale copy.
    if (obj.ttl <= 0s && req.restarts == 0 && std.healthy(req.backend_hint)
            && obj.ttl + std.duration(obj.http.X-Scoreline-SWR, 0s) <= 0s) {
        set req.http.X-Scoreline-Refresh = "1";
        return (restart);
    }
}

sub vcl_backend_response {
    if (bereq.is_bgfetch && beresp.status >= 500) {
        return (abandon);  # keep serving the stale copy (stale-if-error)
    }
    if (beresp.http.CDN-Cache-Control) {
        set beresp.http.X-Scoreline-Edge = beresp.http.CDN-Cache-Control;
    } elsif (beresp.http.Surrogate-Control) {
        set beresp.http.X-Scoreline-Edge = beresp.http.Surrogate-Control;
    }
    if (beresp.http.X-Scoreline-Edge) {
        call scoreline_edge_lifetime;
        # Skip the built-in rule that treats Cache-Control: no-cache as uncacheable.
        return (deliver);
    }
    # No edge directive: Varnish's built-in rules (Cache-Control) decide.
}

sub scoreline_edge_lifetime {
    set beresp.ttl = 0s;
    set beresp.grace = 0s;
    set beresp.http.X-Scoreline-SWR = "0s";
    if (beresp.http.X-Scoreline-Edge ~ "(^|[ ,])max-age=[0-9]+") {
        set beresp.ttl = std.duration(regsub(beresp.http.X-Scoreline-Edge,
            "^(.*[ ,])?max-age=([0-9]+).*$", "\2s"), 0s);
    }
    if (beresp.http.X-Scoreline-Edge ~ "stale-while-revalidate=[0-9]+") {
        set beresp.http.X-Scoreline-SWR = regsub(beresp.http.X-Scoreline-Edge,
            "^.*stale-while-revalidate=([0-9]+).*$", "\1s");
        set beresp.grace = std.duration(beresp.http.X-Scoreline-SWR, 0s);
    }
    if (beresp.http.X-Scoreline-Edge ~ "stale-if-error=[0-9]+") {
        set beresp.grace = std.duration(regsub(beresp.http.X-Scoreline-Edge,
            "^.*stale-if-error=([0-9]+).*$", "\1s"), 0s);
        if (beresp.grace < std.duration(beresp.http.X-Scoreline-SWR, 0s)) {
            set beresp.grace = std.duration(beresp.http.X-Scoreline-SWR, 0s);
        }
    }
    set beresp.keep = 60s;  # past grace, still revalidated with If-None-Match
    unset beresp.http.X-Scoreline-Edge;
    unset beresp.http.Set-Cookie;
}

sub vcl_backend_error {
    if (bereq.is_bgfetch) {
        return (abandon);  # the gateway is away: keep the stale copy
    }
}

sub vcl_deliver {
    unset resp.http.X-Scoreline-SWR;
    unset resp.http.Surrogate-Control;  # consumed by this surrogate (CDN-Cache-Control stays)
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
