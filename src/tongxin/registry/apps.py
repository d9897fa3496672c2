"""Population registry app: households, persons, memberships, party branches, dwellings."""

from django.utils.translation import gettext_lazy as _

from tongxin.core import hooks

#: the export kind of the register (花名册): more than ``EXPORT_BACKGROUND_ROWS`` persons are written by the worker
REGISTER_EXPORT = "registry.register"


class RegistryConfig(hooks.ModuleConfig):
    """The register every other module points at."""

    name = "tongxin.registry"
    label = "registry"
    demo = "tongxin.registry.demo.run"
    indicators = "tongxin.registry.indicators.INDICATORS"
    dashboard = "tongxin.registry.dashboard.DASHBOARD"
    verbose_name = _("人口信息")
    menu_group = hooks.MenuGroup("registry", _("人口台账"), "bi-people", order=20)

    def ready(self) -> None:
        from tongxin.core import exportjobs

        exportjobs.register_kind(REGISTER_EXPORT, "tongxin.registry.views.write_register_job")
