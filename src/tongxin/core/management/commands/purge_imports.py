"""``tongxin purge-imports [--days N]``: delete old import files and their problem rows (personal data)."""

from django.core.management.base import BaseCommand

from tongxin.core.retention import purge_import_jobs


class Command(BaseCommand):
    """Purge finished import jobs older than the retention period (the worker also does it when it starts)."""

    help = "Delete uploaded import files and problem rows older than TONGXIN_IMPORT_RETENTION_DAYS (default 30)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, **opts):
        self.stdout.write(f"purged: {purge_import_jobs(opts['days'])}")
