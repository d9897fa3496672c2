"""``tongxin worker``: run the background task worker (django-tasks database backend)."""

from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand


class Command(DBWorkerCommand):
    """The database-backed task worker (imports, reports); same options as ``db_worker``."""

    help = "Run the Tongxin background worker (imports, reports, reminders)."
