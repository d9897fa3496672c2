"""Care of key populations (关爱服务): programmes and enrolments, visits on a schedule that never slides."""

from django.utils.translation import gettext_lazy as _

from tongxin.core import hooks


class CareConfig(hooks.ModuleConfig):
    """Programmes (低保, 特困供养, 留守老人 …), who is enrolled in them and the visits they are owed."""

    name = "tongxin.care"
    label = "care"
    verbose_name = _("关爱服务")
    menu_group = hooks.MenuGroup("care", _("关爱服务"), "bi-heart", order=40)
    # a visit's need becomes a case; the persons and households are the register's
    depends_on = ("registry", "cases")
    demo = "tongxin.care.demo.run"
    home_items = "tongxin.care.home.attention"
    periodic_jobs = (hooks.PeriodicJob("tongxin.care.warnings.tick", every=3600),)  # warnings (预警)
    indicators = "tongxin.care.indicators.INDICATORS"
    dashboard = "tongxin.care.dashboard.DASHBOARD"
    # the care file (一人一档) on a person's and a household's pages
    detail_panels = {
        "registry.Person": ("tongxin.care.panels.person_file", "tongxin.care.panels.person_visits"),
        "registry.Household": "tongxin.care.panels.household_file",
    }

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from tongxin.care.defaults import load_after_migrate

        post_migrate.connect(load_after_migrate, sender=self, dispatch_uid="tongxin_care_programmes")
