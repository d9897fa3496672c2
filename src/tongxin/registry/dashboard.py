"""The registry's part of the dashboards (:mod:`tongxin.core.dashboard`): households and persons, the population
pyramid, ethnic composition and registration status; per community, persons and households."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tongxin.core import dashboard as d
from tongxin.registry.indicators import UNKNOWN_AGE

DASHBOARD = d.Part(
    figures=("registry.persons", "registry.households", "registry.minority_persons", "registry.party_members"),
    charts=(
        d.pyramid(
            "pyramid",
            _("人口金字塔"),
            "registry.persons_by_age_band_male",
            "registry.persons_by_age_band_female",
            sides=(_("男"), _("女")),
            exclude=(UNKNOWN_AGE,),
        ),
        d.breakdown("ethnicity", _("民族构成"), "registry.persons_by_ethnicity"),
        d.breakdown("registration", _("人口类型"), "registry.persons_by_registration_status"),
    ),
    compare=("registry.persons", "registry.households"),
    compare_charts=(d.children("persons_by_division", _("各区划人数"), "registry.persons"),),
    order=10,
)
