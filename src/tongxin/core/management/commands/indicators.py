"""``tongxin indicators --division CODE [--period P] [--keys K1,K2] [--user NAME] [--json]``: the indicators of a
division (``*``: the whole deployment) for a period, as the API returns them. Runs deployment-wide unless
``--user`` names whose scope to evaluate in."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from django.utils.translation import gettext as _

from tongxin.core import indicators


class Command(BaseCommand):
    """Print a division's indicators (a table, or the API's JSON with ``--json``)."""

    help = "Indicators of a division (community, street, county or * for the deployment) for a period."

    def add_arguments(self, parser: CommandParser) -> None:
        """--division, --period, --keys, --user, --json."""
        parser.add_argument("--division", dest="code", required=True, help="division code, or * for all")
        parser.add_argument("--period", default="", help="2026, 2026-03, 2026-Q1, a day or A..B")
        parser.add_argument("--keys", default="", help="comma-separated indicator keys (default: all)")
        parser.add_argument("--user", default="", help="evaluate within this user's scope")
        parser.add_argument("--json", action="store_true", help="print the API's JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        """Evaluate and print."""
        from tongxin.core.models import User

        try:
            period = indicators.parse_period(opts["period"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        code = opts["code"]
        try:
            division = indicators.find_division(code)
        except Http404:
            raise CommandError(_("区划代码“%(code)s”不存在") % {"code": code}) from None
        user: Any = indicators.SystemActor()
        if opts["user"]:
            user = User.objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(_("用户“%(u)s”不存在") % {"u": opts["user"]})
        keys = [k.strip() for k in opts["keys"].split(",") if k.strip()] or None
        try:
            result = indicators.evaluate(keys, division, period, user)
        except (PermissionDenied, Http404):
            raise CommandError(
                _("用户“%(u)s”无权查看区划“%(code)s”的指标") % {"u": opts["user"], "code": code}
            ) from None
        if opts["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write(f"{result['division']['full_name']}  {period.start} – {period.end}")
        for entry in result["indicators"]:
            value = "—" if entry["value"] is None else entry["value"]
            self.stdout.write(f"  {entry['label']}（{entry['key']}）: {value} {entry['unit']}")
            for item in entry.get("series", []):
                self.stdout.write(f"      {item['name']}: {item['value']}")
