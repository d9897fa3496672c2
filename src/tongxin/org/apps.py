"""Organisation app: divisions, grids, roles and role assignments."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    """Divisions, grids, staff roles."""

    name = "tongxin.org"
    label = "org"
    verbose_name = _("组织")

    def ready(self) -> None:
        from tongxin.org import roles

        post_migrate.connect(roles.sync_default_roles, sender=self, dispatch_uid="tongxin_org_roles")
