"""The cell of Redis GEO's grid around a point, as a range of the 52-bit geohash scores Redis gives GEO members
(``ZCOUNT`` over it counts the members in the cell in O(log n): how dense the index is where a search starts)."""

from math import cos, floor, log2, radians

LAT_LIMIT = 85.05112878  # Redis's Web Mercator bounds
STEP = 26  # bits per axis of a member's score
KM_PER_DEGREE = 111.195


def _spread(value: int) -> int:
    """The bits of a 26-bit number at the even positions of a 52-bit one."""
    value &= (1 << STEP) - 1
    for shift, mask in ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF), (4, 0x0F0F0F0F0F0F0F0F),
                        (2, 0x3333333333333333), (1, 0x5555555555555555)):
        value = (value | (value << shift)) & mask
    return value


def score(lat: float, lon: float) -> int:
    """The score Redis stores for a member at this position (latitude bits even, longitude bits odd)."""
    top = (1 << STEP) - 1  # the northern and eastern edges belong to the last cell, as in Redis
    lat_bits = min(top, int((lat + LAT_LIMIT) / (2 * LAT_LIMIT) * (1 << STEP)))
    lon_bits = min(top, int((lon + 180) / 360 * (1 << STEP)))
    return _spread(lat_bits) | (_spread(lon_bits) << 1)


def cell(lat: float, lon: float, size_km: float) -> tuple[int, int, float]:
    """The grid cell around a point about ``size_km`` high or higher: its scores [low, high) and its area in km²."""
    cells = 2 * LAT_LIMIT * KM_PER_DEGREE / size_km  # per axis; infinite for a radius of a few atoms
    step = STEP if cells >= 1 << STEP else max(1, floor(log2(cells)))
    shift = 2 * (STEP - step)
    low = score(lat, lon) >> shift << shift
    height = 2 * LAT_LIMIT / 2**step * KM_PER_DEGREE
    width = 360 / 2**step * KM_PER_DEGREE * max(cos(radians(lat)), 0.01)
    return low, low + (1 << shift), height * width
