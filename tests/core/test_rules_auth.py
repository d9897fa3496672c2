"""Authentication: the login page with lockout, API tokens (bearer and header), CSRF for session
writes on the API, the deployment checks under production settings, and the health endpoint."""

from __future__ import annotations

import datetime
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import checks
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tongxin.core.models import ApiToken, LoginFailure
from tongxin.org.models import Grid

SH = ZoneInfo("Asia/Shanghai")
PASSWORD = "pw-Strong-12345"
LOCKED = "登录失败次数过多"
START = datetime.datetime(2026, 5, 11, 9, 0, tzinfo=SH)


def login(client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- login page ----------------------------------------------------------------------------------


def test_login_page_renders_and_logs_in(client, world):
    page = client.get("/login/")
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode() and "csrfmiddlewaretoken" in page.content.decode()
    response = login(client, "director", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert logged_in(client)
    assert client.get("/").status_code == 200


def test_login_page_enforces_csrf(world):
    strict = Client(enforce_csrf_checks=True)
    assert login(strict, "director", PASSWORD).status_code == 403
    strict.get("/login/")
    token = strict.cookies["csrftoken"].value
    response = strict.post("/login/", {"username": "director", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_wrong_password_is_refused(client, world):
    response = login(client, "director", "wrong-password")
    assert response.status_code == 200 and not logged_in(client)
    assert LoginFailure.objects.filter(username="director").count() == 1


def test_five_failures_lock_the_account_until_the_window_passes(client, world):
    assert settings.LOGIN_MAX_FAILURES == 5
    with time_machine.travel(START, tick=False) as traveller:
        for _i in range(5):
            response = login(client, "director", "wrong-password")
            assert response.status_code == 200 and not logged_in(client)
            assert LOCKED not in response.content.decode()
        # The sixth attempt, with the RIGHT password, is refused with the lockout message.
        response = login(client, "director", PASSWORD)
        assert response.status_code == 200 and not logged_in(client)
        assert LOCKED in response.content.decode()
        assert str(settings.LOGIN_LOCKOUT_MINUTES) in response.content.decode()
        # Other accounts are not affected; the lock is per account name, whatever its case.
        assert LOCKED in login(client, "DIRECTOR", PASSWORD).content.decode()
        assert login(Client(), "worker", PASSWORD).status_code == 302
        # Still locked just before the window ends ...
        traveller.shift(datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES - 1))
        assert LOCKED in login(client, "director", PASSWORD).content.decode()
        # ... and free again after it.
        traveller.shift(datetime.timedelta(minutes=1, seconds=1))
        response = login(client, "director", PASSWORD)
        assert response.status_code == 302 and logged_in(client)


def test_lockout_window_setting_is_respected(client, world, settings):
    settings.LOGIN_LOCKOUT_MINUTES = 30
    with time_machine.travel(START, tick=False) as traveller:
        for _i in range(5):
            login(client, "director", "wrong-password")
        traveller.shift(datetime.timedelta(minutes=20))
        assert LOCKED in login(client, "director", PASSWORD).content.decode()
        traveller.shift(datetime.timedelta(minutes=11))
        assert login(client, "director", PASSWORD).status_code == 302


def test_successful_login_clears_failures(client, world):
    with time_machine.travel(START, tick=False):
        for _i in range(4):
            login(client, "director", "wrong-password")
        assert login(client, "director", PASSWORD).status_code == 302
        assert not LoginFailure.objects.filter(username__iexact="director").exists()
        client.logout()
        for _i in range(4):
            login(client, "director", "wrong-password")
        # 4 + 4 failures, but the success in between cleared the first four: not locked.
        assert login(client, "director", PASSWORD).status_code == 302


def test_inactive_user_cannot_log_in(client, world):
    user = world.users["director"]
    user.is_active = False
    user.save()
    assert login(client, "director", PASSWORD).status_code == 200
    assert not logged_in(client)


# --- API tokens ------------------------------------------------------------------------------------

API = "/api/v1/org/grids/"


def test_bearer_and_header_tokens_authenticate(client, world):
    key = world.tokens["director"]
    for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Token": key}):
        response = client.get(API, headers=headers)
        assert response.status_code == 200, headers
        codes = {r["code"] for r in response.json()["results"]}
        assert "A01" in codes and "B01" not in codes


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer tx_not-a-real-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Token something"},
        {"X-API-Token": "tx_not-a-real-token"},
    ],
)
def test_invalid_or_missing_token_is_401(client, world, headers):
    assert client.get(API, headers=headers).status_code == 401


def test_expired_token_is_401(client, world):
    token, key = ApiToken.issue(world.users["director"], "expiring")
    token.expires = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=SH)
    token.save()
    with time_machine.travel(datetime.datetime(2026, 6, 1, 11, 59, tzinfo=SH), tick=False):
        assert client.get(API, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    with time_machine.travel(datetime.datetime(2026, 6, 1, 12, 1, tzinfo=SH), tick=False):
        assert client.get(API, headers={"Authorization": f"Bearer {key}"}).status_code == 401
        assert client.get(API, headers={"X-API-Token": key}).status_code == 401


def test_token_of_an_inactive_user_is_401(client, world):
    user = world.users["director"]
    user.is_active = False
    user.save()
    assert client.get(API, headers={"Authorization": f"Bearer {world.tokens['director']}"}).status_code == 401


def test_token_last_used_is_updated(client, world):
    token = ApiToken.objects.get(user=world.users["director"])
    assert token.last_used is None
    first = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=SH)
    with time_machine.travel(first, tick=False):
        client.get(API, headers={"Authorization": f"Bearer {world.tokens['director']}"})
    token.refresh_from_db()
    assert token.last_used == first
    with time_machine.travel(first + datetime.timedelta(minutes=10), tick=False):
        client.get(API, headers={"X-API-Token": world.tokens["director"]})
    token.refresh_from_db()
    assert token.last_used == first + datetime.timedelta(minutes=10)


