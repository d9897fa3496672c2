"""Photos and files of cases: checked by their content (never the browser's claim) and size, stored with a
thumbnail for photos, served only through the case's scoped routes (``cases:attachment``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from tongxin.cases.models import Attachment, Case, CaseStep

ALLOWED_TYPES = {
    "image/jpeg": Attachment.Kind.PHOTO,
    "image/png": Attachment.Kind.PHOTO,
    "image/webp": Attachment.Kind.PHOTO,
    "image/heic": Attachment.Kind.PHOTO,
    "application/pdf": Attachment.Kind.DOCUMENT,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": Attachment.Kind.DOCUMENT,
    "application/msword": Attachment.Kind.DOCUMENT,
}
_MAGIC = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG": "image/png",
    b"%PDF": "application/pdf",
    b"PK\x03\x04": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    b"\xd0\xcf\x11\xe0": "application/msword",
}


def sniff(head: bytes) -> str:
    """The real type of a file from its first bytes (the browser's claim is not trusted)."""
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image/heic"
    return ""


def check_upload(f: UploadedFile) -> str:
    """The content type of an acceptable upload; ValidationError naming the file otherwise."""
    limit = settings.CASE_UPLOAD_MAX_MB * 1024 * 1024
    if f.size > limit:
        raise ValidationError(
            _("文件“%(f)s”大小 %(s).1f MB，超过上限 %(m)s MB")
            % {"f": f.name, "s": f.size / 1048576, "m": settings.CASE_UPLOAD_MAX_MB}
        )
    f.seek(0)
    kind = sniff(f.read(16))
    f.seek(0)
    if kind == "application/vnd.openxmlformats-officedocument.wordprocessingml.document" and not _is_docx(f):
        kind = ""
    if kind not in ALLOWED_TYPES:
        raise ValidationError(
            _("文件“%(f)s”的类型不支持：只能上传 JPG、PNG、WEBP、HEIC 照片或 PDF、Word 文件") % {"f": f.name}
        )
    return kind


def _is_docx(f: UploadedFile) -> bool:
    """A ZIP file is a Word document only if it holds word/document.xml."""
    import zipfile

    try:
        with zipfile.ZipFile(f) as z:
            return "word/document.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False
    finally:
        f.seek(0)


def add_attachment(case: Case, f: UploadedFile, user: Any, step: CaseStep | None = None) -> Attachment:
    """Store a checked upload with a thumbnail for photos."""
    kind = check_upload(f)
    att = Attachment(
        case=case,
        step=step,
        kind=ALLOWED_TYPES[kind],
        name=f.name[:200],
        content_type=kind,
        size=f.size,
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    att.file.save(f.name, f, save=False)
    if att.kind == Attachment.Kind.PHOTO:
        thumb = _thumbnail(f)
        if thumb is not None:
            att.thumbnail.save("thumb.jpg", thumb, save=False)
    att.save()
    return att


def _thumbnail(f: UploadedFile) -> Any:
    """A 320-pixel JPEG of a photo (None if the image cannot be decoded, e.g. HEIC without a codec)."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image, ImageOps, UnidentifiedImageError

    f.seek(0)
    try:
        with Image.open(f) as img:
            img = ImageOps.exif_transpose(img)
            img.thumbnail((320, 320))
            out = io.BytesIO()
            img.convert("RGB").save(out, "JPEG", quality=80)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    finally:
        f.seek(0)
    return ContentFile(out.getvalue())
