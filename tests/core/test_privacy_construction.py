"""Personal data by construction: generated API schemas mask what a model declares personal, crud() refuses a
schema that would show it in clear, and sensitive data has a permission of its own that reveal does not imply."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.urls import reverse
from ninja import ModelSchema, Router

from tongxin.cases.models import Case
from tongxin.cases.views import CaseViewSet
from tongxin.core import privacy
from tongxin.core.api import check_masked, crud, model_schemas
from tongxin.core.models import AccessLog
from tongxin.registry.api import PersonOut
from tongxin.registry.models import Person

from ..registry.test_privacy import resident  # noqa: F401 - the fixture


class ClearCaseOut(ModelSchema):
    """A hand-written schema that forgets to mask the reporter's phone."""

    class Meta:
        model = Case
        fields = ["id", "reporter_phone"]


def test_crud_refuses_a_schema_that_would_show_personal_data_in_clear():
    with pytest.raises(ImproperlyConfigured, match="reporter_phone"):
        crud(Router(), CaseViewSet, out=ClearCaseOut)


def test_crud_refuses_a_resolver_that_gives_the_value_back():
    class LeakyCaseOut(ClearCaseOut):
        @staticmethod
        def resolve_reporter_phone(obj):
            return obj.reporter_phone

    with pytest.raises(ImproperlyConfigured, match="in clear"):
        check_masked(Case, LeakyCaseOut)


def test_generated_schemas_mask_personal_fields_as_text():
    out, _payload = model_schemas(CaseViewSet)
    case = Case(reporter_phone="13912345678", description="x")
    assert out.resolve_reporter_phone(case) == "139****5678"
    assert out.model_fields["reporter_phone"].annotation is str


def test_masking_by_class():
    class Record:
        personal_fields = ("phone",)
        sensitive_fields = ("diagnosis",)

    assert privacy.classes(Record) == {"phone": "identity", "diagnosis": "sensitive"}
    assert privacy.masked(Record, "phone", "13912345678,13800001111") == "139****5678,138****1111"
    assert privacy.masked(Record, "diagnosis", "二级肢体残疾") == privacy.HIDDEN  # nothing of the value is left
    assert privacy.masked(Record, "diagnosis", "") == ""
    assert privacy.masked(Record, "name", "张伟") == "张伟"


@pytest.fixture
def notes_are_sensitive(monkeypatch):
    """Person's notes declared sensitive (as a care record's health notes will be)."""
    monkeypatch.setattr(Person, "sensitive_fields", ("notes",))
    from tongxin.core import audit

    audit._audited_fields.cache_clear()  # the change log's field list is cached per model
    yield
    audit._audited_fields.cache_clear()


def test_a_schema_showing_a_newly_sensitive_field_is_refused(notes_are_sensitive):
    with pytest.raises(ImproperlyConfigured, match="notes"):
        check_masked(Person, PersonOut)


@pytest.mark.django_db
def test_reveal_does_not_open_sensitive_data_its_own_permission_does(client, world, resident, notes_are_sensitive):  # noqa: F811
    resident.notes = "糖尿病，每月随访"
    resident.save()
    worker, director = world.users["worker"], world.users["director"]  # both may reveal; the director sensitive data
    assert privacy.revealable(world.users["worker"], resident) == ["id_number", "phone", "phone_other"]
    assert "notes" in privacy.revealable(director, resident)
    client.force_login(worker)
    page = client.get(resident.get_absolute_url()).content.decode()
    assert "糖尿病" not in page
    revealed = client.post(reverse("registry:person_reveal", kwargs={"pk": resident.pk})).content.decode()
    assert "糖尿病" not in revealed and resident.phone in revealed
    with pytest.raises(PermissionDenied):
        privacy.reveal(worker, resident, ["notes"])
    client.force_login(director)
    response = client.post(reverse("registry:person_reveal", kwargs={"pk": resident.pk}))
    assert response.status_code == 200 and "糖尿病，每月随访" in response.content.decode()
    entry = AccessLog.objects.filter(object_id=str(resident.pk), user=director).get()
    assert "notes" in entry.fields.split(",")
