"""Geohash cells for the map's density layer, keyed the standard way (longitude bit first).

A search server's ``geohash_grid`` key is trusted only when its cell holds the
``geo_centroid`` the server computed for it: osmem-server (demo and tests)
interleaves latitude first, so its key for New York is ``mc3``, a cell in the
Indian Ocean, while the centroid is right. The centroid of points in a cell lies
in that cell, so re-encoding it gives the standard key on any server.
"""

from __future__ import annotations

BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
_BITS = {char: index for index, char in enumerate(BASE32)}

Bounds = tuple[tuple[float, float], tuple[float, float]]
"""((south, west), (north, east))"""


def encode(lat: float, lon: float, precision: int) -> str:
    """The standard geohash of a point, ``precision`` characters long."""
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError(f"not a point on Earth: {lat},{lon}")
    lat_range, lon_range = [-90.0, 90.0], [-180.0, 180.0]
    chars: list[str] = []
    bits, value, even = 0, 0, True
    while len(chars) < precision:
        span, coordinate = (lon_range, lon) if even else (lat_range, lat)
        middle = (span[0] + span[1]) / 2
        value <<= 1
        if coordinate >= middle:
            value |= 1
            span[0] = middle
        else:
            span[1] = middle
        even = not even
        bits += 1
        if bits == 5:
            chars.append(BASE32[value])
            bits, value = 0, 0
    return "".join(chars)


def bounds(key: str) -> Bounds:
    """The cell of a standard geohash; ``ValueError`` for a string that is not one."""
    if not key or any(char not in _BITS for char in key):
        raise ValueError(f"not a geohash: {key!r}")
    lat_range, lon_range = [-90.0, 90.0], [-180.0, 180.0]
    even = True
    for char in key:
        bits = _BITS[char]
        for mask in (16, 8, 4, 2, 1):
            span = lon_range if even else lat_range
            middle = (span[0] + span[1]) / 2
            if bits & mask:
                span[0] = middle
            else:
                span[1] = middle
            even = not even
    return (lat_range[0], lon_range[0]), (lat_range[1], lon_range[1])


def contains(key: str, lat: float, lon: float) -> bool:
    try:
        (south, west), (north, east) = bounds(key)
    except ValueError:
        return False
    return south <= lat <= north and west <= lon <= east


def standard_key(key: str, lat: float | None, lon: float | None) -> str:
    """The server's key if its cell holds the centroid, else the centroid's own cell."""
    if lat is None or lon is None or contains(key, lat, lon):
        return key
    return encode(lat, lon, len(key))