def test_token_is_shown_once_and_stored_hashed(client, world):
    client.force_login(world.users["director"])
    response = client.post("/account/", {"name": "脚本"})
    assert response.status_code == 200
    key = response.context["new_key"]
    assert key.startswith("tx_")
    token = ApiToken.objects.get(user=world.users["director"], name="脚本")
    assert key not in (token.key_hash, token.prefix) and token.prefix == key[3:11]
    anonymous = Client()  # no session: only the token counts
    assert anonymous.get(API, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    client.post("/account/", {"revoke": token.pk})
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert anonymous.get(API, headers={"Authorization": f"Bearer {key}"}).status_code == 401


# --- CSRF on the API with session auth ------------------------------------------------------------


def _grid_payload(world, code):
    return json.dumps({"community": world.a.pk, "code": code, "name": f"网格{code}"})


def test_session_api_writes_require_csrf(world):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.users["director"])
    assert strict.get(API).status_code == 200  # safe methods need no token
    response = strict.post(API, _grid_payload(world, "C1"), content_type="application/json")
    assert response.status_code in (401, 403)
    assert not Grid.objects.filter(code="C1").exists()
    grid = world.grid_a
    response = strict.patch(f"{API}{grid.pk}/", json.dumps({"name": "改"}), content_type="application/json")
    assert response.status_code in (401, 403)
    assert strict.delete(f"{API}{grid.pk}/").status_code in (401, 403)
    grid.refresh_from_db()
    assert grid.name == "A一网格"
    # With the CSRF token (as the pages send it) the same write succeeds.
    strict.get("/org/grids/add/")
    token = strict.cookies["csrftoken"].value
    response = strict.post(
        API, _grid_payload(world, "C2"), content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201, response.content
    assert Grid.objects.filter(code="C2").exists()


def test_token_api_writes_need_no_csrf(world):
    strict = Client(enforce_csrf_checks=True)
    headers = {"Authorization": f"Bearer {world.tokens['director']}"}
    response = strict.post(API, _grid_payload(world, "T1"), content_type="application/json", headers=headers)
    assert response.status_code == 201, response.content


# --- production checks -------------------------------------------------------------------------------

PRODUCTION = {
    "DEBUG": False,
    "SECRET_KEY": "k7#Qz9!vR2@mXw4$pL8^nB6&yT1*eH5(uJ3)aD0_sF9-gC7+iK2=oV4~bN8|qW6Zr",
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "ALLOWED_HOSTS": ["tongxin.example.cn"],
}


def test_deploy_checks_pass_with_production_settings(settings):
    for name, value in PRODUCTION.items():
        setattr(settings, name, value)
    assert len(settings.SECRET_KEY) >= 64
    messages = checks.run_checks(include_deployment_checks=True)
    serious = [m for m in messages if m.level >= checks.WARNING]
    assert serious == [], [f"{m.id}: {m.msg}" for m in serious]


def test_check_deploy_command_reports_no_issues(settings, capsys):
    for name, value in PRODUCTION.items():
        setattr(settings, name, value)
    call_command("check", "--deploy", "--fail-level", "WARNING")
    assert "no issues" in capsys.readouterr().out


def test_deploy_checks_flag_the_insecure_development_defaults(settings):
    settings.DEBUG = True
    settings.SESSION_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0
    ids = {m.id for m in checks.run_checks(include_deployment_checks=True)}
    assert {"security.W018", "security.W012", "security.W004"} <= ids


# --- health ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["database"] == "ok"
    assert "worker" in data
    assert timezone.is_aware(timezone.now())
