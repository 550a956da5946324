"""The intake's last steps before an event is published, the same for every way it came (HTTP, batch, CSV,
CloudEvents, a partner's Kafka ingress): a registration's KBO check is stamped on it (kbo_check.py) and its
consenting person sealed to the consent worker's intake key (services/common/sealing.py), so that
``registrations.submitted`` never holds the person in clear."""

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from services.common import events, sealing
from services.registration.kbo_check import Verifier


class Finisher:
    def __init__(self, kbo: Verifier, intake_key: X25519PublicKey | None) -> None:
        self.kbo, self.intake_key = kbo, intake_key

    def finish(self, event: events.AnyPartnerEvent) -> events.AnyPartnerEvent:
        """Raises KboRestoring while this replica's KBO store cannot answer yet."""
        if not isinstance(event, events.RegistrationSubmitted):
            return event
        update: dict[str, object] = {"kbo": self.kbo.check(event.business)}
        consent = event.consent
        if consent is not None and consent.person is not None and self.intake_key is not None:
            sealed = sealing.seal(self.intake_key, event.business.enterprise_number,
                                  consent.person.model_dump_json().encode())
            update["consent"] = consent.model_copy(update={"person": None, "person_sealed": sealed})
        return event.model_copy(update=update)
