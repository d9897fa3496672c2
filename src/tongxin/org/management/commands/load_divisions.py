"""``tongxin load-divisions [--county 530103 ...]``: load division codes (Yunnan 2023 statistical codes)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.importfile import command_file_errors
from tongxin.core.models import ObjectChange
from tongxin.org import divisions


class Command(BaseCommand):
    """Load any subset of the shipped division codes, idempotently."""

    help = "Load divisions from the shipped statistical division codes (all of Yunnan, or the given subtrees)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--county",
            "--code",
            dest="codes",
            action="append",
            default=[],
            help="a division code whose subtree (and ancestors) to load; repeatable",
        )
        parser.add_argument("--file", default=str(divisions.DATA_FILE), help="a CSV with code,name,level,parent_code")

    def handle(self, *args, **opts):
        from pathlib import Path

        with command_file_errors(opts["file"]):
            rows = divisions.read_divisions(Path(opts["file"]))
        if opts["codes"]:
            try:
                rows = divisions.select(rows, opts["codes"])
            except KeyError as exc:
                raise CommandError(_("区划代码“%(code)s”不在数据文件中") % {"code": exc.args[0]}) from exc
        with audit.audit_context(source=ObjectChange.Source.COMMAND):
            counts = divisions.load(rows)
        self.stdout.write(f"divisions: {counts}")
