"""Import checked definitions: a survey someone has started gets a new version, so old answers keep theirs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from handlers.surveys.questions import SurveyDefinition, localized
from storage import surveys


class ImportAction(StrEnum):
    """What importing a file did to the database."""

    CREATED = "created"
    UNCHANGED = "unchanged"
    UPDATED = "updated"
    NEW_VERSION = "new version"


class KindChanged(ValueError):
    """A question keeps its id but not its kind: its earlier answers would be read on the wrong scale."""


@dataclass(frozen=True)
class ImportResult:
    """One imported survey: its key, the version new conversations will use, and what changed."""

    key: str
    version: int
    action: ImportAction


def import_definition(session: Session, *, definition: SurveyDefinition, now: datetime) -> ImportResult:
    """Store a definition; edit the latest version in place only while nobody has started it."""
    key, data, checksum = definition.key, definition.to_json(), definition.checksum()
    title = localized(definition.title, None)
    survey = surveys.get_by_key(session, key=key)
    if survey is None:
        survey = surveys.create_survey(session, key=key, title=title, public=definition.public, now=now)
        surveys.create_version(session, survey=survey, number=1, definition=data, checksum=checksum, now=now)
        return ImportResult(key, 1, ImportAction.CREATED)
    latest = surveys.get_latest_version(session, survey_id=survey.id)
    if latest.checksum == checksum:
        return ImportResult(key, latest.number, ImportAction.UNCHANGED)
    _check_kinds(session, survey_id=survey.id, definition=definition)
    survey.title, survey.public, survey.updated_at = title, definition.public, now
    if surveys.count_responses(session, version_id=latest.id) == 0:
        latest.definition, latest.checksum = data, checksum
        return ImportResult(key, latest.number, ImportAction.UPDATED)
    version = surveys.create_version(session, survey=survey, number=latest.number + 1, definition=data,
                                     checksum=checksum, now=now)
    return ImportResult(key, version.number, ImportAction.NEW_VERSION)


def _check_kinds(session: Session, *, survey_id: int, definition: SurveyDefinition) -> None:
    """Refuse a question id that answered versions used for another kind (reports merge answers by id)."""
    for version in surveys.list_versions(session, survey_id=survey_id):
        if surveys.count_responses(session, version_id=version.id) == 0:
            continue
        kinds = {question["id"]: question["kind"] for question in version.definition["questions"]}
        for question in definition.questions:
            before = kinds.get(question.id)
            if before is not None and before != question.kind:
                raise KindChanged(f"{definition.key}: question '{question.id}' was a {before} question in version "
                                  f"{version.number}, which has answers; give the {question.kind} question a new id")


def import_definitions(session: Session, *, definitions: Iterable[SurveyDefinition],
                       now: datetime) -> list[ImportResult]:
    """Store several definitions in the caller's one transaction: all of them or, on error, none."""
    return [import_definition(session, definition=definition, now=now) for definition in definitions]
