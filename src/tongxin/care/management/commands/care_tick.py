"""``tongxin care-tick``: raise and escalate care warnings once (the worker does it every hour)."""

import json

from django.core.management.base import BaseCommand

from tongxin.care import warnings


class Command(BaseCommand):
    """Raise the care warnings whose facts hold and escalate the overdue ones; prints the counts as JSON."""

    help = "Raise care warnings (missed visits, elders living alone not contacted, re-checks due) and escalate them."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(warnings.tick(), ensure_ascii=False))
