"""The platform's acceptance test: a throw-away module (tests/sample: a home visit with a photo, a phone, a health
note and a three-step workflow, declared in under 150 lines) gets every generated page, API endpoint, mask,
reveal, workflow step and file route, and passes the whole generated test set."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.sample.models import Visit, VisitPhoto
from tests.sample.module import VisitViewSet
from tongxin.core.models import ObjectChange
from tongxin.core.testing import ModelTestCase

SAMPLE = Path(__file__).resolve().parents[1] / "sample"


class TestVisit(ModelTestCase):
    viewset = VisitViewSet
    personal_values = {"phone": "13987654321", "health": "高血压三级，独居"}

    def make(self, world, community):
        grid = world.grid_a if community == world.a else world.grid_b
        return Visit.objects.create(community=community, grid=grid, resident="王奶奶")

    def valid_data(self, world, community):
        return {"community": community.pk, "resident": "李爷爷", "phone": "13900001111", "health": "良好"}


def test_the_modules_domain_code_is_under_150_lines():
    lines = sum(len((SAMPLE / name).read_text().splitlines()) for name in ("models.py", "module.py"))
    assert lines < 150, lines


def test_a_photo_taken_with_a_step_is_stored_upright_logged_and_listed(client, world, tmp_path):
    visit = TestVisit().make(world, world.a)
    path = tmp_path / "visit.jpg"
    Image.new("RGB", (640, 480), (20, 120, 60)).save(path, "JPEG")
    client.force_login(world.users["worker"])
    with path.open("rb") as f:
        photo = SimpleUploadedFile("visit.jpg", f.read(), content_type="image/jpeg")
    response = client.post(f"/sample/visits/{visit.pk}/step/submit/", {"note": "已走访", "photos": [photo]})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == "submitted"
    stored = VisitPhoto.objects.get(visit=visit)
    assert stored.thumbnail and stored.uploaded_by == world.users["worker"]
    assert ObjectChange.objects.filter(object_id=str(visit.pk), step="submit").count() == 1
    page = client.get(visit.get_absolute_url()).content.decode()
    assert f"/sample/visits/{visit.pk}/files/{stored.pk}/" in page
    # the worker may not approve: no button, and the API refuses
    assert 'id="step-approve"' not in page
    headers = {"Authorization": f"Bearer {world.tokens['worker']}"}
    assert (
        client.post(
            f"/api/v1/sample/visits/{visit.pk}/approve/", "{}", content_type="application/json", headers=headers
        ).status_code
        == 403
    )
    headers = {"Authorization": f"Bearer {world.tokens['director']}"}
    sent_back = client.post(
        f"/api/v1/sample/visits/{visit.pk}/send-back/", "{}", content_type="application/json", headers=headers
    )
    assert sent_back.status_code == 422 and sent_back.json()["errors"] == {"note": ["请填写理由"]}
    approved = client.post(
        f"/api/v1/sample/visits/{visit.pk}/approve/", "{}", content_type="application/json", headers=headers
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    listed = approved.json()["photos"]  # the API lists the photo by its scoped URL, never a /media/ one
    assert listed == [
        {
            "name": "visit.jpg",
            "kind": "photo",
            "content_type": "image/jpeg",
            "size": stored.size,
            "url": f"/sample/visits/{visit.pk}/files/{stored.pk}/",
            "thumbnail_url": f"/sample/visits/{visit.pk}/files/{stored.pk}/thumb/",
        }
    ]
    assert client.get(listed[0]["thumbnail_url"], headers=headers).status_code == 200  # with the token too
