"""A secured Kafka: clients authenticate with SASL/SCRAM-SHA-512 over TLS, one principal per service; the nodes talk
to their controllers over mutual TLS; the StandardAuthorizer allows only what an ACL grants (kafka_acls.py).

Listeners of a node: ``SASL_SSL`` on its port (clients, and the brokers among themselves as ``admin``), ``SSL`` with
client certificates required on its controller port (the principal is the nodes' certificate subject). SCRAM on the
controller listener is not possible in KRaft (the credentials live in the metadata the controllers serve), hence TLS
there. The SCRAM credentials are written into the storage when it is formatted (``--add-scram``), so the cluster is
secured from its first start; passwords come from the caller (``buurt-infra`` keeps them in the data directory's
``kafka-users.env``, mode 0600)."""

from dataclasses import dataclass, field
from typing import Any

from services.common.kafka_client import MECHANISM, scram_options
from services.infra.tls import NODE_SUBJECT, Tls

ADMIN = "admin"


@dataclass(frozen=True)
class Secured:
    tls: Tls
    passwords: dict[str, str] = field(default_factory=dict, repr=False)  # principal -> password; ADMIN among them

    def server_lines(self, host: str, port: int, controller_port: int) -> list[str]:
        admin = self.passwords[ADMIN]
        return [
            f"listeners=SASL_SSL://{host}:{port},CONTROLLER://{host}:{controller_port}",
            f"advertised.listeners=SASL_SSL://{host}:{port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=SASL_SSL",
            "listener.security.protocol.map=CONTROLLER:SSL,SASL_SSL:SASL_SSL",
            f"sasl.enabled.mechanisms={MECHANISM}",
            f"sasl.mechanism.inter.broker.protocol={MECHANISM}",
            f"listener.name.sasl_ssl.{MECHANISM.lower()}.sasl.jaas.config="
            f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{ADMIN}" '
            f'password="{admin}";',
            "listener.name.controller.ssl.client.auth=required",
            "ssl.keystore.type=PEM",
            f"ssl.keystore.location={self.tls.node}",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={self.tls.ca}",
            "ssl.endpoint.identification.algorithm=https",
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "allow.everyone.if.no.acl.found=false",
            f"super.users=User:{ADMIN};User:{NODE_SUBJECT}",
        ]

    def client_options(self, principal: str) -> dict[str, Any]:
        """aiokafka's options for a client authenticating as ``principal``."""
        return scram_options(self.tls.ca, principal, self.passwords[principal])

    def librdkafka_options(self, principal: str) -> dict[str, str]:
        """librdkafka's (confluent-kafka's) settings for a client authenticating as ``principal``."""
        return {"security.protocol": "SASL_SSL", "sasl.mechanism": MECHANISM, "sasl.username": principal,
                "sasl.password": self.passwords[principal], "ssl.ca.location": str(self.tls.ca)}

    def env(self, principal: str) -> dict[str, str]:
        """The variables by which a service authenticates as ``principal`` (services/common/kafka_client.py)."""
        return {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": principal,
                "KAFKA_SASL_PASSWORD": self.passwords[principal], "KAFKA_SSL_CAFILE": str(self.tls.ca)}

    def format_args(self) -> list[str]:
        """The storage tool's arguments that write every principal's SCRAM credential."""
        return [arg for name, password in sorted(self.passwords.items())
                for arg in ("--add-scram", f"{MECHANISM}=[name={name},password={password}]")]

