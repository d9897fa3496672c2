"""Photos and files of cases: stored through core.files (checked by content and size, photos upright and without
their metadata, a thumbnail), served only through the case's scoped routes (``cases:attachment``).

A phone report whose form comes back with an error keeps its photos: they are stored once as
:class:`~tongxin.cases.models.PendingPhoto` rows of the uploader, the re-rendered form carries signed references
to them (:func:`pending_token`), and the case takes them when the report goes through (:func:`adopt`). A kept
photo nobody sends is deleted after ``PENDING_HOURS`` (by the worker's clock, or the next report that keeps one)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from tongxin.cases.models import Attachment, Case, CaseStep, PendingPhoto

#: how long a kept photo of an unsent report waits for its report
PENDING_HOURS = 24
_SALT = "tongxin.cases.pending-photo"


def add_attachment(case: Case, f: UploadedFile, user: Any, step: CaseStep | None = None) -> Attachment:
    """Store a checked upload of ``case`` (linked to a timeline ``step`` when given)."""
    return Attachment(case=case, step=step).store(f, user)


def keep(uploads: Iterable[UploadedFile], user: Any) -> list[PendingPhoto]:
    """Store the (already checked) uploads of a report that could not be sent yet, for ``user`` only; drop the
    kept photos of everyone that waited longer than ``PENDING_HOURS``."""
    purge_expired()
    return [PendingPhoto().store(f, user) for f in uploads]


def pending_token(photo: PendingPhoto) -> str:
    """The signed reference to a kept photo that the re-rendered form carries (it names the photo and its owner)."""
    return signing.dumps([photo.pk, photo.uploaded_by_id], salt=_SALT)


def from_tokens(tokens: Iterable[str], user: Any) -> list[PendingPhoto]:
    """The kept photos of ``user`` named by the form's references; forged, expired or someone else's references
    are ignored."""
    pks = []
    for token in tokens:
        try:
            pk, owner = signing.loads(token, salt=_SALT, max_age=datetime.timedelta(hours=PENDING_HOURS))
        except (signing.BadSignature, ValueError, TypeError):
            continue
        if owner == user.pk:
            pks.append(pk)
    return list(PendingPhoto.objects.filter(pk__in=pks, uploaded_by=user))


def adopt(photos: Iterable[PendingPhoto]) -> list[ContentFile]:
    """The kept photos as uploads again, to hand to ``services.report`` with the new ones."""
    out = []
    for p in photos:
        with p.file.open("rb") as fh:
            out.append(ContentFile(fh.read(), name=p.name))
    return out


def discard(photos: Iterable[PendingPhoto]) -> None:
    """Delete kept photos and their files (once the case holds its own copies, or when they expired)."""
    for p in photos:
        p.file.delete(save=False)
        if p.thumbnail:
            p.thumbnail.delete(save=False)
        p.delete()


def purge_expired(now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete every kept photo older than ``PENDING_HOURS`` (run hourly on the worker's clock, and whenever a
    photo is kept); how many were deleted."""
    cutoff = (now or timezone.now()) - datetime.timedelta(hours=PENDING_HOURS)
    old = list(PendingPhoto.objects.filter(created__lt=cutoff))
    discard(old)
    return {"pending_photos": len(old)}
