"""Generic page tests for core's own models: the change log, the access log, holidays."""

import datetime
import itertools
import uuid

from django.contrib.contenttypes.models import ContentType

from tongxin.core.models import AccessLog, Holiday, ImportJob, ObjectChange
from tongxin.core.testing import ModelTestCase
from tongxin.core.views.pages import AccessLogViewSet, HolidayViewSet, ImportJobViewSet, ObjectChangeViewSet

_seq = itertools.count(1)


class TestObjectChange(ModelTestCase):
    viewset = ObjectChangeViewSet

    def make(self, world, community):
        return ObjectChange.objects.create(
            request_id=uuid.uuid4(),
            action="update",
            content_type=ContentType.objects.get_for_model(community),
            object_id=str(community.pk),
            object_repr=f"{community.name}-{next(_seq)}",
            community=community,
        )


class TestAccessLog(ModelTestCase):
    viewset = AccessLogViewSet

    def make(self, world, community):
        return AccessLog.objects.create(
            action="reveal",
            content_type=ContentType.objects.get_for_model(community),
            object_id=str(next(_seq)),
            user_name=f"u{next(_seq)}",
            community=community,
        )


class TestHoliday(ModelTestCase):
    viewset = HolidayViewSet
    manager = "official"
    list_params = {"national": "false"}

    def make(self, world, community):
        day = datetime.date(2030, 1, 1) + datetime.timedelta(days=next(_seq))
        return Holiday.objects.create(date=day, name=f"地方节日{day}", division=community, source="test")

    def valid_data(self, world, community):
        day = datetime.date(2031, 1, 1) + datetime.timedelta(days=next(_seq))
        return {"date": day.isoformat(), "name": "泼水节", "division": community.pk, "source": "州人大常委会决定"}


def test_home_attention_links_to_the_grids_without_members(client, world):
    from tongxin.org.models import Grid

    empty = Grid.objects.create(community=world.a, code="E1", name="空网格")
    client.force_login(world.users["director"])
    home = client.get("/")
    item = next(i for i in home.context["attention"] if "还没有网格员" in i["text"])
    assert item["text"].startswith("1 ")  # grid_a has a member, the new one does not
    rows = list(client.get(item["url"]).context["table"].rows)
    assert rows == [empty]


def test_api_tokens_are_issued_once_and_their_creation_and_revocation_are_logged(client, world):
    from tongxin.core.models import ApiToken

    user = world.users["worker"]
    client.force_login(user)
    page = client.post("/account/", {"name": "数据对接"})
    key = page.context["new_key"]
    token = ApiToken.objects.get(user=user, name="数据对接")
    assert key.startswith("tx_") and token.prefix == key[3:11] and key not in token.key_hash
    assert ObjectChange.objects.filter(object_id=str(token.pk), action="create", user=user).exists()
    assert client.get("/api/v1/org/grids/", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    client.post("/account/", {"revoke": token.pk})
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert ObjectChange.objects.filter(object_id=str(token.pk), action="delete", user=user).exists()
    client.logout()
    assert client.get("/api/v1/org/grids/", headers={"Authorization": f"Bearer {key}"}).status_code == 401


class TestImportJob(ModelTestCase):
    """Import jobs are listed per community; the job page is the uploader's or in-scope viewers'."""

    viewset = ImportJobViewSet

    def make(self, world, community):
        return ImportJob.objects.create(
            user=world.users["worker"],
            community=community,
            target="registry.Person",
            file="imports/x.csv",
            file_name="花名册.csv",
            status="done",
            summary={"rows": 3, "created": 2, "rejected": 1},
        )
