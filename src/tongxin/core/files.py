"""Photos and files for any model: checked by their content (never the browser's claim) and size, photos turned
upright with their metadata (the camera's location among it) stripped, a thumbnail beside them, and served only
through a scoped route, never a public ``/media/`` URL.

A module declares a concrete attachment model on :class:`FileAttachment` (the owner's foreign key and the scope
like the owner's), stores uploads with :meth:`FileAttachment.store`, takes them in forms with
:class:`tongxin.core.forms.MultipleFileField` (checked here; photos are shrunk in the browser first, see
``tongxin.js``), and serves them with :func:`serve`, which checks the viewer's scope on the attachment row.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.core import scoping

PHOTO, DOCUMENT = "photo", "document"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: the types accepted, by the type read from the file's first bytes, and what they are
ALLOWED_TYPES = {
    "image/jpeg": PHOTO,
    "image/png": PHOTO,
    "image/webp": PHOTO,
    "image/heic": PHOTO,
    "application/pdf": DOCUMENT,
    DOCX: DOCUMENT,
    "application/msword": DOCUMENT,
}
_MAGIC = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG": "image/png",
    b"%PDF": "application/pdf",
    b"PK\x03\x04": DOCX,
    b"\xd0\xcf\x11\xe0": "application/msword",
}
THUMBNAIL_PX = 320


def sniff(head: bytes) -> str:
    """The real type of a file from its first bytes ("" when it is none of the accepted types)."""
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image/heic"
    return ""


def _is_docx(f: Any) -> bool:
    """A ZIP file is a Word document only if it holds word/document.xml."""
    try:
        with zipfile.ZipFile(f) as z:
            return "word/document.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False
    finally:
        f.seek(0)


def check_upload(f: Any) -> str:
    """The content type of an acceptable upload; a ValidationError naming the file and what is wrong otherwise
    (larger than ``TONGXIN_UPLOAD_MAX_MB``, or not a JPG, PNG, WEBP, HEIC photo or a PDF or Word file)."""
    limit = settings.UPLOAD_MAX_MB * 1024 * 1024
    if f.size > limit:
        raise ValidationError(
            _("文件“%(f)s”大小 %(s).1f MB，超过上限 %(m)s MB")
            % {"f": f.name, "s": f.size / 1048576, "m": settings.UPLOAD_MAX_MB}
        )
    f.seek(0)
    kind = sniff(f.read(16))
    f.seek(0)
    if kind == DOCX and not _is_docx(f):
        kind = ""
    if kind not in ALLOWED_TYPES:
        raise ValidationError(
            _("文件“%(f)s”的类型不支持：只能上传 JPG、PNG、WEBP、HEIC 照片或 PDF、Word 文件") % {"f": f.name}
        )
    return kind


def _open_image(f: Any) -> Any:
    """The upright image of a photo upload, or None when it cannot be decoded (HEIC without a codec)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    f.seek(0)
    try:
        with Image.open(f) as img:
            upright = ImageOps.exif_transpose(img)
            upright.load()
            return upright
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    finally:
        f.seek(0)


#: the photo types saved again without their metadata, and how
_RESAVE = {"image/jpeg": ("JPEG", {"quality": 90}), "image/png": ("PNG", {}), "image/webp": ("WEBP", {"quality": 90})}


def without_metadata(f: Any, content_type: str) -> Any:
    """A JPEG, PNG or WEBP photo turned upright and saved again without its metadata (EXIF: the camera, the time
    and the place it was taken); documents, and photos Pillow cannot decode (HEIC without a codec: browsers
    send JPEG from the photo inputs, which shrink photos first), as they are."""
    if content_type not in _RESAVE:
        return f
    img = _open_image(f)
    if img is None:
        return f
    fmt, options = _RESAVE[content_type]
    out = io.BytesIO()
    (img if fmt == "PNG" else img.convert("RGB")).save(out, fmt, **options)
    return ContentFile(out.getvalue(), name=f.name)


def thumbnail(f: Any) -> ContentFile | None:
    """A small JPEG of a photo (None if the image cannot be decoded)."""
    img = _open_image(f)
    if img is None:
        return None
    img.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    out = io.BytesIO()
    img.convert("RGB").save(out, "JPEG", quality=80)
    return ContentFile(out.getvalue(), name="thumb.jpg")


def upload_path(instance: FileAttachment, filename: str) -> str:
    """Files go under <app>/<year>/<month>/ with a random name (the original name is kept in ``name``)."""
    suffix = Path(filename).suffix.lower()[:8]
    today = timezone.localdate()
    return f"{instance._meta.app_label}/{today:%Y/%m}/{uuid.uuid4().hex}{suffix}"


class FileAttachment(models.Model):
    """Base of a module's attachment model: a checked file, its type and a thumbnail for photos. The concrete
    model adds its owner's foreign key and declares its scope like the owner's."""

    class Kind(models.TextChoices):
        PHOTO = PHOTO, gettext_lazy("照片")
        DOCUMENT = DOCUMENT, gettext_lazy("文件")

    kind = models.CharField(gettext_lazy("类型"), max_length=16, choices=Kind.choices, default=Kind.PHOTO)
    file = models.FileField(gettext_lazy("文件"), upload_to=upload_path)
    thumbnail = models.FileField(gettext_lazy("缩略图"), upload_to=upload_path, blank=True)
    name = models.CharField(gettext_lazy("文件名"), max_length=200)
    content_type = models.CharField(gettext_lazy("文件类型"), max_length=100)
    size = models.PositiveIntegerField(gettext_lazy("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("上传人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True

    def store(self, f: Any, user: Any, *, strip_metadata: bool = True) -> FileAttachment:
        """Check the upload, keep it (a photo upright and without its metadata unless ``strip_metadata`` is
        False), make the thumbnail of a photo and save the row (change-logged like any domain row)."""
        content_type = check_upload(f)
        self.kind = ALLOWED_TYPES[content_type]
        self.name = f.name[:200]
        self.content_type = content_type
        self.uploaded_by = user if getattr(user, "is_authenticated", False) else None
        kept = without_metadata(f, content_type) if strip_metadata and self.kind == PHOTO else f
        self.size = kept.size
        self.file.save(f.name, kept, save=False)
        if self.kind == PHOTO:
            thumb = thumbnail(kept)
            if thumb is not None:
                self.thumbnail.save("thumb.jpg", thumb, save=False)
        self.save()
        return self


def serve(
    request: HttpRequest, queryset: models.QuerySet, pk: int, *, owner: type[models.Model], thumb: bool = False
) -> HttpResponse:
    """A file (or its thumbnail) of an attachment row for whoever may view that row (403 without the permission
    to view ``owner``, the model the files belong to; 404 outside the scope). Besides a logged-in browser, an API
    client may fetch it with its token, also as ``?api_key=`` (as the Open311 ``media_url`` is handed out)."""
    if not request.user.is_authenticated:
        from tongxin.core.models import ApiToken

        user = ApiToken.for_request(request, param="api_key")
        if user is None:
            return redirect_to_login(request.get_full_path())
        request.user = user
    if not scoping.has_perm(request.user, owner, "view"):
        raise PermissionDenied
    att = scoping.get_scoped_object(queryset, request.user, "view", pk=pk)
    f = att.thumbnail if thumb and att.thumbnail else att.file
    try:
        handle = f.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/jpeg" if thumb and att.thumbnail else att.content_type)
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
