"""Population registry app: households, persons, memberships, party branches, dwellings."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    """The register every other module points at."""

    name = "tongxin.registry"
    label = "registry"
    verbose_name = _("人口信息")
