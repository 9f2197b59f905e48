"""Throwaway credentials for the local push servers: a TLS certificate, an APNs
signing key (.p8, EC P-256) and a Firebase service account (RSA), all generated with
``cryptography``; nothing here is a secret worth keeping.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class TlsFiles:
    """A self-signed certificate (also the CA file clients trust) and its key."""

    cert_file: Path
    key_file: Path


def write_self_signed_cert(
    directory: Path, hosts: tuple[str, ...] = ("localhost", "127.0.0.1")
) -> TlsFiles:
    """Write ``push-ca.pem`` (certificate) and ``push-key.pem`` into ``directory``, valid
    for ``hosts`` (names and IP addresses) for a week."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "scoreline local push")])
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        # An end-entity certificate (rustls and Go refuse a CA certificate as a server's).
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    files = TlsFiles(directory / "push-ca.pem", directory / "push-key.pem")
    files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@dataclass(frozen=True)
class ApnsKey:
    """An APNs token-signing key as Apple hands it out (a PKCS#8 ``.p8``) and its ids."""

    private_pem: bytes
    public_pem: bytes
    key_id: str  # 10 characters, like Apple's
    team_id: str  # 10 characters, like Apple's

    def write(self, directory: Path) -> Path:
        """Write ``AuthKey_<key id>.p8``; its path."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"AuthKey_{self.key_id}.p8"
        path.write_bytes(self.private_pem)
        return path


def make_apns_key() -> ApnsKey:
    key = ec.generate_private_key(ec.SECP256R1())
    return ApnsKey(
        private_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        public_pem=_public_pem(key.public_key()),
        key_id=secrets.token_hex(5).upper(),
        team_id=secrets.token_hex(5).upper(),
    )


@dataclass(frozen=True)
class ServiceAccountKey:
    """A Google service account's RSA key and identity (what its JSON file holds)."""

    project_id: str
    client_email: str
    private_key_id: str
    private_pem: bytes
    public_pem: bytes

    def write(self, directory: Path, token_uri: str) -> Path:
        """Write ``service-account.json`` in Google's format, with ``token_uri``; its path."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "service-account.json"
        path.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": self.project_id,
                    "private_key_id": self.private_key_id,
                    "private_key": self.private_pem.decode(),
                    "client_email": self.client_email,
                    "client_id": str(secrets.randbelow(10**20)),
                    "token_uri": token_uri,
                },
                indent=2,
            )
        )
        return path


def make_service_account_key(project_id: str = "scoreline-local") -> ServiceAccountKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ServiceAccountKey(
        project_id=project_id,
        client_email=f"push@{project_id}.iam.gserviceaccount.com",
        private_key_id=secrets.token_hex(20),
        private_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        public_pem=_public_pem(key.public_key()),
    )


def _public_pem(key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
