"""In-memory fakes of the services' ports, for unit tests only; each runs through the same contract test as its real
adapter (tests/integration/*_contract.py), so the two cannot drift."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from limits.aio.storage import MemoryStorage

from services.common.categories import CATEGORIES
from services.common.events import Business, KboCheck, KboEnterprise, KboSnapshot, Listing
from services.common.opening import week_ranges
from services.common.supervisor import TaskFactory
from services.kbo import verify
from services.registration.errors import BrokerUnavailable, StoreUnavailable
from services.registration.store import Rates, Status
from services.search.index import (
    Advance,
    Feed,
    Found,
    IndexBehind,
    IndexLost,
    Rendered,
    Rendering,
    current_codes,
    listing_flags,
)
from services.search.meaning import Term, default_lexicon
from services.search.models import Facets, Hit, hit
from services.search.query import SearchQuery, distance_km
from services.search.terms import listing_words, name_words, place_of
from services.search.text import tokens


class InMemoryPublisher:
    """Fake for unit tests: records what was published; can be switched to 'broker down'."""

    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes]] = []
        self.down = False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ready(self) -> bool:
        return not self.down

    def tasks(self) -> dict[str, TaskFactory]:
        return {}

    async def publish(self, topic: str, key: bytes, value: bytes) -> None:
        if self.down:
            raise BrokerUnavailable("the event log is unreachable; retry later")
        self.records.append((topic, key, value))


class InMemoryRequestStore:
    """Same contract as RedisRequestStore (tests/integration/test_request_store_contract.py)."""

    def __init__(self) -> None:
        self.signatures: set[str] = set()
        self.rates = Rates(MemoryStorage())
        self.records: dict[str, dict[str, Any]] = {}
        self.statuses: dict[str, Status] = {}
        self.latest: dict[str, str] = {}
        self.seen: dict[tuple[str, str], dict[str, float]] = {}
        self.forwarders: dict[str, set[str]] = {}
        self.unwritten: list[tuple[dict[str, Status], list[tuple[str, str]]]] = []  # failed put_received writes
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailable("the request store is unreachable; retry later")

    async def first_use(self, signature: str, ttl_s: int) -> bool:
        self._check()
        if signature in self.signatures:
            return False
        self.signatures.add(signature)
        return True

    async def admit(self, partner_id: str, per_minute: int) -> float | None:
        self._check()
        return await self.rates.admit(partner_id, per_minute)

    async def reserve(self, key: str, fingerprint: str) -> dict[str, Any] | None:
        self._check()
        if key in self.records:
            return self.records[key]
        self.records[key] = {"fingerprint": fingerprint, "response": None}
        return None

    async def complete(self, key: str, fingerprint: str, response: dict[str, Any]) -> None:
        self.records[key] = {"fingerprint": fingerprint, "response": response}

    async def release(self, key: str) -> None:
        self.records.pop(key, None)

    async def put_status(self, event_id: str, status: Status) -> None:
        self._check()
        self.statuses[event_id] = status
        self._index(event_id, status)

    async def put_received(self, statuses: dict[str, Status], forwarded: Iterable[tuple[str, str]] = ()) -> None:
        self.unwritten.append((statuses, list(forwarded)))
        self._write_unwritten()

    def _write_unwritten(self) -> None:
        self._check()
        for statuses, forwarded in self.unwritten:
            for event_id, status in statuses.items():
                self.statuses.setdefault(event_id, status)
                self._index(event_id, status)
            for enterprise_number, partner_id in forwarded:
                self.forwarders.setdefault(enterprise_number, set()).add(partner_id)
        self.unwritten.clear()

    def _index(self, event_id: str, status: Status) -> None:
        self.seen.setdefault((status.partner_id, status.enterprise_number), {}).setdefault(event_id, status.updated_at)

    async def get_status(self, event_id: str) -> Status | None:
        self._write_unwritten()
        return self.statuses.get(event_id)

    async def submissions(self, partner_id: str, enterprise_number: str, limit: int) -> list[tuple[str, Status]]:
        self._check()
        seen = self.seen.get((partner_id, enterprise_number), {})
        latest_first = sorted(seen, key=lambda event_id: (seen[event_id], event_id), reverse=True)[:limit]
        return [(event_id, self.statuses[event_id]) for event_id in latest_first]

    async def latest_registration(self, enterprise_number: str, event_id: str | None = None) -> str | None:
        if event_id is not None:
            self.latest[enterprise_number] = event_id
        return self.latest.get(enterprise_number)

    async def add_forwarders(self, enterprise_number: str, partner_ids: Iterable[str]) -> None:
        self._check()
        self.forwarders.setdefault(enterprise_number, set()).update(partner_ids)

    async def forwarded_by(self, enterprise_number: str, partner_id: str) -> bool:
        if any((enterprise_number, partner_id) in forwarded for _, forwarded in self.unwritten):
            return True
        self._check()
        return partner_id in self.forwarders.get(enterprise_number, set())

    async def ready(self) -> bool:
        return not self.down


class InMemoryListingIndex:
    """Same contract as RedisListingIndex (tests/integration/test_listing_index_contract.py)."""

    def __init__(self) -> None:
        self.listings: dict[str, Listing] = {}
        self.words: dict[str, set[str]] = {}
        self._generation = 0
        self.built = False
        self._positions: dict[int, int] = {}

    async def apply(self, changes: Sequence[tuple[str, Listing | None]], guarded: bool = False,
                    advances: Sequence[Advance] = ()) -> None:
        if guarded and not self.built:
            raise IndexLost
        for advance in advances:
            if advance.expected is not None and self._positions.get(advance.partition, -1) != advance.expected:
                raise IndexBehind(f"partition {advance.partition}")
        self._positions.update({advance.partition: advance.to for advance in advances})
        latest = dict(changes)
        for number, listing in latest.items():
            if listing is None:
                self.listings.pop(number, None)
                self.words.pop(number, None)
            else:
                listing = current_codes(listing)
                assert listing is not None
                self.listings[number], self.words[number] = listing, listing_words(listing)
        self._generation += bool(latest)

    async def find(self, query: SearchQuery) -> Found:
        """Every listing measured and filtered, sorted (distance, name, number): the reference the Redis index's
        nearest-first walk is compared with. The total is always exact."""
        if not self.built:
            raise IndexLost
        found = query.terms or default_lexicon().understand(query.words)
        matches = []
        for number, listing in self.listings.items():
            distance = distance_km(query.lat, query.lon, listing.position.lat, listing.position.lon)
            if distance <= query.radius_km and self._passes(listing, self.words[number], query):
                named = bool(found) and _matches(listing, set(tokens(listing.name)), _prefixes_only(found))
                matches.append((not named, distance, " ".join(tokens(listing.name)), number, listing))
        matches.sort(key=lambda m: m[:4])  # a name match of every term first, then the nearest, ties by name
        start = (query.page - 1) * query.size
        page = matches[start:start + query.size]
        facets = _facets([listing for *_, listing in matches]) if query.facets else None
        return Found(len(matches), True, [hit(listing, distance) for _, distance, _, _, listing in page], facets)

    async def search(self, query: SearchQuery, rendering: Rendering) -> Rendered:
        found = await self.find(query)
        results = ",".join(h.model_dump_json() for h in found.hits)
        facets = f',"facets":{found.facets.model_dump_json()}' if found.facets else ""
        body = (f'{{"total":{found.total},"total_exact":true,"page":{query.page},"size":{query.size},'
                f'"results":[{results}]{facets}{rendering.trailer}')
        return Rendered(found.total, body.encode(), False)

    @staticmethod
    def _passes(listing: Listing, words: set[str], query: SearchQuery) -> bool:
        if query.categories and not set(query.categories) & set(listing.categories):
            return False
        if query.open_at is not None and not any(
                start <= query.open_at < end for start, end in week_ranges(listing.channels.opening_hours)):
            return False
        found = query.terms or default_lexicon().understand(query.words)
        return set(query.flags) <= set(listing_flags(listing)) and _matches(listing, words, found)

    async def matching(self, words: Sequence[Term], limit: int, names_only: bool = False) -> list[str]:
        if names_only:
            return sorted(n for n, listing in self.listings.items()
                          if _matches(listing, set(tokens(listing.name)), _prefixes_only(words)))[:limit]
        return sorted(n for n in self.listings if _matches(self.listings[n], self.words[n], words))[:limit]

    async def name_words(self) -> list[str]:
        return sorted(word for word in set().union(*(name_words(listing) for listing in self.listings.values()))
                      if not word[0].isdigit())

    async def feed(self, municipalities: Sequence[str]) -> Feed:
        if not self.built:
            raise IndexLost
        hits = [hit(listing, 0.0) for listing in self.listings.values()
                if "municipal-sites" in listing.purposes and (place := place_of(listing.address)) is not None
                and place.municipality.nis in municipalities]
        return Feed(sorted(hits, key=lambda h: (h.name, h.enterprise_number)), self._generation)

    async def get_many(self, numbers: list[str]) -> list[Hit | None]:
        return [hit(self.listings[n], 0.0) if n in self.listings else None for n in numbers]

    async def generation(self) -> int:
        return self._generation

    async def count(self) -> int:
        return len(self.listings)

    async def category_counts(self) -> dict[str, int]:
        return {code: sum(code in listing.categories for listing in self.listings.values()) for code in CATEGORIES}

    async def listings_in(self, cells: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        placed = [(place_of(listing.address), listing.categories) for listing in self.listings.values()]
        return {(nis, code): sum(1 for place, codes in placed
                                 if place is not None and place.municipality.nis == nis and code in codes)
                for nis, code in cells}

    async def format_current(self) -> bool:
        return True

    async def clear(self) -> None:
        self.listings.clear()
        self.words.clear()
        self._positions.clear()
        self.built = False

    async def is_built(self) -> bool:
        return self.built

    async def mark_built(self, positions: Mapping[int, int] | None = None) -> None:
        self._positions.update(positions or {})
        self.built = True

    async def positions(self) -> dict[int, int]:
        return dict(self._positions)


def _facets(listings: list[Listing]) -> Facets:
    categories: dict[str, int] = {}
    for listing in listings:
        for code in listing.categories:
            categories[code] = categories.get(code, 0) + 1
    return Facets(categories=categories, channels={flag: sum(flag in listing_flags(listing) for listing in listings)
                                                   for flag in ("delivery", "pickup", "webshop")})


def _prefixes_only(found: Iterable[Term]) -> list[Term]:
    return [Term(term.typed, term.prefixes) for term in found]


def _matches(listing: Listing, own: set[str], found: Iterable[Term]) -> bool:
    """Every term has a prefix starting one of the listing's words (of its name, place or category labels), or a
    category of the listing."""
    return all(any(word.startswith(prefix) for prefix in term.prefixes for word in own)
               or bool(set(term.codes) & set(listing.categories)) for term in found)


class KboSnapshotOf:
    """The intake's KBO check against a snapshot held in memory (``records`` by enterprise number; no snapshot:
    every registration is unverified)."""

    def __init__(self, records: dict[str, KboEnterprise] | None = None, snapshot: KboSnapshot | None = None) -> None:
        self.records, self.snapshot = records or {}, snapshot

    def check(self, business: Business) -> KboCheck:
        return verify.check(business, self.records.get(business.enterprise_number), self.snapshot)
