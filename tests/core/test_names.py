"""URL and API names: each viewset declares its segment (an English plural), none is guessed with ``+ "s"``."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from tongxin.core.registry import registry
from tongxin.core.views.generic import SEGMENT, ObjectViewSet
from tongxin.org.models import Grid


def test_every_viewset_declares_a_kebab_case_plural_segment_used_by_its_pages_and_api():
    api_paths = {entry["model"]._meta.label: entry["path"] for entry in registry.api()}
    for vs in registry.all():
        assert SEGMENT.fullmatch(vs.segment), vs.__name__
        assert reverse(vs.url_name("list")).endswith(f"/{vs.segment}/"), vs.__name__
        label = vs.model._meta.label
        if label in api_paths:
            assert api_paths[label] == f"/{vs.segment}/", label


@pytest.mark.parametrize(
    ("label", "segment"),
    [
        ("cases.Category", "categories"),
        ("registry.PartyBranch", "party-branches"),
        ("org.RoleAssignment", "role-assignments"),
    ],
)
def test_irregular_and_compound_names_have_their_english_plural(label, segment):
    assert {vs.model._meta.label: vs.segment for vs in registry.all()}[label] == segment


def test_a_viewset_without_a_segment_cannot_be_mounted():
    class NamelessViewSet(ObjectViewSet):
        model = Grid

    with pytest.raises(ImproperlyConfigured, match="English plural"):
        NamelessViewSet.urls()


def test_the_openapi_document_names_operations_in_english_plurals(client, db):
    ids = {
        op["operationId"]
        for path in client.get("/api/v1/openapi.json").json()["paths"].values()
        for op in path.values()
    }
    assert {"list_categories", "get_category", "list_party_branches", "get_party_branch"} <= ids
    assert not [i for i in ids if re.search(r"([^aeiou]ys|chs|shs|sss)$", i)]  # categorys, branchs, …
