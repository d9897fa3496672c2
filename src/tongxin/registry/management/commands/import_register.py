"""``tongxin import-register FILE --community CODE [--dry-run] [--all-or-nothing] [--errors OUT.xlsx]``."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tongxin.core.importer import ImportFileError, problems_workbook
from tongxin.org.models import Division
from tongxin.registry.register import RegisterImporter

SUMMARY_KEYS = (
    "rows",
    "created",
    "updated",
    "unchanged",
    "rejected",
    "warnings",
    "households_created",
    "households_updated",
)


class Command(BaseCommand):
    """Import a community's register (XLSX, XLS or CSV); the last line printed is the JSON summary."""

    help = "Import a population register (花名册) into a community; prints a JSON summary as the last line."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--community", required=True, help="12-digit community/village code")
        parser.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
        parser.add_argument("--all-or-nothing", action="store_true", help="write nothing if any row is rejected")
        parser.add_argument("--errors", help="write the rejected rows with a reason column to this XLSX file")
        parser.add_argument("--user", help="import as this user (their scope applies); default: the deployment")

    def handle(self, *args, **opts):
        from tongxin.core.models import User

        community = Division.objects.filter(code=opts["community"]).first()
        if community is None:
            raise CommandError(_("区划代码“%(code)s”不存在") % {"code": opts["community"]})
        user = None
        if opts["user"]:
            user = User.objects.filter(username=opts["user"], is_active=True).first()
            if user is None:
                raise CommandError(_("用户“%(u)s”不存在") % {"u": opts["user"]})
        path = Path(opts["file"])
        if not path.exists():
            raise CommandError(_("文件不存在：%(path)s") % {"path": path})
        importer = RegisterImporter(user, community)
        try:
            outcome = importer.process(path, commit=not opts["dry_run"], all_or_nothing=opts["all_or_nothing"])
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        summary = outcome["summary"]
        for problem in outcome["problems"][:20]:
            reasons = "；".join(problem["errors"] or problem["warnings"])
            label = _("未导入") if problem["status"] == "rejected" else _("警告")
            where = _("第 %(n)s 行") % {"n": problem["row"]}
            self.stderr.write(f"{where} {label}：{reasons}")
        if len(outcome["problems"]) > 20:
            self.stderr.write(_("……另有 %(n)s 行有问题") % {"n": len(outcome["problems"]) - 20})
        if outcome["unknown_columns"]:
            self.stderr.write(_("未识别的列（未导入）：%(c)s") % {"c": "、".join(outcome["unknown_columns"])})
        written = not opts["dry_run"] and not summary.get("rolled_back")
        if outcome["groups_created"]:
            message = _("新建居民小组：%(g)s") if written else _("将新建居民小组（本次未写入）：%(g)s")
            self.stderr.write(message % {"g": "、".join(outcome["groups_created"])})
        if outcome["branches_created"]:
            message = _("新建党组织：%(g)s") if written else _("将新建党组织（本次未写入）：%(g)s")
            self.stderr.write(message % {"g": "、".join(outcome["branches_created"])})
        if summary.get("rolled_back"):
            self.stderr.write(_("已选择“全部无误才导入”，因存在错误行，本次未写入任何数据"))
        if opts["errors"]:
            Path(opts["errors"]).write_bytes(problems_workbook(outcome["problems"]))
        result = {k: summary[k] for k in SUMMARY_KEYS}
        if summary.get("rolled_back"):
            result["rolled_back"] = True
        self.stdout.write(json.dumps(result, ensure_ascii=False))
