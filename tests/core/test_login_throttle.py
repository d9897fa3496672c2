"""Login throttles (issue 16, finding 3): the Django admin's login locks an account name exactly like the app's,
one client address guessing many account names is refused after LOGIN_MAX_FAILURES_PER_IP failures on either
login page, the right password is refused while locked, and with the admin turned off /admin/ does not exist."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from tongxin.core.models import LoginFailure, User

SH = ZoneInfo("Asia/Shanghai")
PASSWORD = "pw-Strong-12345"
LOCKED = "登录失败次数过多，账号已临时锁定"
IP_LOCKED = "的登录失败次数过多，该地址已临时禁止登录"
START = datetime.datetime(2026, 5, 11, 9, 0, tzinfo=SH)
ROOT = Path(__file__).resolve().parents[2]

APP_LOGIN = "/login/"
ADMIN_LOGIN = "/admin/login/"


def attempt(client: Client, url: str, username: str, password: str):
    """Post the login form of ``url`` (the admin's wants ``next``, as its page sends it)."""
    return client.post(url, {"username": username, "password": password, "next": "/admin/"})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def superuser(world) -> User:
    """A deployment administrator with staff status: the one account the Django admin lets in."""
    return User.objects.create_superuser(username="root", password=PASSWORD, name="root")


# --- the admin's login has the app's lockout ---------------------------------------------------------


def test_the_admin_login_refuses_the_right_password_after_five_wrong_ones(superuser):
    client = Client()
    with time_machine.travel(START, tick=False) as traveller:
        for _i in range(settings.LOGIN_MAX_FAILURES):
            response = attempt(client, ADMIN_LOGIN, "root", "wrong-password")
            assert response.status_code == 200 and not logged_in(client)
            assert LOCKED not in response.content.decode()
        assert LoginFailure.objects.filter(username="root", ip="127.0.0.1").count() == settings.LOGIN_MAX_FAILURES
        # The next attempt, with the RIGHT password, is refused and says why; so is the app's login page.
        response = attempt(client, ADMIN_LOGIN, "root", PASSWORD)
        assert response.status_code == 200 and not logged_in(client)
        assert LOCKED in response.content.decode()
        assert LOCKED in attempt(Client(), APP_LOGIN, "root", PASSWORD).content.decode()
        # After the window the right password logs in to the admin, and clears the failures.
        traveller.shift(datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES, seconds=1))
        response = attempt(client, ADMIN_LOGIN, "root", PASSWORD)
        assert response.status_code == 302 and response["Location"] == "/admin/" and logged_in(client)
        assert not LoginFailure.objects.filter(username="root").exists()
        assert client.get("/admin/").status_code == 200


def test_thirty_wrong_admin_passwords_do_not_let_the_thirty_first_in(superuser):
    """The figure of the finding: 30 wrong passwords, then the right one, within a minute."""
    client = Client()
    with time_machine.travel(START, tick=False):
        for _i in range(30):
            attempt(client, ADMIN_LOGIN, "root", "wrong-password")
        response = attempt(client, ADMIN_LOGIN, "root", PASSWORD)
    assert response.status_code == 200 and not logged_in(client)
    assert LOCKED in response.content.decode()
    # Refused attempts are not recorded: only the five that were checked.
    assert LoginFailure.objects.filter(username="root").count() == settings.LOGIN_MAX_FAILURES


def test_failures_on_the_app_login_lock_the_admin_login(superuser):
    with time_machine.travel(START, tick=False):
        for _i in range(settings.LOGIN_MAX_FAILURES):
            attempt(Client(), APP_LOGIN, "ROOT", "wrong-password")  # the lock is per name, whatever its case
        client = Client()
        response = attempt(client, ADMIN_LOGIN, "root", PASSWORD)
    assert LOCKED in response.content.decode() and not logged_in(client)


def test_a_user_without_staff_status_is_refused_by_the_admin_without_counting_a_failure(world):
    """The right password of a non-staff account is no guess: refused by the admin, but not held against them."""
    client = Client()
    response = attempt(client, ADMIN_LOGIN, "director", PASSWORD)
    assert response.status_code == 200 and not logged_in(client)
    assert not LoginFailure.objects.filter(username="director").exists()
    # A wrong one counts, as on the app's page.
    attempt(client, ADMIN_LOGIN, "director", "wrong-password")
    assert LoginFailure.objects.filter(username="director").count() == 1


# --- one address guessing many accounts -------------------------------------------------------------


