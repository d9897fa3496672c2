"""Photos and files of cases: stored through core.files (checked by content and size, photos upright and without
their metadata, a thumbnail), served only through the case's scoped routes (``cases:attachment``)."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile

from tongxin.cases.models import Attachment, Case, CaseStep


def add_attachment(case: Case, f: UploadedFile, user: Any, step: CaseStep | None = None) -> Attachment:
    """Store a checked upload of ``case`` (linked to a timeline ``step`` when given)."""
    return Attachment(case=case, step=step).store(f, user)
