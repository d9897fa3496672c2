"""The register import: a community's Excel register (花名册) → persons, households and memberships.

It reuses :mod:`tongxin.core.importer` (file reading, header aliases, the job, the error workbook) and
replaces the per-row form with a two-pass path built for files of a million rows:

1. **Validate.** Every row is parsed and checked (ID number, sex and birth date against it, ethnicity,
   codes, phones); rejected rows are recorded with every reason; valid rows are spilled to a temporary
   file (``marshal``), so memory does not grow with the file. ID numbers are counted, so that a number
   on two rows rejects both (the file contradicts itself), and households' heads are counted.
2. **Write.** Groups, party branches and households first, then persons in chunks: existing persons are
   found by the keyed hash of their ID number (or by name + birth date + sex), compared field by field,
   and created or updated in bulk, with their memberships; then households' heads. Every write is one
   change-log entry under the import's batch id.

A blank cell never clears a stored value (a register may be partial); a changed cell updates that field.
"""

from tongxin.registry.register import common
from tongxin.registry.register.common import COLUMNS, HEADERS, Outcome
from tongxin.registry.register.importer import RegisterImporter
from tongxin.registry.register.workbook import register_row, register_workbook, template_workbook

__all__ = [
    "COLUMNS",
    "HEADERS",
    "Outcome",
    "RegisterImporter",
    "common",
    "register_row",
    "register_workbook",
    "template_workbook",
]
