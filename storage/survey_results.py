"""Survey results computed by the database, never by reading every answer into Python.

SQL returns, for the submitted sheets of one campaign (and per school or role when asked): the count of every
level or option of every question; every question's moments — n, Σx and Σx² — follow from those counts, and the
mean and the sample standard deviation from the moments, exactly. A section's or the whole survey's moments are
the sums of its items' moments (they add up exactly), so a few dozen rows come back however many answers there are.
Typed answers are the exception: they are listed, so they are read.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, Select, distinct, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, School
from storage.survey_models import SurveyAnswer, SurveyResponse, SurveySheet
from storage.surveys import TEXT_ANSWER

GROUPINGS = ("school", "role")
Group = Any  # a school id, a position code, or None (not grouped, or not known)


@dataclass(frozen=True, slots=True)
class Moments:
    """n, Σx and Σx² of a set of likert answers: enough for the mean and the sample S.D., and additive."""

    n: int = 0
    total: int = 0
    squares: int = 0

    def __add__(self, other: Moments) -> Moments:
        return Moments(self.n + other.n, self.total + other.total, self.squares + other.squares)

    @property
    def mean(self) -> Fraction | None:
        return Fraction(self.total, self.n) if self.n else None

    @property
    def variance(self) -> Fraction | None:
        """The sample variance (divided by n − 1), exact; None below two answers."""
        if self.n < 2:
            return None
        return (self.squares - Fraction(self.total * self.total, self.n)) / (self.n - 1)

    @property
    def sd(self) -> float | None:
        variance = self.variance
        return math.sqrt(variance) if variance is not None else None


@dataclass(frozen=True, slots=True)
class Aggregates:
    counts: dict[tuple[Group, int], dict[int, int]]  # (group, question id) -> {value: count}
    moments: dict[tuple[Group, int], Moments]  # (group, question id) -> moments of its values
    respondents: dict[tuple[Group, int], int]  # (group, question id) -> sheets that answered it
    sheets: dict[Group, int]  # group -> submitted sheets

    def groups(self) -> list[Group]:
        return sorted(self.sheets, key=lambda g: (g is None, str(g)))


def _group_columns(by: str | None) -> list[Any]:
    if by is None:
        return []
    if by == "school":
        return [SurveySheet.school_id]
    if by == "role":
        return [SurveySheet.position]
    raise ValueError(f"unknown grouping {by!r}: use one of {', '.join(GROUPINGS)}")


async def aggregate(
    session: AsyncSession, campaign_id: int, *, by: str | None = None, several: Collection[int] = ()
) -> Aggregates:
    """Counts and moments of every question of the campaign's submitted sheets, per group when `by` is given.

    `several` names the questions answered with several options: a sheet gives them a row per option, so their
    respondents are counted apart (for the others, respondents are the answers)."""
    group = _group_columns(by)
    submitted = (SurveySheet.campaign_id == campaign_id) & SurveySheet.completed.is_(True)

    def answers(*columns: Any) -> Select[Any]:
        query = select(*group, SurveyAnswer.question_id, *columns)
        if group:  # the group is on the sheet
            return query.join(SurveySheet, SurveySheet.id == SurveyAnswer.sheet_id).where(submitted)
        # Not grouped: a semi-join on the sheet ids is the cheaper plan (SQLite reads only the answers' index).
        return query.where(SurveyAnswer.sheet_id.in_(select(SurveySheet.id).where(submitted)))

    def key(row: Any) -> tuple[Group, int]:
        return (row[0] if group else None, row[len(group)])

    counts: dict[tuple[Group, int], dict[int, int]] = defaultdict(dict)
    rows = await session.execute(
        answers(SurveyAnswer.value, func.count()).group_by(*group, SurveyAnswer.question_id, SurveyAnswer.value)
    )
    for row in rows:
        counts[key(row)][row[-2]] = int(row[-1])

    # The moments follow from the counts per level exactly (integers), so the answers are read once, not twice.
    moments = {
        k: Moments(
            sum(by_value.values()), sum(v * c for v, c in by_value.items()), sum(v * v * c for v, c in by_value.items())
        )
        for k, by_value in counts.items()
    }
    respondents = {k: m.n for k, m in moments.items()}
    if several:
        rows = await session.execute(
            answers(func.count(distinct(SurveyAnswer.sheet_id)))
            .where(SurveyAnswer.question_id.in_(list(several)))
            .group_by(*group, SurveyAnswer.question_id)
        )
        respondents.update({key(row): int(row[-1]) for row in rows})

    per_group = await session.execute(select(*group, func.count()).where(submitted).group_by(*group))
    sheets = {(row[0] if group else None): int(row[-1]) for row in per_group}
    return Aggregates(dict(counts), moments, respondents, sheets)


@dataclass(frozen=True, slots=True)
class TypedAnswer:
    question_id: int
    text: str
    by: str | None  # the respondent's name, for a named survey whose respondent has not erased their data


async def typed_answers(session: AsyncSession, campaign_id: int, *, named: bool) -> list[TypedAnswer]:
    """The typed answers of the submitted sheets, in sheet order (random: it says nothing about who or when)."""
    name: ColumnElement[Any] = Contact.display_name.expression if named else literal(None)
    query = (
        select(SurveyAnswer.question_id, SurveyAnswer.text, name)
        .join(SurveySheet, SurveySheet.id == SurveyAnswer.sheet_id)
        .where(
            SurveySheet.campaign_id == campaign_id,
            SurveySheet.completed.is_(True),
            SurveyAnswer.value == TEXT_ANSWER,
            SurveyAnswer.text.is_not(None),
        )
        .order_by(SurveyAnswer.question_id, SurveyAnswer.sheet_id)
    )
    if named:
        query = query.outerjoin(SurveyResponse, SurveyResponse.sheet_id == SurveySheet.id).outerjoin(
            Contact, Contact.id == SurveyResponse.contact_id
        )
    rows = await session.execute(query)
    return [TypedAnswer(question_id, text, who) for question_id, text, who in rows]


async def school_names(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(School.id, School.name).where(School.id.in_(ids)))
    return {school_id: name for school_id, name in rows}
