"""Grid governance and cases: events, resident requests and disputes with working-day time limits."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """Cases (事件、诉求、矛盾纠纷), their categories, mediation and public-sentiment meetings."""

    name = "tongxin.cases"
    label = "cases"
    verbose_name = _("网格事件与诉求")
