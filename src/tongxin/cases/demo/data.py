"""The demo's constants, community profiles and words (cases/data/demo.json), and the plan records."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tongxin.cases.models import Case, Dispute, FollowUp, MediationSession

SEED = "tongxin-cases-demo-2026"
S = Case.Status
SRC = Case.Source
MINUTE = datetime.timedelta(minutes=1)
HAN = "01"

# -- the communities ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """How one demo community's year of cases looks."""

    code: str
    per_year: int
    center: tuple[float, float]  # latitude, longitude (WGS-84)
    weights: dict[str, float]
    groups: int  # resident groups named as places ("3组"); 0 for a purely urban community
    estates: tuple[str, ...]
    roads: tuple[str, ...]
    landmarks: tuple[str, ...]
    hotline_prefix: str
    training: str
    court: str
    police: str
    mediation_room: str
    meeting_places: tuple[str, ...]
    topics: tuple[tuple[int, str, str, tuple[str, ...]], ...]  # month, topic, minutes, category codes
    ethnic_disputes: int
    board: int  # scale of the open cases of the last days


def _frozen(value: Any) -> Any:
    """JSON's lists as the tuples the builder keeps (dicts stay dicts)."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    return value


#: the demo's words: community profiles, case texts, disputes, mediation notes, names (cases/data/demo.json)
DATA = _frozen(json.loads((Path(__file__).parent.parent / "data" / "demo.json").read_text(encoding="utf-8")))
PROFILES = {p["code"]: Profile(**p) for p in DATA["profiles"]}
#: per category: title, description and the matching result ({spot} a short place, {place} the address)
TEMPLATES: dict[str, tuple[tuple[str, str, str], ...]] = DATA["templates"]
#: where a category's problems are: home addresses and estates for flats, anywhere for streets and bins
PLACES: dict[str, tuple[str, ...]] = DATA["places"]
#: categories whose problems are inside a home or building (the address is a flat, not a street corner)
INDOOR = frozenset(DATA["indoor"])
ESTATE_SPOTS = DATA["estate_spots"]
GENERIC_RESOLUTION = DATA["generic_resolution"]
#: dispute templates: title, description (with {a}/{b} the parties and {place}), agreement
DISPUTES: dict[str, tuple[tuple[str, str, str], ...]] = DATA["disputes"]
CHENGGUAN_DISPUTES = DATA["chengguan_disputes"]
ETHNIC_DISPUTES = DATA["ethnic_disputes"]
SESSION_NOTES = DATA["session_notes"]
ETHNIC_SESSION_NOTE = DATA["ethnic_session_note"]
AGREED_NOTE = DATA["agreed_note"]
FAILED_NOTE = DATA["failed_note"]
REJECT_REASONS = DATA["reject_reasons"]
FOLLOW_COMMENTS = {int(k): v for k, v in DATA["follow_comments"].items()}
SURNAMES = DATA["surnames"]
GIVEN = DATA["given"]
GROUP_PLACES = DATA["group_places"]
PRIORITY_UP = {"low": "normal", "normal": "high", "high": "urgent", "urgent": "urgent"}


# -- plans: a case and the steps it will go through ---------------------------------------------------


@dataclass
class Event:
    """One planned workflow step of a case: when, which step, by whom, with which field changes."""

    time: datetime.datetime
    step: str
    actor: Any
    note: str = ""
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """A case (built in its reported state) with the steps planned for it and its side rows."""

    case: Case
    events: list[Event]
    end: datetime.datetime | None = None  # when the clock stops (resolved, rejected, merged, suspended)
    board: bool = False
    resolution: str = ""  # the result text that goes with the problem
    rejected: bool = False
    merge_into: Plan | None = None
    merged_in: Event | None = None  # the step added to the case it was merged into
    persons: list[int] = field(default_factory=list)
    dispute: Dispute | None = None
    sessions: list[MediationSession] = field(default_factory=list)
    mediators: list[Any] = field(default_factory=list)
    outcome: dict[str, Any] = field(default_factory=dict)  # the dispute's fields once resolved
    follow: FollowUp | None = None
    log: list[tuple] = field(default_factory=list)  # change-log entries after replay
    merge_entry: dict | None = None


@dataclass
class Resident:
    """What the demo needs of a registry person (or of a made-up reporter when the register is empty)."""

    pk: int | None
    name: str
    address: str
    ethnicity: str
    grid_id: int | None
    group: int | None


# -- the generator ------------------------------------------------------------------------------------
