"""``tongxin cases-report --division CODE [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--xlsx OUT.xlsx]``: the
timeliness report of cases (办结时效报表) of a division, as JSON on the last line of output and optionally
as a workbook. Runs deployment-wide (no scoping user): whoever may run commands may read every figure."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.cases import report
from tongxin.cases.report_views import last_12_months
from tongxin.org.models import Division


def parse_date(text: str, option: str) -> datetime.date:
    """A YYYY-MM-DD date, or a CommandError naming the option and the text."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("%(opt)s 的日期“%(v)s”无效，请按 YYYY-MM-DD 填写，例如 2026-01-31") % {"opt": option, "v": text}
        ) from None


class Command(BaseCommand):
    """Print (and optionally save as XLSX) the timeliness report of a division."""

    help = "Timeliness report of cases (办结时效报表) of a community, street or county, as JSON (and XLSX)."

    def add_arguments(self, parser: CommandParser) -> None:
        """--division CODE, --from, --to, --xlsx."""
        parser.add_argument("--division", "--community", dest="code", required=True, help="division code")
        parser.add_argument("--from", dest="start", help="first reporting date, YYYY-MM-DD (default: 12 months ago)")
        parser.add_argument("--to", dest="end", help="last reporting date, YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--xlsx", dest="xlsx", help="also write the workbook to this file")

    def handle(self, *args: Any, **opts: Any) -> None:
        """Compute the report unscoped, write the workbook if asked, print the JSON last."""
        division = Division.objects.filter(code=opts["code"]).first()
        if division is None:
            raise CommandError(_("区划代码“%(code)s”不存在") % {"code": opts["code"]})
        default_start, default_end = last_12_months(timezone.localdate())
        end = parse_date(opts["end"], "--to") if opts["end"] else default_end
        if opts["start"]:
            start = parse_date(opts["start"], "--from")
        elif opts["end"]:
            start = last_12_months(end + datetime.timedelta(days=1))[0]
        else:
            start = default_start
        if start > end:
            raise CommandError(_("开始日期 %(s)s 晚于结束日期 %(e)s") % {"s": start.isoformat(), "e": end.isoformat()})
        data = report.timeliness(None, division, start, end, unscoped=True)
        if opts["xlsx"]:
            out = Path(opts["xlsx"])
            try:
                out.write_bytes(report.timeliness_xlsx(data))
            except OSError as exc:
                raise CommandError(_("无法写入文件“%(f)s”：%(e)s") % {"f": out, "e": exc}) from exc
            self.stdout.write(_("已写入 %(f)s") % {"f": out})
        self.stdout.write(
            _("%(d)s %(s)s 至 %(e)s：上报 %(t)s 件，按时办结率 %(r)s")
            % {
                "d": data["division"]["full_name"] or division.name,
                "s": start.isoformat(),
                "e": end.isoformat(),
                "t": data["total"],
                "r": "—" if data["on_time_rate"] is None else f"{data['on_time_rate']}%",
            }
        )
        self.stdout.write(json.dumps(data, ensure_ascii=False))
