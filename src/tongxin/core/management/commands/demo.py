"""``tongxin demo``: create the demo communities, users and data (deterministic, idempotent)."""

from django.core.management.base import BaseCommand

from tongxin.core import audit, hooks
from tongxin.core.models import ObjectChange


class Command(BaseCommand):
    """Run each module's declared demo in app order; print the demo logins."""

    help = "Create the demo data: 桃源社区 and 城关社区 with groups, grids and a user for every role."

    def handle(self, *args, **opts):
        logins = []
        with audit.audit_context(source=ObjectChange.Source.COMMAND):
            for run in hooks.demos():  # each module's demo, declared on its AppConfig
                logins += run(self.stdout) or []
        if logins:
            self.stdout.write(f"\n演示账号 Demo logins (password for all: {logins[0][2]}):")
            for username, role, _password, where in logins:
                self.stdout.write(f"  {username:<22} {role:<12} {where}")