@pytest.mark.parametrize("url", [APP_LOGIN, ADMIN_LOGIN], ids=["app", "admin"])
def test_one_address_is_throttled_across_account_names(world, superuser, settings, url):
    settings.LOGIN_MAX_FAILURES_PER_IP = 8
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    with time_machine.travel(START, tick=False) as traveller:
        # Eight names, one wrong password each: no name comes near its own lock ...
        for i in range(8):
            response = attempt(attacker, url, f"guess{i}", "wrong-password")
            assert IP_LOCKED not in response.content.decode()
        assert LoginFailure.objects.filter(ip="203.0.113.7").count() == 8
        # ... but the address is now refused, for any name, on both login pages, even with a right password.
        for page, name in ((APP_LOGIN, "director"), (ADMIN_LOGIN, "root")):
            response = attempt(attacker, page, name, PASSWORD)
            assert response.status_code == 200 and not logged_in(attacker)
            assert "来自地址 203.0.113.7 " + IP_LOCKED in response.content.decode()
        assert LoginFailure.objects.filter(ip="203.0.113.7").count() == 8  # refused attempts are not guesses
        # The accounts themselves are not locked: from another address they log in.
        other = Client(REMOTE_ADDR="198.51.100.2")
        assert attempt(other, APP_LOGIN, "director", PASSWORD).status_code == 302
        # Still refused just before the address's window ends, free again after it.
        traveller.shift(datetime.timedelta(minutes=settings.LOGIN_IP_LOCKOUT_MINUTES - 1))
        assert IP_LOCKED in attempt(attacker, url, "director", PASSWORD).content.decode()
        traveller.shift(datetime.timedelta(minutes=1, seconds=1))
        name = "root" if url == ADMIN_LOGIN else "director"
        assert attempt(attacker, url, name, PASSWORD).status_code == 302


def test_a_successful_login_does_not_reset_the_address_count(world, settings):
    """Logging in to one's own account between guesses clears that account's failures, not the address's."""
    settings.LOGIN_MAX_FAILURES_PER_IP = 6
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    with time_machine.travel(START, tick=False):
        for i in range(5):
            attempt(attacker, APP_LOGIN, f"guess{i}", "wrong-password")
        assert attempt(attacker, APP_LOGIN, "worker", PASSWORD).status_code == 302
        attacker.logout()
        attempt(attacker, APP_LOGIN, "guess5", "wrong-password")
        assert IP_LOCKED in attempt(attacker, APP_LOGIN, "worker", PASSWORD).content.decode()


def test_behind_a_proxy_the_address_is_the_one_the_proxy_forwarded(world, settings):
    """With TONGXIN_BEHIND_PROXY the proxy's own entry of X-Forwarded-For (the last) is the client: changing the
    entries before it, which the client writes, does not escape the throttle; without a proxy the header is ignored."""
    settings.LOGIN_MAX_FAILURES_PER_IP = 3
    settings.BEHIND_PROXY = True
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    with time_machine.travel(START, tick=False):
        for i in range(3):
            proxy.post(
                APP_LOGIN,
                {"username": f"guess{i}", "password": "wrong"},
                HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.7",
            )
        assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"203.0.113.7"}
        refused = proxy.post(
            APP_LOGIN, {"username": "director", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.7"
        )
        assert IP_LOCKED in refused.content.decode()
        # Another client behind the same proxy is not affected.
        other = proxy.post(
            APP_LOGIN, {"username": "director", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.2"
        )
        assert other.status_code == 302
        # Not behind a proxy, the header is the client's own and is not believed.
        settings.BEHIND_PROXY = False
        attempt(Client(REMOTE_ADDR="10.0.0.9"), APP_LOGIN, "guess9", "wrong")
        assert LoginFailure.objects.get(username="guess9").ip == "10.0.0.9"


# --- the admin can be turned off --------------------------------------------------------------------

PROBE = """
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client()
print(settings.ADMIN_ENABLED, client.get("/admin/login/", secure=True).status_code,
      client.get("/admin/", secure=True).status_code)
"""


def probe_admin(tmp_path: Path, **env: str) -> str:
    """Start the project in a fresh process with ``env`` (the URLconf is built once, at start) and ask /admin/."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TONGXIN_")}
    environ |= {"DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT), "TONGXIN_DATA_DIR": str(tmp_path)}
    environ |= env
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=environ, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(
    "env,expected",
    [
        ({"TONGXIN_ADMIN_ENABLED": "0"}, "False 404 404"),
        ({"TONGXIN_HTTPS": "1"}, "False 404 404"),  # production (behind HTTPS): off unless asked for
        ({"TONGXIN_HTTPS": "1", "TONGXIN_ADMIN_ENABLED": "1"}, "True 200 302"),
    ],
    ids=["off", "production-default", "production-on"],
)
def test_admin_enabled_setting_removes_the_admin_urls(tmp_path, env, expected):
    assert probe_admin(tmp_path, **env) == expected


def test_the_admin_is_on_by_default_in_development(db):
    """Without TONGXIN_HTTPS (development, `make run`, these tests) the admin is on."""
    assert not settings.HTTPS and settings.ADMIN_ENABLED
    assert Client().get(ADMIN_LOGIN).status_code == 200


def test_old_failed_logins_are_purged_by_the_worker_clock(db):
    from django.utils import timezone

    from tongxin.core import hooks, retention

    now = timezone.now()
    LoginFailure.objects.create(username="x", ip="10.0.0.1", at=now - datetime.timedelta(days=2))
    LoginFailure.objects.create(username="x", ip="10.0.0.1", at=now - datetime.timedelta(minutes=5))
    assert retention.purge_login_failures(now=now) == {"login_failures": 1}
    assert LoginFailure.objects.count() == 1  # the recent one still counts towards the lockout
    assert "purge_login_failures" in {job.name for job in hooks.periodic_jobs()}
