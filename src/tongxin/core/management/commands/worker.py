"""``tongxin worker``: run the background task worker (django-tasks database backend)."""

from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from tongxin.core.retention import purge_import_jobs


class Command(DBWorkerCommand):
    """The database-backed task worker (imports, reports); same options as ``db_worker``. On start it purges
    import files and problem rows past their retention period."""

    help = "Run the Tongxin background worker (imports, reports, reminders)."

    def handle(self, *args, **options):
        purge_import_jobs()
        return super().handle(*args, **options)
