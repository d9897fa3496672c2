"""System checks: every registered model declares its scope."""

from django.core import checks


@checks.register()
def check_registered_models(app_configs, **kwargs):
    """Each model registered with core declares how it is scoped."""
    from tongxin.core.registry import registry

    errors = []
    for entry in registry.all():
        model = entry.model
        if not hasattr(model, "scope_division") and not hasattr(model, "scope_filter"):
            errors.append(checks.Error(f"{model._meta.label} declares no scope", id="tongxin.E001"))
    return errors
