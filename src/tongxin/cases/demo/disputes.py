"""Disputes and 民情恳谈会 of the demo year: parties, mediation sessions, the meetings and their cases."""

from __future__ import annotations

import datetime

from tongxin.cases.demo.data import (
    AGREED_NOTE,
    CHENGGUAN_DISPUTES,
    DISPUTES,
    ETHNIC_DISPUTES,
    ETHNIC_SESSION_NOTE,
    FAILED_NOTE,
    HAN,
    SESSION_NOTES,
    SRC,
    Plan,
    Resident,
)
from tongxin.cases.models import Case, Category, Dispute, MediationSession, Meeting
from tongxin.core import bulk, codes


class DisputePlans:
    """The Builder's disputes and meetings."""

    def parties(self, ethnic: bool) -> tuple[Resident, Resident]:
        """Two parties: for an ethnic dispute one from a minority and one Han (or two minorities)."""
        rng = self.rng
        if ethnic and self.minorities:
            a = rng.choice(self.minorities)
            pool = self.han or self.minorities
            b = rng.choice(pool)
            if b.pk == a.pk and len(self.minorities) > 1:
                b = rng.choice([m for m in self.minorities if m.pk != a.pk])
            return a, b
        if ethnic:
            a, b = self.made_up(), self.made_up()
            a.ethnicity, b.ethnicity = rng.choice(("07", "03", "06", "14")), HAN
            return a, b
        a, b = self.resident(), self.resident()
        if a.pk is not None and a.pk == b.pk:
            b = self.made_up()
        return a, b

    def dispute_case(
        self,
        day: datetime.date,
        category: Category,
        *,
        ethnic: bool = False,
        template: tuple[str, str, str] | None = None,
        result: str | None = None,
        reported: datetime.datetime | None = None,
        source: str | None = None,
    ) -> Plan:
        """A dispute: reported, mediated in one to three sessions, and its result recorded."""
        rng = self.rng
        a, b = self.parties(ethnic)
        spot, place = self.location(a, category.code)
        if template is None:
            template = self.dispute_template(category)
        title, text, agreement = self.dispute_texts(template, category, a, b, place)
        if source is None:
            source = self.dispute_source(day, ethnic)
        reported = reported or self.report_time(day, source)
        plan = self.new_case(category, reported, source, who=a, spot_place=(spot, place), title=title, description=text)
        case = plan.case
        case.involves_ethnic = ethnic
        plan.persons = [r.pk for r in (a, b) if r.pk is not None]
        mediator = self.users["worker"] if rng.random() < 0.6 else self.users["director"]
        plan.mediators = [u for u in dict.fromkeys((self.users["director"], self.users["worker"])) if u is not None]
        plan.dispute = Dispute(
            case=case,
            community=self.community,
            parties_text="\n".join(r.name for r in (a, b) if r.pk is None),
            mediators_text="少数民族代表、乡贤、居民小组长" if ethnic else rng.choice(("居民小组长", "党员代表", "")),
        )
        if result is None:
            result = rng.choices(
                (Dispute.Result.MEDIATED, Dispute.Result.FAILED, Dispute.Result.COURT, Dispute.Result.OTHER),
                (72, 10, 8, 10),
            )[0]
        hours = self.dispute_hours(case, reported, ethnic)
        self.mediation_sessions(plan, (a, b), reported, hours, result, ethnic=ethnic)
        resolution, outcome_fields = self.dispute_resolution(result, agreement)
        resolved = self.workflow(plan, hours, resolution, assignee=mediator)
        plan.outcome = {"result": result, "result_date": resolved.astimezone(self.tz).date(), **outcome_fields}
        return plan

    def dispute_template(self, category: Category) -> tuple[str, str, str]:
        """A (title, description, agreement) template of the category, drawn (城关社区 has some of its own)."""
        pool = DISPUTES[category.code]
        if category.code == "neighbour" and self.p.code == "530424001002":
            pool = pool + CHENGGUAN_DISPUTES
        return self.rng.choice(pool)

    def dispute_texts(
        self, template: tuple[str, str, str], category: Category, a: Resident, b: Resident, place: str
    ) -> tuple[str, ...]:
        """The template's title, description and agreement filled in with the parties (names and ethnicities)
        and, for neighbours, the place."""
        eth = codes.table("ethnicity")
        values = {
            "a": a.name,
            "b": b.name,
            "ea": eth.name_of(a.ethnicity) or "少数民族",
            "eb": eth.name_of(b.ethnicity) or "汉族",
            "place": place if category.code == "neighbour" else "",
        }
        return tuple(t.format(**values) for t in template)

    def dispute_source(self, day: datetime.date, ethnic: bool) -> str:
        """How a dispute reported on ``day`` came in; an ethnic one mostly in person."""
        source = self.source_for(Case.Kind.DISPUTE, self.cal.is_workday(day))
        if ethnic:
            source = self.rng.choice((SRC.WALK_IN, SRC.WALK_IN, SRC.PATROL, SRC.PHONE))
        return source

    def dispute_hours(self, case: Case, reported: datetime.datetime, ethnic: bool) -> float:
        """The working hours until the dispute is resolved; an ethnic one is taken seriously: mediated over
        several days, within the time limit."""
        hours = self.resolve_hours(case)
        if ethnic:
            hours = (
                self.cal.working_time_between(reported, case.due_at).total_seconds()
                / 3600
                * self.rng.uniform(0.35, 0.85)
            )
        return hours

    def mediation_sessions(
        self,
        plan: Plan,
        parties: tuple[Resident, Resident],
        reported: datetime.datetime,
        hours: float,
        result: str,
        *,
        ethnic: bool,
    ) -> None:
        """One to three mediation sessions spread over the dispute's ``hours`` (one when it is handed on
        elsewhere), the last one's outcome following the ``result``."""
        rng = self.rng
        a, b = parties
        n_sessions = rng.choice((1, 2, 2, 3)) if result != Dispute.Result.OTHER else 1
        fractions = sorted(rng.uniform(0.35, 0.95) for _ in range(n_sessions))
        participants = "、".join(u.display_name for u in plan.mediators) + f"；当事人：{a.name}、{b.name}"
        if ethnic:
            participants += "；少数民族代表、乡贤"
        for i, f in enumerate(fractions):
            last = i == n_sessions - 1
            if last and result == Dispute.Result.MEDIATED:
                notes, outcome = AGREED_NOTE, MediationSession.Outcome.AGREED
            elif last and result in (Dispute.Result.FAILED, Dispute.Result.COURT):
                notes, outcome = FAILED_NOTE, MediationSession.Outcome.FAILED
            else:
                notes = ETHNIC_SESSION_NOTE if ethnic and i == 0 else SESSION_NOTES[i % len(SESSION_NOTES)]
                outcome = MediationSession.Outcome.CONTINUE
            plan.sessions.append(
                MediationSession(
                    community=self.community,
                    time=self.hours_after(reported, hours * f),
                    place=self.p.mediation_room,
                    participants=participants,
                    notes=notes,
                    outcome=outcome,
                )
            )

    def dispute_resolution(self, result: str, agreement: str) -> tuple[str, dict[str, str]]:
        """The resolution text of a dispute with that ``result``, and the dispute's outcome fields."""
        if result == Dispute.Result.MEDIATED:
            return f"经调解，双方自愿达成协议：{agreement}", {"agreement": agreement}
        if result == Dispute.Result.FAILED:
            return "经多次调解双方未能达成一致，已告知当事人可通过诉讼途径解决。", {}
        if result == Dispute.Result.COURT:
            return (
                f"调解不成，已引导当事人向{self.p.court}起诉，社区配合提供情况说明。",
                {"transferred_to": self.p.court},
            )
        partner = self.rng.choice((self.p.police, "司法所", "劳动保障监察大队"))
        return f"经初步了解，该纠纷需由{partner}处理，已移交并告知当事人。", {"transferred_to": partner}

    def plan_ethnic_disputes(self, days: list[datetime.date]) -> None:
        """The disputes involving ethnic factors, spread over the year and all mediated."""
        n = self.p.ethnic_disputes
        if not n or "neighbour" not in self.cats:
            return
        usable = [d for d in days if self.cal.is_workday(d) and d <= self.today - datetime.timedelta(days=21)]
        templates = list(ETHNIC_DISPUTES)
        self.rng.shuffle(templates)
        for i in range(n):
            segment = usable[i * len(usable) // n : (i + 1) * len(usable) // n]
            day = self.rng.choice(segment)
            template = templates[i % len(templates)]
            code = "family" if template[0] == "婚姻家庭纠纷" and "family" in self.cats else "neighbour"
            plan = self.dispute_case(
                day, self.cats[code], ethnic=True, template=template, result=Dispute.Result.MEDIATED
            )
            self.add(plan)

    # -- meetings

    def plan_meetings(self, days: list[datetime.date]) -> None:
        """The 民情恳谈会 of the year (one a month in 城关社区, one a quarter in 桃源社区), saved first so
        the cases raised there can point at them."""
        rng = self.rng
        n = len(self.p.topics)
        unused = list(self.p.topics)
        director = self.users["director"]
        host = director.display_name if director is not None else ""
        raised_at: list[tuple[Meeting, int, tuple[str, ...]]] = []
        for i in range(n):
            segment = days[i * len(days) // n : (i + 1) * len(days) // n]
            candidates = [d for d in segment if self.cal.is_workday(d) and d.weekday() in (1, 3)] or segment
            middle = len(candidates) // 2
            day = candidates[middle + rng.randint(-1, 1)] if len(candidates) > 2 else candidates[0]
            topic = min(unused, key=lambda t: min(abs(t[0] - day.month), 12 - abs(t[0] - day.month)))
            unused.remove(topic)
            _month, title, summary, categories = topic
            raised = rng.randint(2, 4)
            named = list(dict.fromkeys(rng.choice(self.adults).name for _ in range(4))) if self.adults else []
            attendees = "社区两委成员、党员代表、少数民族代表、居民小组长、乡贤、驻社区单位代表、居民代表"
            if named:
                attendees += "（" + "、".join(named) + "等）"
            minutes = (
                f"{host}主持会议。{summary}与会人员围绕“{title}”提出意见建议{raised + rng.randint(3, 9)}条，"
                f"现场答复{rng.randint(2, 6)}条，其余{raised}条由社区登记为事件跟踪办理，办理结果在下次会议上通报。"
            )
            meeting = Meeting(
                community=self.community,
                date=day,
                place=rng.choice(self.p.meeting_places),
                topic=title,
                host=host,
                attendees=attendees,
                attendee_count=rng.randint(28, 65),
                minutes=minutes,
            )
            self.meetings.append(meeting)
            raised_at.append((meeting, raised, categories))
        bulk.insert(self.meetings)
        for meeting, raised, categories in raised_at:
            for k in range(raised):
                code = categories[k % len(categories)]
                if code in self.cats:
                    self.add(self.meeting_case(meeting, self.cats[code], k))

    def meeting_case(self, meeting: Meeting, category: Category, k: int) -> Plan:
        """A case raised at a meeting, registered by the director right after it."""
        reported = self.at(meeting.date, 17.0 + k * 0.15 + self.rng.uniform(0, 0.1))
        who = self.resident()
        if category.kind == Case.Kind.DISPUTE:
            plan = self.dispute_case(meeting.date, category, reported=reported, source=SRC.MEETING)
            plan.case.meeting = meeting
            return plan
        spot, place = self.location(who, category.code)
        title, text, resolution = self.texts(category, spot, place, who)
        plan = self.new_case(
            category,
            reported,
            SRC.MEETING,
            who=who,
            spot_place=(spot, place),
            title=title,
            description=f"民情恳谈会上居民代表反映：{text}",
            meeting=meeting,
        )
        self.workflow(plan, self.resolve_hours(plan.case), resolution)
        return plan

    # -- duplicates and the clock
