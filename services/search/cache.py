"""Query cache in Redis: key = normalised query + index generation, so any listing change makes every older entry
unreachable at once (a withdrawn listing is never served from the cache); a TTL reclaims the space. The lookup, the
search on a miss and the store are one script of the index (lua/search.lua): this names the keys."""

import hashlib
from dataclasses import dataclass

from prometheus_client import Counter

LOOKUPS = Counter("buurt_search_cache_lookups_total", "Query cache lookups", ["result"])


@dataclass(frozen=True)
class QueryCache:
    prefix: str
    ttl_s: int

    def key(self, normalised: str) -> str:
        """The key of a normalised query, without the generation (the script appends it)."""
        digest = hashlib.sha256(normalised.encode()).hexdigest()[:32]
        return f"{self.prefix}v3:{digest}"  # v3: total + body of the records-based index

