"""Core app: its hooks (the system menu, the outbox sweep, the sweep of dead import jobs, the home items) and the
change-log receivers."""

from django.db.models import signals
from django.utils.translation import gettext_lazy as _

from tongxin.core import hooks


class CoreConfig(hooks.ModuleConfig):
    """The shared base every domain app stands on."""

    name = "tongxin.core"
    label = "core"
    verbose_name = _("基础")
    menu_group = hooks.MenuGroup("system", _("系统"), "bi-gear", order=1000)
    periodic_jobs = (
        hooks.PeriodicJob("tongxin.core.outbox.deliver_due"),
        hooks.PeriodicJob("tongxin.core.heartbeat.fail_stale_imports"),  # import jobs whose worker died
        hooks.PeriodicJob("tongxin.core.retention.purge_login_failures", every=3600),
        hooks.PeriodicJob("tongxin.core.retention.purge_export_jobs", every=3600),  # large exports' files
    )
    home_items = "tongxin.core.home.attention"

    def ready(self) -> None:
        from tongxin.core import audit, checks, lookups  # noqa: F401

        signals.pre_save.connect(audit.on_pre_save, dispatch_uid="tongxin_audit_pre_save")
        signals.post_save.connect(audit.on_post_save, dispatch_uid="tongxin_audit_post_save")
        signals.pre_delete.connect(audit.on_pre_delete, dispatch_uid="tongxin_audit_pre_delete")
        signals.post_delete.connect(audit.on_post_delete, dispatch_uid="tongxin_audit_post_delete")
        signals.m2m_changed.connect(audit.on_m2m_changed, dispatch_uid="tongxin_audit_m2m")
        from tongxin.core import calendar
        from tongxin.core.models import Holiday

        # this process forgets its calendars at once; other processes notice within calendar.VERSION_TTL seconds
        signals.post_save.connect(calendar.invalidate, sender=Holiday, dispatch_uid="tongxin_calendar_save")
        signals.post_delete.connect(calendar.invalidate, sender=Holiday, dispatch_uid="tongxin_calendar_delete")
        from tongxin.core import indicators

        indicators.connect()  # writes to the indicators' source models invalidate their cached figures
