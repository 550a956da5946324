"""buurt-partner: send registrations, withdrawals, erasure requests and spreadsheets to a buurt directory, read their
statuses and consent receipts. See the platform's docs/partners.md."""

from buurt_partner.client import Client
from buurt_partner.errors import BuurtError, ConnectionFailed, ProblemError, Unavailable
from buurt_partner.results import Accepted, BulkResult, FieldError, ItemResult, Submission
from buurt_partner.retrying import Retry, RetryPolicy

__all__ = ["Accepted", "BulkResult", "BuurtError", "Client", "ConnectionFailed", "FieldError", "ItemResult",
           "ProblemError", "Retry", "RetryPolicy", "Submission", "Unavailable"]
