"""Test base classes: any model's pages and API exercised three ways — without permission, with
permission, and out of scope — plus pinned query counts. A model's test declares::

    class TestGrid(ModelTestCase):
        viewset = GridViewSet
        def make(self, world, community): return Grid.objects.create(community=community, code="X", name="x")
        def valid_data(self, world, community): return {"community": community.pk, "code": "N1", "name": "新网格"}

The suite's ``world`` fixture (tests/conftest.py) gives two communities A and B and users holding
roles in A only.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tongxin.core import privacy, scoping
from tongxin.core.models import AccessLog, ObjectChange


class ModelTestCase:
    """Generic page and API tests of one registered model."""

    viewset: ClassVar[Any]
    #: the API list URL, e.g. "/api/v1/org/grids/"; found from the API registry when not given
    api_base: ClassVar[str | None] = None
    #: the user (key of world.users) who holds full rights in community A
    manager: ClassVar[str] = "director"
    #: a user with view rights in A but no add/change/delete
    viewer: ClassVar[str] = "official_view"
    max_list_queries: ClassVar[int] = 14
    #: extra query parameters for list/export (e.g. to hide large reference data)
    list_params: ClassVar[dict[str, str]] = {}
    #: a user who may view and export in community A but not reveal personal data
    unrevealing: ClassVar[str] = "official"
    #: clear values the privacy test writes into personal fields (default: a phone, or an ID number for id_*)
    personal_values: ClassVar[dict[str, str]] = {}
    #: further form data of a workflow step for the workflow test, by step name (e.g. an assignee)
    step_data: ClassVar[dict[str, dict[str, Any]]] = {}
    #: for a model with a bulk edit form: (field, value) the bulk edit test sets on rows of community A
    bulk_edit: ClassVar[tuple[str, Any] | None] = None

    # -- to be provided by each model's test --------------------------------------------------------
    def make(self, world: Any, community: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def valid_data(self, world: Any, community: Any) -> dict[str, Any] | None:
        """Form data for a valid new object in ``community`` (None: the model has no add form)."""
        return None

    def api_entry(self) -> dict[str, Any]:
        """The model's entry in the API registry (its path and schemas), or an empty dict."""
        from tongxin.core.registry import registry

        return next((entry for entry in registry.api() if entry["model"] is self.model), {})

    @pytest.fixture(autouse=True)
    def _api_base(self):
        """The API list URL of the model from the API registry (``/api/v1/<app>/<segment>/``)."""
        if self.api_base is None and self.api_entry():
            self.api_base = f"/api/v1/{self.model._meta.app_label}{self.api_entry()['path']}"

    # -- helpers ------------------------------------------------------------------------------------
    def with_personal_data(self, world: Any) -> tuple[Any, dict[str, str]]:
        """An object in community A whose personal fields hold distinctive clear values (saved, so logged)."""
        obj = self.make(world, world.a)
        values = {}
        for name, kind in privacy.classes(self.model).items():
            if kind == privacy.QUASI:  # shown coarsened, not revealed: checked on its own
                continue
            default = "530424199001010012" if name.startswith("id_") else "13987654321"
            values[name] = self.personal_values.get(name, default)
            setattr(obj, name, values[name])
        obj.save()
        return obj, values

    @property
    def model(self):
        return self.viewset.model

    def url(self, action: str, **kwargs: Any) -> str:
        return reverse(self.viewset.url_name(action), kwargs=kwargs or None)

    def login(self, client, world, key: str):
        client.force_login(world.users[key])
        return client

    # -- pages ----------------------------------------------------------------------------------------
    def test_anonymous_redirected_to_login(self, client, world):
        obj = self.make(world, world.a)
        for url in (self.url("list"), self.url("detail", pk=obj.pk)):
            response = client.get(url)
            assert response.status_code == 302 and "/login/" in response["Location"]

    def test_list_shows_only_rows_in_scope(self, client, world):
        mine, foreign = self.make(world, world.a), self.make(world, world.b)
        self.login(client, world, self.manager)
        response = client.get(self.url("list"), {"per_page": 500, **self.list_params})
        assert response.status_code == 200
        rows = list(response.context["table"].rows)
        assert mine in rows
        assert foreign not in rows

    def test_detail_out_of_scope_is_404(self, client, world):
        foreign = self.make(world, world.b)
        mine = self.make(world, world.a)
        self.login(client, world, self.manager)
        assert client.get(self.url("detail", pk=mine.pk)).status_code == 200
        assert client.get(self.url("detail", pk=foreign.pk)).status_code == 404
        assert client.get(self.url("history", pk=foreign.pk)).status_code == 404
        user = world.users[self.manager]
        # Holding the permission somewhere but not here: 404 (no probing); not holding it at all: 403.
        if self.viewset.form is not None:
            expected = 404 if scoping.has_perm(user, self.model, "change") else 403
            assert client.get(self.url("edit", pk=foreign.pk)).status_code == expected
        if "delete" in self.viewset.actions:
            expected = 404 if scoping.has_perm(user, self.model, "delete") else 403
            assert client.post(self.url("delete", pk=foreign.pk)).status_code == expected
            assert self.model.objects.filter(pk=foreign.pk).exists()

    def test_without_permission_is_refused(self, client, world):
        obj = self.make(world, world.a)
        self.login(client, world, "nobody")
        assert client.get(self.url("list")).status_code == 403
        assert client.get(self.url("detail", pk=obj.pk)).status_code == 403
        if self.viewset.form is not None and "add" in self.viewset.actions:
            assert client.get(self.url("add")).status_code == 403

    def test_viewer_cannot_write(self, client, world):
        if self.viewset.form is None:
            pytest.skip("the model has no edit form")
        obj = self.make(world, world.a)
        self.login(client, world, self.viewer)
        assert client.get(self.url("detail", pk=obj.pk)).status_code == 200
        if "add" in self.viewset.actions:
            assert client.get(self.url("add")).status_code == 403
        assert client.get(self.url("edit", pk=obj.pk)).status_code == 403

    def test_export_is_scoped(self, client, world):
        if "export" not in self.viewset.actions:
            pytest.skip("the model has no export")
        mine, foreign = self.make(world, world.a), self.make(world, world.b)
        self.login(client, world, self.manager)
        response = client.get(self.url("list"), {"export": "csv", **self.list_params})
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        first_column = self.viewset.table(columns=None).columns[0]
        assert first_column.text(mine) in text
        foreign_text = first_column.text(foreign)
        if foreign_text != first_column.text(mine):
            assert foreign_text not in text
        xlsx = client.get(self.url("list"), {"export": "xlsx", **self.list_params})
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    def test_create_through_the_form_is_audited(self, client, world):
        data = self.valid_data(world, world.a)
        if data is None or self.viewset.form is None or "add" not in self.viewset.actions:
            pytest.skip("the model is not created through its own form")
        self.login(client, world, self.manager)
        before = self.model.objects.count()
        response = client.post(self.url("add"), data)
        assert response.status_code == 302, getattr(response, "context", {}) and response.context["form"].errors
        assert self.model.objects.count() == before + 1
        obj = self.model.objects.order_by("-pk").first()
        change = ObjectChange.objects.filter(object_id=str(obj.pk), action="create").latest("time")
        assert change.user == world.users[self.manager]
        assert change.source == "web"

    def test_create_out_of_scope_is_refused(self, client, world):
        data = self.valid_data(world, world.b)
        if data is None or self.viewset.form is None or "add" not in self.viewset.actions:
            pytest.skip("the model is not created through its own form")
        self.login(client, world, self.manager)
        before = self.model.objects.count()
        response = client.post(self.url("add"), data)
        # the form refuses a choice outside the user's scope and says so, naming the field
        assert response.status_code == 200 and response.context["form"].errors
        assert self.model.objects.count() == before

    def test_edit_through_the_form_is_audited(self, client, world):
        data = self.valid_data(world, world.a)
        if data is None or self.viewset.form is None:
            pytest.skip("the model is not edited through its own form, or the test declares no valid_data")
        obj = self.make(world, world.a)
        self.login(client, world, self.manager)
        assert client.get(self.url("edit", pk=obj.pk)).status_code == 200
        response = client.post(self.url("edit", pk=obj.pk), data)
        assert response.status_code == 302, getattr(response, "context", {}) and response.context["form"].errors
        change = ObjectChange.objects.filter(object_id=str(obj.pk), action="update").latest("time")
        assert change.user == world.users[self.manager] and change.source == "web"

    def test_delete_is_audited(self, client, world):
        if "delete" not in self.viewset.actions:
            pytest.skip("the model has no delete")
        if not scoping.has_perm(world.users[self.manager], self.model, "delete"):
            pytest.skip(f"{self.manager} may not delete this model")
        obj = self.make(world, world.a)
        self.login(client, world, self.manager)
        assert client.get(self.url("delete", pk=obj.pk)).status_code == 200
        response = client.post(self.url("delete", pk=obj.pk), follow=True)
        assert response.status_code == 200
        logged = ObjectChange.objects.filter(
            object_id=str(obj.pk), action="delete", content_type__model=obj._meta.model_name
        )
        if self.model.objects.filter(pk=obj.pk).exists():  # rows still pointing at it (a household's members)
            notes = [str(m) for m in response.context["messages"]]
            assert any("无法删除" in n for n in notes), notes  # says why, and nothing is half-deleted
            assert not logged.exists()
        else:
            assert logged.get().user == world.users[self.manager]

    def test_history_shows_the_changes_in_scope(self, client, world):
        obj = self.make(world, world.a)
        self.login(client, world, self.manager)
        response = client.get(self.url("history", pk=obj.pk))
        assert response.status_code == 200
        logged = ObjectChange.objects.filter(object_id=str(obj.pk), content_type__model=obj._meta.model_name)
        if getattr(self.model, "audited", False):  # not the change log itself, the access log, import jobs
            assert logged.exists()
            assert str(logged.first().get_action_display()) in response.content.decode()

    def test_bulk_edit_changes_only_rows_in_scope_each_audited(self, client, world):
        if self.viewset.bulk_edit_form is None:
            pytest.skip("the model has no bulk edit")
        assert self.bulk_edit is not None, "a model with a bulk edit form declares bulk_edit = (field, value)"
        name, value = self.bulk_edit
        mine, other, foreign = self.make(world, world.a), self.make(world, world.a), self.make(world, world.b)
        self.login(client, world, self.manager)
        pks = [mine.pk, other.pk, foreign.pk]
        form = client.post(self.url("bulk_edit"), {"pk": pks})
        assert form.status_code == 200 and set(form.context["objects"]) == {mine, other}
        response = client.post(self.url("bulk_edit"), {"pk": pks, "_apply": "1", name: value})
        assert response.status_code == 302, [str(m) for m in response.wsgi_request._messages]
        for obj in (mine, other):
            obj.refresh_from_db()
            stored = getattr(obj, f"{name}_id", getattr(obj, name))
            assert str(stored) == str(value), (name, stored)
            change = ObjectChange.objects.filter(object_id=str(obj.pk), action="update").latest("time")
            assert change.user == world.users[self.manager] and change.source == "web"
        foreign_before = getattr(foreign, f"{name}_id", getattr(foreign, name))
        foreign.refresh_from_db()
        assert getattr(foreign, f"{name}_id", getattr(foreign, name)) == foreign_before

    def test_import_from_the_template_previews_then_commits_in_scope(self, client, world):
        if self.viewset.importer is None:
            pytest.skip("the model has no import")
        if not scoping.has_perm(world.users[self.manager], self.model, "import"):
            pytest.skip(f"{self.manager} may not import this model")
        from django.core.files.uploadedfile import SimpleUploadedFile

        from tongxin.core.models import ImportJob

        self.login(client, world, self.viewer)
        assert client.get(self.url("import")).status_code == 403
        self.login(client, world, self.manager)
        assert client.get(self.url("import")).status_code == 200
        template = client.get(self.url("import"), {"template": 1})
        assert template.status_code == 200 and template.content[:2] == b"PK"
        data = {"file": SimpleUploadedFile("模板.xlsx", template.content)}
        if self.viewset.importer.needs_community:
            data["community"] = world.a.pk
        response = client.post(self.url("import"), data)
        job = ImportJob.objects.filter(user=world.users[self.manager]).latest("pk")
        assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
        assert job.status == ImportJob.Status.PREVIEW, job.error  # the dry run (the test's task runner is immediate)
        assert job.summary["rows"] >= 1
        for problem in job.problems:  # a refused row names its row and what is wrong
            assert (problem["row"] and problem.get("errors")) or problem.get("warnings")
        before = self.model._default_manager.count()
        assert client.post(job.get_absolute_url()).status_code == 302
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE
        created = job.summary.get("created", 0)
        assert self.model._default_manager.count() == before + created
        if created:
            assert (
                scoping.restrict(self.model._default_manager.all(), world.users[self.manager], "view").count()
                >= created
            )

    def test_bulk_delete_touches_only_rows_in_scope(self, client, world):
        if "bulk_delete" not in self.viewset.actions:
            pytest.skip("the model has no bulk delete")
        if not scoping.has_perm(world.users[self.manager], self.model, "delete"):
            pytest.skip(f"{self.manager} may not delete this model")
        mine, foreign = self.make(world, world.a), self.make(world, world.b)
        self.login(client, world, self.manager)
        url = self.url("bulk_delete")
        confirm = client.post(url, {"pk": [mine.pk, foreign.pk]})
        assert confirm.status_code == 200 and list(confirm.context["objects"]) == [mine]
        response = client.post(url, {"pk": [mine.pk, foreign.pk], "_confirm": "1"})
        assert response.status_code == 302
        assert not self.model.objects.filter(pk=mine.pk).exists()
        assert self.model.objects.filter(pk=foreign.pk).exists()
        assert ObjectChange.objects.filter(action="delete", object_id=str(mine.pk)).exists()

    def test_list_query_count_is_bounded(self, client, world):
        self.login(client, world, self.manager)
        self.make(world, world.a)
        client.get(self.url("list"))  # warm caches (content types, grants)
        with CaptureQueriesContext(connection) as few:
            client.get(self.url("list"), {"per_page": 100})
        for _i in range(8):
            self.make(world, world.a)
        with CaptureQueriesContext(connection) as many:
            client.get(self.url("list"), {"per_page": 100})
        assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
        assert len(many) <= self.max_list_queries

    # -- API -------------------------------------------------------------------------------------------
    def test_personal_data_is_masked_everywhere_without_reveal_and_a_reveal_is_logged(self, client, world):
        if not privacy.classes(self.model):
            pytest.skip("the model declares no personal data")
        obj, values = self.with_personal_data(world)
        secrets = [v[3:-4] for v in values.values()]  # the middle a mask hides
        self.login(client, world, self.unrevealing)
        shown = [
            client.get(self.url("list"), {"per_page": 500, **self.list_params}),
            client.get(self.url("detail", pk=obj.pk)),
            client.get(self.url("history", pk=obj.pk)),
        ]
        assert all(r.status_code == 200 for r in shown)
        texts = [r.content.decode() for r in shown]
        if "export" in self.viewset.actions:
            export = client.get(self.url("list"), {"export": "csv", **self.list_params})
            assert export.status_code == 200
            texts.append(b"".join(export.streaming_content).decode("utf-8-sig"))
        if self.api_base:
            headers = {"Authorization": f"Bearer {world.tokens[self.unrevealing]}"}
            for url in (self.api_base, f"{self.api_base}{obj.pk}/"):
                response = client.get(url, {"limit": 1000, **self.list_params}, headers=headers)
                assert response.status_code == 200
                texts.append(response.content.decode())
            assert client.post(f"{self.api_base}{obj.pk}/reveal/", headers=headers).status_code == 403
        ct = ContentType.objects.get_for_model(self.model)
        logged = ObjectChange.objects.filter(content_type=ct, object_id=str(obj.pk))
        assert logged.exists()
        texts += [json.dumps([c.prechange_data, c.postchange_data], ensure_ascii=False) for c in logged]
        obj.refresh_from_db()
        quasi = [getattr(obj, n) for n, k in privacy.classes(self.model).items() if k == privacy.QUASI]
        if getattr(obj, "quasi_masked", lambda: True)():  # a birth date beside a masked ID number: its year only
            secrets += [str(v) for v in quasi if v]
        for text in texts:
            for secret in secrets:
                assert secret not in text
        assert client.post(self.url("reveal", pk=obj.pk)).status_code == 403
        assert not AccessLog.objects.filter(action="reveal").exists()
        # the manager may reveal: the values in clear, one access-log entry per reveal, on the page and the API
        self.login(client, world, self.manager)
        page = client.post(self.url("reveal", pk=obj.pk))
        assert page.status_code == 200
        for value in values.values():
            assert value in page.content.decode()
        entries = AccessLog.objects.filter(action="reveal", content_type=ct, object_id=str(obj.pk))
        assert entries.count() == 1 and entries.get().user == world.users[self.manager]
        if self.api_base:
            headers = {"Authorization": f"Bearer {world.tokens[self.manager]}"}
            response = client.post(f"{self.api_base}{obj.pk}/reveal/", headers=headers)
            assert response.status_code == 200 and response.json() == values
            assert entries.count() == 2

    def test_workflow_steps_offered_on_the_page_are_taken_once_and_logged(self, client, world):
        workflow = self.viewset.workflow
        if workflow is None:
            pytest.skip("the model has no workflow")
        obj = self.make(world, world.a)
        self.login(client, world, self.viewer)
        page = client.get(self.url("detail", pk=obj.pk)).content.decode()
        if not workflow.available(world.users[self.viewer], obj):  # a viewer is offered no step
            assert 'id="step-' not in page
        offered = workflow.available(world.users[self.manager], obj)
        if not offered:
            pytest.skip(f"{self.manager} may take no step on the object make() gives")
        step = offered[0]
        self.login(client, world, self.manager)
        page = client.get(self.url("detail", pk=obj.pk)).content.decode()
        assert all(f'id="step-{s.name}"' in page for s in offered)
        url = self.url("step", pk=obj.pk, step=step.name)
        data = {"note": "理由"} if step.note != "none" else {}
        data.update(self.step_data.get(step.name, {}))
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
        notes = [str(m) for m in response.context["messages"]]
        assert any(str(step.label) in n and "失败" not in n for n in notes), notes
        obj.refresh_from_db()
        if step.target is not None:
            assert workflow.status(obj) == step.target
        logged = ObjectChange.objects.filter(object_id=str(obj.pk), action="workflow", step=step.name)
        assert logged.count() == 1 and logged.get().user == world.users[self.manager]
        assert client.post(self.url("step", pk=obj.pk, step="no-such-step")).status_code == 404

    def test_files_are_listed_and_served_only_in_scope(self, client, world):
        if not self.viewset.files:
            pytest.skip("the model has no photos or files")
        from django.core.files.uploadedfile import SimpleUploadedFile

        obj = self.make(world, world.a)
        related = self.model._meta.get_field(self.viewset.files)
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # a PNG by its bytes (not decodable: no thumbnail)
        row = related.related_model(**{related.field.name: obj})
        row.store(SimpleUploadedFile("现场.png", png), world.users[self.manager])
        url = self.url("file", pk=obj.pk, file_pk=row.pk)
        assert client.get(url).status_code == 302  # to the login page
        self.login(client, world, self.manager)
        assert url in client.get(self.url("detail", pk=obj.pk)).content.decode()
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        self.login(client, world, "director_b")
        assert client.get(url).status_code in (403, 404)
        assert ObjectChange.objects.filter(object_id=str(row.pk), action="create").exists()

    def test_api_is_scoped(self, client, world):
        if not self.api_base:
            pytest.skip("the model has no API")
        mine, foreign = self.make(world, world.a), self.make(world, world.b)
        headers = {"Authorization": f"Bearer {world.tokens[self.manager]}"}
        listing = client.get(self.api_base, {"limit": 1000, **self.list_params}, headers=headers)
        assert listing.status_code == 200
        ids = {r["id"] for r in listing.json()["results"]}
        assert mine.pk in ids and foreign.pk not in ids
        assert client.get(f"{self.api_base}{mine.pk}/", headers=headers).status_code == 200
        assert client.get(f"{self.api_base}{foreign.pk}/", headers=headers).status_code == 404
        assert client.get(self.api_base).status_code == 401
        nobody = {"Authorization": f"Bearer {world.tokens['nobody']}"}
        assert client.get(self.api_base, headers=nobody).status_code == 403

    def test_api_update_and_delete(self, client, world):
        if not self.api_base or self.viewset.form is None or not self.api_entry().get("payload"):
            pytest.skip("the model is not written through the API")
        obj = self.make(world, world.a)
        headers = {"Authorization": f"Bearer {world.tokens[self.manager]}"}
        url = f"{self.api_base}{obj.pk}/"
        response = client.patch(url, "{}", content_type="application/json", headers=headers)
        assert response.status_code == 200, response.content  # nothing given: nothing changes
        assert response.json()["id"] == obj.pk
        viewer = {"Authorization": f"Bearer {world.tokens[self.viewer]}"}
        assert client.patch(url, "{}", content_type="application/json", headers=viewer).status_code == 403
        foreign = self.make(world, world.b)
        foreign_url = f"{self.api_base}{foreign.pk}/"
        assert client.patch(foreign_url, "{}", content_type="application/json", headers=headers).status_code == 404
        if "delete" not in self.viewset.actions:
            assert client.delete(url, headers=headers).status_code == 405
            return
        assert client.delete(foreign_url, headers=headers).status_code in (403, 404)
        assert self.model.objects.filter(pk=foreign.pk).exists()
        if scoping.has_perm(world.users[self.manager], self.model, "delete"):
            response = client.delete(url, headers=headers)
            if response.status_code == 409:  # rows still pointing at it (a household's members): said, not done
                assert response.json()["detail"] and self.model.objects.filter(pk=obj.pk).exists()
            else:
                assert response.status_code == 204
                assert not self.model.objects.filter(pk=obj.pk).exists()
                assert ObjectChange.objects.filter(object_id=str(obj.pk), action="delete", source="api").exists()

    def test_api_list_query_count_is_bounded(self, client, world):
        if not self.api_base:
            pytest.skip("the model has no API")
        headers = {"Authorization": f"Bearer {world.tokens[self.manager]}"}
        self.make(world, world.a)
        client.get(self.api_base, headers=headers)
        with CaptureQueriesContext(connection) as few:
            client.get(self.api_base, headers=headers)
        for _i in range(8):
            self.make(world, world.a)
        with CaptureQueriesContext(connection) as many:
            client.get(self.api_base, headers=headers)
        assert len(many) == len(few), [q["sql"] for q in many.captured_queries]

    def test_api_create_is_scoped_and_audited(self, client, world):
        if not self.api_base or self.viewset.form is None or "add" not in self.viewset.actions:
            pytest.skip("the model is not created through the API")
        data = self.valid_data(world, world.a)
        if data is None:
            pytest.skip("the test declares no valid_data")
        headers = {"Authorization": f"Bearer {world.tokens[self.manager]}"}
        response = client.post(self.api_base, json.dumps(data), content_type="application/json", headers=headers)
        assert response.status_code == 201, response.content
        change = ObjectChange.objects.get(
            object_id=str(response.json()["id"]), action="create", content_type__model=self.model._meta.model_name
        )
        assert change.source == "api" and change.user == world.users[self.manager]
        foreign = self.valid_data(world, world.b)
        before = self.model.objects.count()
        response = client.post(self.api_base, json.dumps(foreign), content_type="application/json", headers=headers)
        assert response.status_code in (403, 422)  # refused by the form's scoped choices (422) or the scope (403)
        assert response.json()["detail"] and self.model.objects.count() == before
