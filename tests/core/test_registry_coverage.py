"""Every registered model has a generic test class: scoping is proven for every model, not some."""

import importlib
import pkgutil
import sys

from tongxin.core.registry import registry
from tongxin.core.testing import ModelTestCase


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_registered_model_has_a_model_test_case():
    # Import every test module (discovered, not listed) so that their classes exist even when this file runs alone.
    import tests

    for module in pkgutil.walk_packages(tests.__path__, "tests."):
        if module.name.rsplit(".", 1)[-1].startswith("test_") and not module.name.startswith("tests.browser"):
            importlib.import_module(module.name)
    tested = {cls.viewset.model for cls in _subclasses(ModelTestCase) if hasattr(cls, "viewset")}
    missing = [vs.model._meta.label for vs in registry.all() if vs.model not in tested]
    assert not missing, f"models without a ModelTestCase: {missing}"
    assert "tests.cases.test_models_pages" in sys.modules


def test_every_model_declares_scope():
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.app_label in ("core", "org", "registry") and not model._meta.auto_created:
            assert hasattr(model, "scope_division") or model._meta.label in (
                "core.User",
                "core.ApiToken",
                "core.LoginFailure",
                "registry.NameKey",  # a search index of Person, reached only through scoped persons
            ), model._meta.label


def test_scope_check_passes_for_the_shipped_models():
    from tongxin.core.checks import check_scope_declarations

    assert check_scope_declarations(None) == []


def test_scope_check_reports_a_lookup_that_does_not_reach_a_division(monkeypatch):
    from tongxin.core.checks import check_scope_declarations
    from tongxin.org.models import Grid

    monkeypatch.setattr(Grid, "scope_division", "party_member")  # leads to a user, not a division
    errors = check_scope_declarations(None)
    assert [e.id for e in errors] == ["tongxin.E001"]
    assert "org.Grid.scope_division" in errors[0].msg


def test_every_tenant_table_is_keyed_by_community_in_one_join_at_most():
    """DESIGN rule 2: every tenant row reaches its community in one join at most, or says why it has none."""
    from django.apps import apps

    from tongxin.org.models import Division

    checked = []
    for model in apps.get_models():
        if not hasattr(model, "scope_division") or model._meta.app_label not in (
            "core",
            "org",
            "registry",
            "cases",
            "sample",
        ):
            continue
        if getattr(model, "not_community_keyed", ""):
            assert model.scope_division != "community", model._meta.label
            continue
        path = model.scope_division
        assert path and path.split("__")[-1] == "community", (
            f"{model._meta.label}: {path!r} does not end at a community"
        )
        assert path.count("__") <= 1, f"{model._meta.label}: {path!r} takes more than one join"
        field = model._meta.get_field(path.split("__")[0])
        target = field.related_model if "__" in path else model
        assert target._meta.get_field("community").related_model is Division, model._meta.label
        sql = str(model._default_manager.filter(**{f"{path}_id": 1}).order_by().query).upper()
        assert sql.count(" JOIN ") <= 1, (model._meta.label, sql)
        checked.append(model._meta.label)
    assert {"registry.Person", "cases.Case", "cases.CaseStep", "sample.VisitPhoto"} <= set(checked)
