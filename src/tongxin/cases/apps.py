"""Grid governance and cases: events, resident requests and disputes with working-day time limits."""

from django.utils.translation import gettext_lazy as _

from tongxin.core import hooks


class CasesConfig(hooks.ModuleConfig):
    """Cases (事件、诉求、矛盾纠纷), their categories, mediation and public-sentiment meetings."""

    name = "tongxin.cases"
    label = "cases"
    demo = "tongxin.cases.demo.run"
    verbose_name = _("网格事件与诉求")
    menu_group = hooks.MenuGroup("cases", _("网格事件与诉求"), "bi-megaphone", order=30)
    periodic_jobs = (hooks.PeriodicJob("tongxin.cases.clock.tick"),)  # reminders and escalation of time limits
    home_items = "tongxin.cases.home.attention"
    depends_on = ("registry",)
