"""``python -m services.consent`` runs the consent worker (same as ``buurt-consent``)."""

from services.consent.main import run

run()
