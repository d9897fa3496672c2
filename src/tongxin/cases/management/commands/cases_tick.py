"""``tongxin cases-tick``: remind and escalate cases once (the worker does it every minute)."""

import json

from django.core.management.base import BaseCommand

from tongxin.cases import clock


class Command(BaseCommand):
    """Send due-soon reminders and escalate overdue cases now; prints the counts as JSON."""

    help = "Remind assignees of cases falling due and escalate overdue cases (community, then street)."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(clock.tick(), ensure_ascii=False))
