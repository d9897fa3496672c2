"""Side effects after commit: a notification raised in a transaction that rolls back is never delivered; one in a
committed transaction is delivered by the worker, and a failing channel is retried."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from tongxin.core import outbox
from tongxin.core.models import Notification, OutboxMessage
from tongxin.core.notify import notify

SENT: list[tuple[str, str, str]] = []


IN_TRANSACTION: list[bool] = []


class RecordingBackend:
    """A channel that records what it sends (and whether a transaction was open while it sent)."""

    def send(self, user, message, url):
        from django.db import connection

        IN_TRANSACTION.append(connection.in_atomic_block)
        SENT.append((user.username, message, url))


class BrokenBackend:
    """A channel whose gateway is down."""

    def send(self, user, message, url):
        raise ConnectionError("gateway down")


@pytest.fixture
def channel(settings):
    SENT.clear()
    settings.NOTIFY_BACKENDS = ["tests.core.test_outbox.RecordingBackend"]
    settings.SITE_URL = "https://tongxin.example.cn"
    yield SENT
    SENT.clear()


@pytest.fixture
def db_worker(settings, transactional_db):
    """The database task queue that ``tongxin worker`` serves (a transactional test may follow one that flushed
    the roles the migrations made: they come back as after a migration)."""
    from tongxin.org.roles import sync_default_roles

    sync_default_roles()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def run_worker() -> None:
    """One pass of the worker over everything queued."""
    call_command("worker", "--batch", "--clock-seconds", "0", "--no-startup-delay", verbosity=0)


class Boom(Exception):
    pass


def test_a_notification_in_a_transaction_that_rolls_back_is_never_delivered_nor_shown(db_worker, world, channel):
    director = world.users["director"]
    with pytest.raises(Boom), transaction.atomic():
        notify([director], "case_new", "新事件：楼道堆物", url="/cases/cases/1/")
        raise Boom
    assert not Notification.objects.filter(user=director).exists()  # never in the inbox
    assert not OutboxMessage.objects.exists()
    run_worker()
    assert channel == []


def test_a_committed_notification_is_sent_by_the_worker_after_commit_not_before(db_worker, world, channel):
    director = world.users["director"]
    with transaction.atomic():
        notify([director, director], "case_new", "新事件：楼道堆物", url="/cases/cases/1/")
        assert channel == []  # nothing leaves inside the transaction
    assert channel == []  # queued for the worker, not sent by the request
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.PENDING
    IN_TRANSACTION.clear()
    run_worker()
    assert channel == [("director", "新事件：楼道堆物", "https://tongxin.example.cn/cases/cases/1/")]
    assert IN_TRANSACTION == [False]  # sent with no transaction open: a slow gateway holds no database lock
    row = OutboxMessage.objects.get()
    assert row.status == OutboxMessage.Status.SENT and row.attempts == 1 and row.sent_at is not None
    assert Notification.objects.filter(user=director, kind="case_new").count() == 1


@pytest.mark.django_db
def test_a_failing_channel_is_retried_with_pauses_then_given_up_and_the_step_is_not_undone(world, settings):
    settings.NOTIFY_BACKENDS = ["tests.core.test_outbox.BrokenBackend"]
    settings.OUTBOX_MAX_ATTEMPTS = 3
    director = world.users["director"]
    notify([director], "case_new", "新事件")  # no on_commit in this test transaction: the sweep delivers
    row = OutboxMessage.objects.get()
    t0 = timezone.now()
    assert outbox.deliver_due(t0)["failed"] == 1
    row.refresh_from_db()
    assert row.attempts == 1 and row.status == OutboxMessage.Status.PENDING
    assert row.next_attempt_at == t0 + datetime.timedelta(minutes=1)
    assert "gateway down" in row.last_error
    assert outbox.deliver_due(t0 + datetime.timedelta(seconds=30))["failed"] == 0  # not due yet
    assert outbox.deliver_due(t0 + datetime.timedelta(minutes=2))["failed"] == 1
    assert outbox.deliver_due(t0 + datetime.timedelta(hours=1))["failed"] == 1
    row.refresh_from_db()
    assert row.attempts == 3 and row.status == OutboxMessage.Status.FAILED
    assert outbox.deliver_due(t0 + datetime.timedelta(days=1))["failed"] == 0  # given up: not tried again
    assert Notification.objects.filter(user=director).count() == 1  # the inbox row stands


@pytest.mark.django_db
def test_the_sweep_sends_what_the_task_queue_missed_and_forgets_old_delivered_messages(world, channel, settings):
    settings.OUTBOX_RETENTION_DAYS = 7
    notify([world.users["worker"]], "case_assigned", "分派给你")
    t0 = timezone.now()
    assert outbox.deliver_due(t0) == {"sent": 1, "failed": 0, "purged": 0}
    assert channel == [("worker", "分派给你", "")]
    assert outbox.deliver_due(t0 + datetime.timedelta(days=1))["sent"] == 0  # sent once only
    assert outbox.deliver_due(t0 + datetime.timedelta(days=8))["purged"] == 1
    assert not OutboxMessage.objects.exists()
