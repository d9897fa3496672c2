"""Import files and problem rows (raw personal data) are purged after the retention period."""

import datetime
import io

from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from tongxin.core.models import ImportJob


def test_old_import_jobs_lose_their_file_and_rows_but_keep_their_counts(world, settings):
    settings.IMPORT_RETENTION_DAYS = 30
    old = ImportJob.objects.create(
        user=world.users["worker"],
        community=world.a,
        target="registry.Person",
        file=ContentFile(b"x", name="old.csv"),
        file_name="old.csv",
        status="done",
        summary={"rows": 1, "rejected": 1},
        problems=[{"row": 2, "status": "rejected", "errors": ["身份证号“530103198001020027”校验位错误"]}],
    )
    recent = ImportJob.objects.create(
        user=world.users["worker"],
        community=world.a,
        target="registry.Person",
        file=ContentFile(b"y", name="new.csv"),
        file_name="new.csv",
        status="done",
        problems=[{"row": 2, "status": "rejected", "errors": ["x"]}],
    )
    path = old.file.path
    ImportJob.objects.filter(pk=old.pk).update(last_updated=timezone.now() - datetime.timedelta(days=31))
    out = io.StringIO()
    call_command("purge_imports", stdout=out)
    assert "purged: 1" in out.getvalue()
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.problems == [] and not old.file and old.summary["rows"] == 1 and old.summary["purged"]
    assert recent.problems and recent.file
    import os

    assert not os.path.exists(path)
