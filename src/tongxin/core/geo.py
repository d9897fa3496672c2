"""Small geographic helpers: GeoJSON polygon validation, point in polygon, distances, WGS-84 ↔ GCJ-02."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _


def validate_polygon(geojson: Any) -> None:
    """Raise ValueError (with a Chinese message) unless ``geojson`` is a valid Polygon or MultiPolygon.

    Accepts a bare geometry, a Feature or a FeatureCollection with one feature.
    """
    geom = geojson
    if isinstance(geom, dict) and geom.get("type") == "FeatureCollection":
        features = geom.get("features") or []
        if len(features) != 1:
            raise ValueError(_("GeoJSON 要素集合应只含一个要素，实际 %(n)s 个") % {"n": len(features)})
        geom = features[0]
    if isinstance(geom, dict) and geom.get("type") == "Feature":
        geom = geom.get("geometry")
    if not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError(_("边界应为 GeoJSON 的 Polygon 或 MultiPolygon"))
    polygons = geom.get("coordinates")
    if geom["type"] == "Polygon":
        polygons = [polygons]
    if not isinstance(polygons, list) or not polygons:
        raise ValueError(_("边界缺少坐标"))
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise ValueError(_("多边形缺少坐标环"))
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise ValueError(_("坐标环至少需要 4 个点（首尾相同）"))
            for point in ring:
                if not (isinstance(point, list | tuple) and len(point) >= 2):
                    raise ValueError(_("坐标点格式错误：%(p)s") % {"p": point})
                lng, lat = point[0], point[1]
                if not (isinstance(lng, int | float) and isinstance(lat, int | float)):
                    raise ValueError(_("坐标点格式错误：%(p)s") % {"p": point})
                if not (-180 <= lng <= 180 and -90 <= lat <= 90):
                    raise ValueError(_("经纬度超出范围：%(p)s") % {"p": point})
            if list(ring[0][:2]) != list(ring[-1][:2]):
                raise ValueError(_("坐标环首尾点应相同"))


_A = 6378245.0
_EE = 0.00669342162296594323


def _out_of_china(lng: float, lat: float) -> bool:
    return not (73.66 < lng < 135.05 and 3.86 < lat < 53.55)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """Convert WGS-84 (GPS) to GCJ-02 (Chinese map tiles); identity outside China."""
    if _out_of_china(lng, lat):
        return lng, lat
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """Convert GCJ-02 back to WGS-84 by iteration (error well under a metre)."""
    wlng, wlat = lng, lat
    for _i in range(10):
        glng, glat = wgs84_to_gcj02(wlng, wlat)
        wlng, wlat = wlng - (glng - lng), wlat - (glat - lat)
    return wlng, wlat


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6_371_000
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def contains(geojson: Any, x: float, y: float) -> bool:
    """Point (x = longitude, y = latitude) in a GeoJSON Polygon/MultiPolygon (ray casting on the outer rings,
    holes excluded)."""
    geom = geojson.get("geometry", geojson) if isinstance(geojson, dict) else None
    if not geom:
        return False
    polys = [geom["coordinates"]] if geom.get("type") == "Polygon" else geom.get("coordinates", [])
    return any(rings and _in_ring(rings[0], x, y) and not any(_in_ring(h, x, y) for h in rings[1:]) for rings in polys)


def _in_ring(ring: Sequence[Sequence[float]], x: float, y: float) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / ((yj - yi) or 1e-12) + xi:
            inside = not inside
        j = i
    return inside
