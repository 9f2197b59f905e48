"""Local HTTP/2 + TLS servers speaking the APNs provider API and FCM HTTP v1 (with its
OAuth2 token endpoint): the tests' and the benchmark's push services."""

from bench.push_servers.apns_server import ApnsDelivery, ApnsServer
from bench.push_servers.credentials import (
    ApnsKey,
    ServiceAccountKey,
    TlsFiles,
    make_apns_key,
    make_service_account_key,
    write_self_signed_cert,
)
from bench.push_servers.fcm_server import FcmDelivery, FcmServer
from bench.push_servers.local import LocalPushServers, PushServerFiles, push_servers_in_thread
from bench.push_servers.recording import Faults, Recorder, RecordMode

__all__ = [
    "ApnsDelivery",
    "ApnsKey",
    "ApnsServer",
    "Faults",
    "FcmDelivery",
    "FcmServer",
    "LocalPushServers",
    "PushServerFiles",
    "RecordMode",
    "Recorder",
    "ServiceAccountKey",
    "TlsFiles",
    "make_apns_key",
    "make_service_account_key",
    "push_servers_in_thread",
    "write_self_signed_cert",
]
