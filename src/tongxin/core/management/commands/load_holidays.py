"""``tongxin load-holidays [FILE] [--division CODE]``: load national or local holidays from a CSV."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.calendar import NATIONAL_CSV, HolidayFileError, load_holidays
from tongxin.core.importfile import command_file_errors
from tongxin.core.models import ObjectChange


class Command(BaseCommand):
    """Load the holiday table (idempotent). Columns: date,is_workday,name,source."""

    help = "Load holidays from a CSV (default: the shipped national table 2004–2026)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(NATIONAL_CSV))
        parser.add_argument("--division", help="division code for local holidays (default: national)")

    def handle(self, *args, **opts):
        from tongxin.org.models import Division

        division = None
        if opts["division"]:
            division = Division.objects.filter(code=opts["division"]).first()
            if division is None:
                raise CommandError(_("区划代码“%(code)s”不存在") % {"code": opts["division"]})
        with audit.audit_context(source=ObjectChange.Source.COMMAND):
            try:
                with command_file_errors(opts["file"]):
                    counts = load_holidays(opts["file"], division=division)
            except HolidayFileError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(f"holidays: {counts}")
