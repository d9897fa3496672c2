"""A deterministic generator of realistic community population registers (居民花名册).

Community workers keep their register as an Excel sheet, one row per person, households contiguous
with the head (户主) first. This module writes such registers for the demo data, the acceptance test
(城关社区, 13,456 persons with planted bad rows) and the import benchmark (100,000 to 1,000,000 rows).

It is pure Python (no database, no Django models) and deterministic: every random choice comes from
one ``random.Random(profile.seed)`` and ages are taken on the fixed :data:`REFERENCE_DATE`, never
on the wall clock. :func:`rows` streams: it keeps one block of households in memory at a time plus
small tables bounded by the number of distinct birth dates, so a million rows need little memory.

What a profile fixes exactly, and the generated register honours exactly:

* the number of persons (rows) and of households (distinct 户号);
* the number of persons of each ethnic group (:meth:`Profile.ethnic_counts`);
* the number of party members (all aged 18 or over, each with a 所在党组织) and of probationary ones.

Household numbers (户号) are ``<PREFIX>-<serial>``: the letters of the first grid code (``CG`` for
``CG01``; ``H`` when the grid codes have no letters), a dash and a zero-padded serial of at least
five digits numbering the households 1..N in file order, e.g. ``CG-00001``. They are unique within
the community and stay text when a spreadsheet program opens the file.

The cells are written the varied ways real files have them, all of which the importer must accept:
the birth date column as ``1980-01-02``, ``19800102``, ``1980/1/2`` or ``1980年1月2日``; the group
column as ``第一居民小组``, ``1组`` or ``1``; relationship, political status and education as GB/T
names or their common aliases (``妻``, ``中共党员``, ``本科``). Every coded value resolves through
:func:`tongxin.core.codes.table` lookups, sexes agree with ID numbers and with the relationships, and
every birth date column agrees with the ID number.

:func:`plant_errors` turns every n-th row into a row the importer must reject and logs what it did.
"""

from tongxin.registry.generate.files import ERROR_KINDS, PlantedErrors, plant_errors, write_csv, write_xlsx
from tongxin.registry.generate.generator import rows
from tongxin.registry.generate.profiles import HEADERS, REFERENCE_DATE, Profile, chengguan, synthetic, taoyuan

__all__ = [
    "ERROR_KINDS",
    "HEADERS",
    "REFERENCE_DATE",
    "PlantedErrors",
    "Profile",
    "chengguan",
    "plant_errors",
    "rows",
    "synthetic",
    "taoyuan",
    "write_csv",
    "write_xlsx",
]
