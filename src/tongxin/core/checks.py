"""System checks: every scope declaration of a domain model resolves to a division or a grid."""

from django.apps import apps
from django.core import checks
from django.core.exceptions import FieldDoesNotExist


def _target(model, lookup: str):
    """The model a ``a__b__c`` lookup ends on (None when it does not resolve)."""
    for part in lookup.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if not field.is_relation:
            return None
        model = field.related_model
    return model


@checks.register()
def check_scope_declarations(app_configs, **kwargs):
    """``scope_division`` must lead to org.Division and ``scope_grid`` to org.Grid (or be custom)."""
    from tongxin.core.models import TongxinModel

    errors = []
    for model in apps.get_models():
        if not issubclass(model, TongxinModel) or "scope_filter" in vars(model):
            continue
        for attr, label in (("scope_division", "org.Division"), ("scope_grid", "org.Grid")):
            lookup = getattr(model, attr, None)
            if not lookup:  # None: not held by one; "": the model itself
                if lookup == "" and model._meta.label != label:
                    errors.append(
                        checks.Error(
                            f"{model._meta.label}.{attr} is '' but the model is not {label}",
                            obj=model,
                            id="tongxin.E001",
                        )
                    )
                continue
            target = _target(model, lookup)
            if target is None or target._meta.label != label:
                errors.append(
                    checks.Error(
                        f"{model._meta.label}.{attr} = {lookup!r} does not lead to {label}",
                        obj=model,
                        id="tongxin.E001",
                    )
                )
    return errors
