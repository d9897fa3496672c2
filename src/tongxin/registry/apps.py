"""Population registry app: households, persons, memberships, party branches, dwellings."""

from django.utils.translation import gettext_lazy as _

from tongxin.core import hooks


class RegistryConfig(hooks.ModuleConfig):
    """The register every other module points at."""

    name = "tongxin.registry"
    label = "registry"
    demo = "tongxin.registry.demo.run"
    indicators = "tongxin.registry.indicators.INDICATORS"
    verbose_name = _("人口信息")
    menu_group = hooks.MenuGroup("registry", _("人口台账"), "bi-people", order=20)
