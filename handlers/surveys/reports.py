"""Survey results for marketing: reach, completion, NPS, CSAT, choices and what people wrote; and the CSV export."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.surveys.questions import Question, QuestionKind, SurveyDefinition, localized
from handlers.surveys.textstats import top_keywords
from storage import surveys
from storage.models import Customer, ResponseState, SurveyAnswer, SurveyResponse

PROMOTERS, PASSIVES = range(9, 11), range(7, 9)


def percent(part: int, whole: int) -> float | None:
    """A share in percent, to one decimal; None when there is nothing to divide by."""
    return round(100 * part / whole, 1) if whole else None


def _questions(definitions: Sequence[SurveyDefinition]) -> list[Question]:
    """Every question any version asked, worded as the newest version that has it, in its order."""
    merged: dict[str, Question] = {}
    for definition in reversed(definitions):
        for question in definition.questions:
            merged.setdefault(question.id, question)
    return list(merged.values())


def _nps(numbers: list[int]) -> dict[str, Any]:
    promoters = sum(n in PROMOTERS for n in numbers)
    passives = sum(n in PASSIVES for n in numbers)
    detractors = len(numbers) - promoters - passives
    nps = round(100 * (promoters - detractors) / len(numbers), 1) if numbers else None
    return {"promoters": promoters, "passives": passives, "detractors": detractors, "nps": nps}


def _rating(numbers: list[int]) -> dict[str, Any]:
    counts = Counter(numbers)
    return {"mean": round(statistics.fmean(numbers), 2) if numbers else None,
            "distribution": {str(score): counts[score] for score in range(1, 6)},
            "satisfied_share": percent(counts[4] + counts[5], len(numbers))}


def _choice(question: Question, choices: list[str], older: Sequence[SurveyDefinition]) -> dict[str, Any]:
    counts = Counter(choices)
    known = [(option.id, localized(option.label, None)) for option in question.options]
    for option_id in counts.keys() - {option_id for option_id, _ in known}:
        # an option a later version removed: keep its answers, with the label it had
        old = next((o for d in older for q in d.questions if q.id == question.id for o in q.options
                    if o.id == option_id), None)
        known.append((option_id, localized(old.label, None) if old else option_id))
    return {"options": [{"id": option_id, "label": label, "count": counts[option_id],
                         "share": percent(counts[option_id], len(choices))} for option_id, label in known]}


def _question_report(question: Question, answers: list[SurveyAnswer], negative_below: float,
                     definitions: Sequence[SurveyDefinition]) -> dict[str, Any]:
    given = [a for a in answers if not a.skipped]
    report: dict[str, Any] = {"id": question.id, "kind": str(question.kind), "text": localized(question.text, None),
                              "answered": len(given), "skipped": len(answers) - len(given)}
    numbers = [a.number for a in given if a.number is not None]
    if question.kind == QuestionKind.NPS:
        report.update(_nps(numbers))
    elif question.kind == QuestionKind.RATING:
        report.update(_rating(numbers))
    elif question.kind == QuestionKind.CHOICE:
        report.update(_choice(question, [a.choice for a in given if a.choice is not None], definitions))
    else:
        negative = sum(a.sentiment is not None and a.sentiment < negative_below for a in given)
        report.update({"negative": negative, "negative_share": percent(negative, len(given))})
    return report


def _latest_per_voice(responses: Sequence[SurveyResponse], answers: Sequence[SurveyAnswer],
                         occasions: Mapping[int, str]) -> list[SurveyAnswer]:
    """Each customer's last answer to each question on each occasion: one who cancels and starts again
    is one voice, a customer asked about two cases has two (``occasions``: invitation id → occasion)."""
    voice_of = {response.id: (response.customer_id, occasions.get(response.invitation_id or 0, ""))
                for response in responses}
    latest = {(voice_of[answer.response_id], answer.question_id): answer for answer in answers}  # ids ascend
    return sorted(latest.values(), key=lambda answer: answer.id)


def build_report(session: Session, *, key: str, negative_below: float = 0.5) -> dict[str, Any] | None:
    """Every figure of the report as plain data (None for an unknown survey)."""
    survey = surveys.get_by_key(session, key=key)
    if survey is None:
        return None
    versions = surveys.list_versions(session, survey_id=survey.id)
    definitions = [SurveyDefinition.from_json(v.definition) for v in versions]
    responses = [response for response, _ in surveys.list_responses(session, survey_id=survey.id)]
    occasions = surveys.invitation_occasions(session, survey_id=survey.id)
    answers = _latest_per_voice(responses, surveys.list_survey_answers(session, survey_id=survey.id), occasions)
    completed = [r for r in responses if r.state == ResponseState.COMPLETED]
    durations = [(r.completed_at - r.started_at).total_seconds() for r in completed]
    by_question: dict[str, list[SurveyAnswer]] = defaultdict(list)
    for answer in answers:
        by_question[answer.question_id].append(answer)
    texts = [a for a in answers if a.text]
    negative = sum(a.sentiment is not None and a.sentiment < negative_below for a in texts)
    return {
        "survey": survey.key, "title": survey.title, "versions": [v.number for v in versions],
        "invitations": surveys.count_invitations(session, survey_id=survey.id),
        "starts": len(responses), "completions": len(completed),
        "completion_rate": percent(len(completed), len(responses)),
        "median_seconds_to_complete": round(statistics.median(durations), 1) if durations else None,
        "starts_by_source": dict(sorted(Counter(r.source for r in responses).items())),
        "questions": [_question_report(q, by_question[q.id], negative_below, definitions)
                      for q in _questions(definitions)],
        "free_text": {"answers": len(texts), "negative": negative, "negative_share": percent(negative, len(texts)),
                      "negative_below": negative_below,
                      "top_keywords": [{"word": w, "count": c} for w, c in top_keywords(a.text for a in texts)]},
    }


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _cell(question: Question | None, answer: SurveyAnswer | None) -> str:
    if answer is None:
        return ""
    if answer.skipped:
        return "(skipped)"
    if answer.choice is not None:
        option = question.option(answer.choice) if question else None
        return localized(option.label, None) if option else answer.choice
    return str(answer.number) if answer.number is not None else answer.text or ""


def export_rows(session: Session, *, key: str, zone: ZoneInfo) -> tuple[list[str], list[list[str]]] | None:
    """One row per response for a spreadsheet: who, when (in the shop's time zone), how it ended, every answer."""
    survey = surveys.get_by_key(session, key=key)
    if survey is None:
        return None
    definitions = {v.id: SurveyDefinition.from_json(v.definition)
                   for v in surveys.list_versions(session, survey_id=survey.id)}
    questions = _questions(list(definitions.values()))
    answers: dict[int, dict[str, SurveyAnswer]] = defaultdict(dict)
    for answer in surveys.list_survey_answers(session, survey_id=survey.id):
        answers[answer.response_id][answer.question_id] = answer
    header = ["response_id", "survey", "version", "line_user_id", "display_name", "source", "state",
              f"started_at ({zone.key})", f"completed_at ({zone.key})", "seconds_to_complete"]
    for question in questions:
        header += [question.id] + ([f"{question.id}_sentiment"] if question.kind == QuestionKind.TEXT else [])
    rows = []
    for response, version in surveys.list_responses(session, survey_id=survey.id):
        customer = session.get(Customer, response.customer_id)
        seconds = (response.completed_at - response.started_at).total_seconds() if response.completed_at else None
        row = [str(response.id), survey.key, str(version.number), customer.line_user_id,
               customer.display_name or "", response.source, response.state, _local(response.started_at, zone),
               _local(response.completed_at, zone), "" if seconds is None else f"{seconds:.0f}"]
        for question in questions:
            answer = answers[response.id].get(question.id)
            row.append(_cell(definitions[version.id].question(question.id) or question, answer))
            if question.kind == QuestionKind.TEXT:
                row.append("" if answer is None or answer.sentiment is None else f"{answer.sentiment:.3f}")
        rows.append(row)
    return header, rows
