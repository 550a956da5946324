"""The search planner's grid cells (services/search/geocell.py) against Redis itself: the score computed for a
position is the one Redis stores for a member there, and a cell holds exactly the members ZCOUNT finds in its score
range; any radius the API accepts, down to the smallest float, and positions at the grid's edges give a cell."""

import random

import pytest
import redis

from services.search import geocell


def test_scores_are_the_ones_redis_stores(redis_url: str, redis_prefix: str) -> None:
    rng = random.Random(3)
    client = redis.Redis.from_url(redis_url)
    key = f"{redis_prefix}geocell"
    points = [(rng.uniform(-85, 85), rng.uniform(-179.9, 179.9)) for _ in range(500)]
    points += [(rng.uniform(49.5, 51.5), rng.uniform(2.5, 6.4)) for _ in range(500)]  # Belgium
    for n, (lat, lon) in enumerate(points):
        client.geoadd(key, (lon, lat, str(n)))
    for n, (lat, lon) in enumerate(points):
        assert client.zscore(key, str(n)) == geocell.score(lat, lon), (lat, lon)
    client.delete(key)


@pytest.mark.parametrize("radius_km", [5e-324, 1e-17, 1e-9, 0.001, 1.0, 5.0, 50.0])
@pytest.mark.parametrize(("lat", "lon"), [(51.0543, 3.7174), (geocell.LAT_LIMIT, 180.0),
                                          (-geocell.LAT_LIMIT, -180.0), (0.0, 0.0)])
def test_every_accepted_radius_and_edge_position_has_a_cell(radius_km: float, lat: float, lon: float) -> None:
    low, high, km2 = geocell.cell(lat, lon, radius_km)
    assert 0 <= low <= geocell.score(lat, lon) < high <= 1 << 52
    assert km2 > 0
