"""A local certificate authority and the Kafka nodes' certificate, made with `cryptography` on first use and kept
beside the cluster's data (mode 0600 for the keys), never in git.

The nodes share one certificate (subject ``CN=buurt-kafka-node``, every node's address in its subject alternative
names): clients check it against the CA; the controllers require it of each other and of the brokers (mutual TLS on
the controller listener, whose principal is that subject)."""

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NODE_SUBJECT = "CN=buurt-kafka-node"
VALID = datetime.timedelta(days=825)


@dataclass(frozen=True)
class Tls:
    """Where the PEM files are: the CA's certificate (clients' trust), the nodes' key and certificate chain."""

    home: Path

    @property
    def ca(self) -> Path:
        return self.home / "ca.pem"

    @property
    def node(self) -> Path:
        """The node's private key (PKCS#8) then its certificate and the CA's: Kafka's PEM keystore."""
        return self.home / "node.pem"


def ensure(home: Path, hosts: list[str]) -> Tls:
    """The CA and node certificate under ``home``, made once for these hosts (names or IP addresses)."""
    tls = Tls(home)
    if tls.ca.exists() and tls.node.exists():
        return tls
    home.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _certificate(_name("buurt local CA"), _name("buurt local CA"), ca_key, ca_key, ca=True, hosts=[])
    node_key = ec.generate_private_key(ec.SECP256R1())
    node_cert = _certificate(_name("buurt-kafka-node"), ca_cert.subject, node_key, ca_key, ca=False, hosts=hosts)
    tls.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    key_pem = node_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
    tls.node.touch(mode=0o600)
    tls.node.write_bytes(key_pem + node_cert.public_bytes(serialization.Encoding.PEM)
                         + ca_cert.public_bytes(serialization.Encoding.PEM))
    return tls


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey,
                 signer: ec.EllipticCurvePrivateKey, ca: bool, hosts: list[str]) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + VALID)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if hosts:
        builder = builder.add_extension(x509.SubjectAlternativeName([_alternative(host) for host in hosts]),
                                        critical=False)
    return builder.sign(signer, hashes.SHA256())


def _alternative(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)
