"""Consent worker: decides each partner event exactly once and keeps the hash-chained consent log."""
