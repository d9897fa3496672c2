"""core.files: uploads checked by content and size, photos stored upright without their metadata (the camera's
location), a thumbnail beside them, served only through a scoped route; every photo input shrinks in the browser."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tongxin.cases.attachments import add_attachment
from tongxin.core import files

from ..cases.helpers import report

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo_with_location(width=400, height=200) -> SimpleUploadedFile:
    """A JPEG taken sideways (EXIF orientation 6) at a place (GPS latitude in its EXIF)."""
    img = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # rotate 90° to show upright
    exif[GPS_IFD] = {1: "N", 2: (25.0, 3.0, 0.0), 3: "E", 4: (102.0, 43.0, 0.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return SimpleUploadedFile("现场.jpg", out.getvalue(), content_type="image/jpeg")


def test_a_file_is_judged_by_its_bytes_not_its_name(settings):
    settings.UPLOAD_MAX_MB = 1
    with pytest.raises(ValidationError, match="类型不支持"):
        files.check_upload(SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not an image"))
    with pytest.raises(ValidationError, match="超过上限 1 MB"):
        files.check_upload(SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * (1024 * 1024)))
    assert files.check_upload(photo_with_location()) == "image/jpeg"


@pytest.mark.django_db
def test_a_photo_is_kept_upright_without_its_location_and_with_a_thumbnail(world):
    case = report(world)
    att = add_attachment(case, photo_with_location(), world.users["grid_member"])
    with att.file.open("rb") as f, Image.open(f) as stored:
        assert stored.size == (200, 400)  # turned upright
        exif = stored.getexif()
        assert GPS_IFD not in exif and ORIENTATION not in exif
    with att.thumbnail.open("rb") as f, Image.open(f) as thumb:
        assert max(thumb.size) <= files.THUMBNAIL_PX
    assert att.kind == "photo" and att.content_type == "image/jpeg" and att.name == "现场.jpg"


@pytest.mark.django_db
def test_files_are_served_only_to_who_may_see_their_owner(client, world):
    case = report(world)
    att = add_attachment(case, photo_with_location(), world.users["grid_member"])
    url = reverse("cases:attachment", args=[att.pk])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(world.users["director_b"])
    assert client.get(url).status_code == 404
    client.force_login(world.users["director"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    client.logout()
    token = world.tokens["director"]
    assert client.get(url, {"api_key": token}).status_code == 200
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.django_db
def test_every_photo_input_of_a_step_shrinks_in_the_browser(client, world):
    case = report(world)
    client.force_login(world.users["director"])
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'id="step-resolve"' in page
    inputs = [chunk for chunk in page.split("<input") if 'type="file"' in chunk.split(">")[0]]
    assert inputs and all('data-shrink="1600"' in chunk.split(">")[0] for chunk in inputs)
