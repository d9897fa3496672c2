"""``tongxin stats --community CODE [--json]``: the registry's figures for a community, street or county."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tongxin.org.models import Division
from tongxin.registry.stats import compute


class Command(BaseCommand):
    """Print the figures (households, persons, ethnic groups, party members...) of a division."""

    help = "Registry statistics of a community (or a street/county code for a roll-up)."

    def add_arguments(self, parser):
        parser.add_argument("--community", "--division", dest="code", required=True, help="division code")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **opts):
        division = Division.objects.filter(code=opts["code"]).first()
        if division is None:
            raise CommandError(_("区划代码“%(code)s”不存在") % {"code": opts["code"]})
        figures = compute(division)
        if opts["json"]:
            self.stdout.write(json.dumps(figures, ensure_ascii=False))
            return
        self.stdout.write(f"{division.full_name}（{division.code}）")
        for key, value in figures.items():
            if key in ("division",):
                continue
            self.stdout.write(f"  {key}: {json.dumps(value, ensure_ascii=False)}")
