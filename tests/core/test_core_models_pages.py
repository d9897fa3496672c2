"""Generic page tests for core's own models: the change log, the access log, holidays."""

import datetime
import itertools
import uuid

from django.contrib.contenttypes.models import ContentType

from tongxin.core.models import AccessLog, Holiday, ObjectChange
from tongxin.core.testing import ModelTestCase
from tongxin.core.views.pages import AccessLogViewSet, HolidayViewSet, ObjectChangeViewSet

_seq = itertools.count(1)


class TestObjectChange(ModelTestCase):
    viewset = ObjectChangeViewSet
    api_base = "/api/v1/core/objectchanges/"

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
    api_base = "/api/v1/core/holidays/"
    manager = "official"
    list_params = {"national": "false"}

    def make(self, world, community):
        day = datetime.date(2030, 1, 1) + datetime.timedelta(days=next(_seq))
        return Holiday.objects.create(date=day, name=f"地方节日{day}", division=community, source="test")

    def valid_data(self, world, community):
        day = datetime.date(2031, 1, 1) + datetime.timedelta(days=next(_seq))
        return {"date": day.isoformat(), "name": "泼水节", "division": community.pk, "source": "州人大常委会决定"}
