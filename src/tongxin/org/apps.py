"""Organisation app: divisions, grids, roles and role assignments."""

from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from tongxin.core import hooks


class OrgConfig(hooks.ModuleConfig):
    """Divisions, grids, staff roles."""

    name = "tongxin.org"
    label = "org"
    demo = "tongxin.org.demo.run"
    verbose_name = _("组织")
    menu_group = hooks.MenuGroup("org", _("组织与网格"), "bi-diagram-3", order=10)
    home_items = "tongxin.org.home.attention"

    def ready(self) -> None:
        from tongxin.org import roles

        post_migrate.connect(roles.sync_default_roles, sender=self, dispatch_uid="tongxin_org_roles")
