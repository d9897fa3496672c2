"""Grid governance and cases: events, resident requests and disputes with working-day time limits."""

from django.utils.translation import gettext_lazy as _

from tongxin.core import hooks


class CasesConfig(hooks.ModuleConfig):
    """Cases (事件、诉求、矛盾纠纷), their categories, mediation and public-sentiment meetings."""

    name = "tongxin.cases"
    label = "cases"
    demo = "tongxin.cases.demo.run"
    indicators = "tongxin.cases.indicators.INDICATORS"
    dashboard = "tongxin.cases.dashboard.DASHBOARD"
    verbose_name = _("网格事件与诉求")
    menu_group = hooks.MenuGroup("cases", _("网格事件与诉求"), "bi-megaphone", order=30)
    periodic_jobs = (
        hooks.PeriodicJob("tongxin.cases.clock.tick"),  # reminders and escalation of time limits
        hooks.PeriodicJob("tongxin.cases.attachments.purge_expired", every=3600),  # photos of unsent reports
    )
    home_items = "tongxin.cases.home.attention"
    # a person's and a household's pages list their cases (registry may not import cases: the layers)
    detail_panels = {
        "registry.Person": "tongxin.cases.panels.person_cases",
        "registry.Household": "tongxin.cases.panels.household_cases",
    }
    depends_on = ("registry",)
