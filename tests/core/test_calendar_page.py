"""The calendar page: holidays of the year for the user's community and computed festivals."""

import datetime

from tongxin.core.models import Holiday


def test_calendar_page_shows_notice_days_local_holidays_and_festivals(client, world):
    Holiday.objects.create(date=datetime.date(2026, 4, 13), name="泼水节", division=world.a, source="州条例")
    Holiday.objects.create(date=datetime.date(2026, 4, 14), name="他处节日", division=world.b, source="x")
    client.force_login(world.users["director"])
    page = client.get("/calendar/", {"year": 2026}).content.decode()
    assert "2026-10-10" in page and "调休上班" in page  # the Saturday made a workday by the 2026 notice
    assert "泼水节" in page and "他处节日" not in page  # own local holiday only
    assert "2026-08-06" in page and "火把节" in page  # lunar 6/24, computed
    assert "2026-09-25" in page and "中秋节" in page


def test_calendar_page_warns_when_the_year_has_no_notice(client, world):
    client.force_login(world.users["director"])
    page = client.get("/calendar/", {"year": 2027}).content.decode()
    assert "尚未录入 2027 年国务院节假日安排" in page
    assert "2027-07-27" in page  # 火把节 2027
