"""Import jobs carry their worker and its heartbeat, so that a job whose worker died is failed, not left running."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_accesslog_lookup"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="worker",
            field=models.CharField(blank=True, max_length=200, verbose_name="后台进程"),
        ),
        migrations.AddField(
            model_name="importjob",
            name="worker_key",
            field=models.CharField(blank=True, editable=False, max_length=120, verbose_name="进程标识"),
        ),
        migrations.AddField(
            model_name="importjob",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="最后心跳"),
        ),
    ]
