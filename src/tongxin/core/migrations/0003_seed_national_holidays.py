"""Seed the national holiday table (State Council notices 2004–2026) from core/data/holidays_cn.csv."""

from django.db import migrations


def seed(apps, schema_editor):
    from tongxin.core.calendar import NATIONAL_CSV, load_holidays

    load_holidays(NATIONAL_CSV, division=None, model=apps.get_model("core", "Holiday"))


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial"), ("org", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
