"""Read survey YAML files, checking every field and naming the line of each mistake before anything is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from handlers.surveys.questions import (
    DEFAULT_LANGUAGE,
    MAX_OPTIONS,
    SCALES,
    Condition,
    Option,
    Question,
    QuestionKind,
    SurveyDefinition,
)

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
ID_RULE = "lowercase letters, digits and _, starting with a letter"
OPTION_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
LANGUAGES = (DEFAULT_LANGUAGE, "en")
MAX_QUESTIONS = 30
MAX_LABEL = 20  # LINE cuts button labels at 20 characters
MAX_TEXT = 1000

SURVEY_FIELDS = {"key", "title", "public", "intro", "thanks", "questions"}
QUESTION_FIELDS = {"id", "kind", "text", "required", "options", "ask_if"}
CONDITION_FIELDS = {"question", "at_least", "at_most", "one_of"}


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in a survey file and the line it is on."""

    line: int
    reason: str


class DefinitionError(ValueError):
    """A survey file that cannot be imported; lists every problem with its line."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems)
        super().__init__("\n".join(f"{source}, line {p.line}: {p.reason}" for p in self.problems))


class _Reader:
    """Walks the YAML node tree, so every problem keeps the line it came from."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._constructor = SafeConstructor()

    def fail(self, node: Node, reason: str) -> None:
        """Note a problem at the node's line."""
        self.problems.append(Problem(node.start_mark.line + 1, reason))

    def fields(self, node: Node, what: str, allowed: set[str], required: set[str]) -> dict[str, Node] | None:
        """A mapping's fields by name, refusing unknown, repeated and missing ones."""
        if not isinstance(node, MappingNode):
            self.fail(node, f"{what} must be a set of `name: value` fields")
            return None
        found: dict[str, Node] = {}
        for key_node, value_node in node.value:
            name = key_node.value if isinstance(key_node, ScalarNode) else None
            if name not in allowed:
                self.fail(key_node, f"unknown field {name!r} in {what}; expected {', '.join(sorted(allowed))}")
            elif name in found:
                self.fail(key_node, f"field {name!r} appears twice in {what}")
            else:
                found[name] = value_node
        for name in sorted(required - found.keys()):
            self.fail(node, f"{what} has no {name!r}")
        return found

    def scalar(self, node: Node, what: str) -> Any:
        """A single value as YAML types it (str, int, bool...)."""
        if not isinstance(node, ScalarNode):
            self.fail(node, f"{what} must be a single value")
            return None
        try:
            return self._constructor.construct_object(node)
        except ConstructorError as exc:
            self.fail(node, f"{what}: {exc.problem}")
            return None
        except ValueError as exc:  # PyYAML's timestamp constructor, for 2026-02-30 or 25:00
            self.fail(node, f"{what} {node.value!r} reads as a date that does not exist ({exc}): "
                            "put it in quotes if it is text")
            return None

    def text(self, node: Node, what: str, limit: int = MAX_TEXT) -> dict[str, str] | None:
        """A text in zh-TW, or a mapping of languages (zh-TW required)."""
        if isinstance(node, MappingNode):
            texts = {}
            for key_node, value_node in node.value:
                if key_node.value not in LANGUAGES:
                    self.fail(key_node, f"{what}: language {key_node.value!r} is not one of {', '.join(LANGUAGES)}")
                    continue
                texts[key_node.value] = self.text(value_node, f"{what} ({key_node.value})", limit)
            if DEFAULT_LANGUAGE not in texts:
                self.fail(node, f"{what} needs a {DEFAULT_LANGUAGE} text")
            return None if None in texts.values() else {k: v[DEFAULT_LANGUAGE] for k, v in texts.items()}
        noted = len(self.problems)
        value = self.scalar(node, what)
        if len(self.problems) > noted:
            return None  # scalar() said why; "must be a non-empty text" would mislead
        if value is None or isinstance(value, bool) or str(value).strip() == "":
            self.fail(node, f"{what} must be a non-empty text")
            return None
        value = str(value).strip()
        if len(value) > limit:
            self.fail(node, f"{what} is {len(value)} characters long; the limit is {limit}")
            return None
        return {DEFAULT_LANGUAGE: value}

    def identifier(self, node: Node, what: str, pattern: re.Pattern[str], rule: str) -> str | None:
        """An id that matches its pattern."""
        value = self.scalar(node, what)
        if isinstance(value, bool):
            self.fail(node, f"{what} reads as {value} (YAML takes yes/no/on/off for true/false): put it in quotes")
            return None
        if not isinstance(value, str) or not pattern.match(value):
            self.fail(node, f"{what} {value!r} is not valid: use {rule}")
            return None
        return value

    def typed(self, node: Node, what: str, kind: type) -> Any:
        """A value of exactly one type (true/false, or a whole number)."""
        value = self.scalar(node, what)
        if value is None or type(value) is not kind:
            self.fail(node, f"{what} must be {'true or false' if kind is bool else 'a whole number'}")
            return None
        return value


def _options(reader: _Reader, node: Node, where: str) -> tuple[Option, ...]:
    if not isinstance(node, SequenceNode) or not node.value:
        reader.fail(node, f"{where}: options must be a list")
        return ()
    if not 2 <= len(node.value) <= MAX_OPTIONS:
        reader.fail(node, f"{where} has {len(node.value)} options; a choice needs 2 to {MAX_OPTIONS}")
    options, seen = [], set()
    for item in node.value:
        if isinstance(item, MappingNode):
            fields = reader.fields(item, f"{where} option", {"id", "label"}, {"id", "label"}) or {}
            option_id = reader.identifier(fields["id"], f"{where} option id", OPTION_ID_PATTERN,
                                          "letters, digits, - and _") if "id" in fields else None
            label = reader.text(fields["label"], f"{where} option label", MAX_LABEL) if "label" in fields else None
        else:
            label = reader.text(item, f"{where} option", MAX_LABEL)
            option_id = label[DEFAULT_LANGUAGE] if label else None
        if option_id is None or label is None:
            continue
        if option_id in seen:
            reader.fail(item, f"{where}: option {option_id!r} is listed twice")
        seen.add(option_id)
        options.append(Option(option_id, label))
    return tuple(options)


def _condition(reader: _Reader, node: Node, where: str, earlier: dict[str, Question]) -> Condition | None:
    fields = reader.fields(node, f"{where} ask_if", CONDITION_FIELDS, {"question"})
    if not fields or "question" not in fields:
        return None
    target_id = reader.scalar(fields["question"], f"{where} ask_if question")
    target = earlier.get(target_id)
    if target is None:
        reader.fail(fields["question"], f"{where} ask_if refers to {target_id!r}, which is not an earlier question")
        return None
    bounds = {name: reader.typed(fields[name], f"{where} ask_if {name}", int)
              for name in ("at_least", "at_most") if name in fields}
    one_of: tuple[str, ...] = ()
    if "one_of" in fields:
        node_list = fields["one_of"]
        values = node_list.value if isinstance(node_list, SequenceNode) else [node_list]
        one_of = tuple(str(reader.scalar(v, f"{where} ask_if one_of")) for v in values)
        unknown = [v for v in one_of if target.option(v) is None]
        if target.kind != QuestionKind.CHOICE or unknown:
            reader.fail(node_list, f"{where} ask_if one_of must name options of the choice question {target_id!r}")
    if bounds and target.kind not in SCALES:
        reader.fail(node, f"{where} ask_if at_least/at_most need an nps or rating question, not {target.kind}")
    if not bounds and not one_of:
        reader.fail(node, f"{where} ask_if needs at_least, at_most or one_of")
    return Condition(target_id, bounds.get("at_least"), bounds.get("at_most"), one_of)


def _question(reader: _Reader, node: Node, index: int, earlier: dict[str, Question],
              seen: set[str]) -> Question | None:
    where = f"question {index}"
    fields = reader.fields(node, where, QUESTION_FIELDS, {"id", "kind", "text"})
    if fields is None:
        return None
    question_id = reader.identifier(fields["id"], f"{where} id", ID_PATTERN, ID_RULE) if "id" in fields else None
    if question_id in seen:
        reader.fail(fields["id"], f"question id {question_id!r} is used twice")
    seen.add(question_id)
    if question_id:
        where = f"question {question_id!r}"
    kind_value = reader.scalar(fields["kind"], f"{where} kind") if "kind" in fields else None
    try:
        kind = QuestionKind(kind_value)
    except ValueError:
        if "kind" in fields:
            reader.fail(fields["kind"], f"{where} kind {kind_value!r} is not one of nps, rating, choice, text")
        kind = None
    text = reader.text(fields["text"], f"{where} text") if "text" in fields else None
    required = reader.typed(fields["required"], f"{where} required", bool) if "required" in fields else True
    options: tuple[Option, ...] = ()
    if kind == QuestionKind.CHOICE:
        if "options" not in fields:
            reader.fail(node, f"{where} is a choice and needs options")
        else:
            options = _options(reader, fields["options"], where)
    elif "options" in fields:
        reader.fail(fields["options"], f"{where}: only choice questions have options")
    condition = _condition(reader, fields["ask_if"], where, earlier) if "ask_if" in fields else None
    if None in (question_id, kind, text, required):
        return None
    return Question(question_id, kind, text, required, options, condition)


def parse_definition(source_text: str, *, source: str = "<survey>") -> SurveyDefinition:
    """Parse and check a survey file's text; raise DefinitionError naming each bad line."""
    try:
        root = yaml.compose(source_text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        # the context ("while scanning a quoted scalar") points at where the mistake begins
        mark = exc.context_mark or exc.problem_mark
        reason = ", ".join(part for part in (exc.context, exc.problem) if part)
        raise DefinitionError(source, [Problem(mark.line + 1 if mark else 1, f"not valid YAML: {reason}")]) from None
    if root is None:
        raise DefinitionError(source, [Problem(1, "the file is empty")])
    reader = _Reader()
    fields = reader.fields(root, "the survey", SURVEY_FIELDS, {"key", "title", "questions"})
    if fields is None:
        raise DefinitionError(source, reader.problems)
    key = reader.identifier(fields["key"], "key", KEY_PATTERN, f"2 to 48 {ID_RULE}") if "key" in fields else None
    title = reader.text(fields["title"], "title", 100) if "title" in fields else None
    public = reader.typed(fields["public"], "public", bool) if "public" in fields else False
    intro = reader.text(fields["intro"], "intro") if "intro" in fields else None
    thanks = reader.text(fields["thanks"], "thanks") if "thanks" in fields else None
    questions: dict[str, Question] = {}
    node = fields.get("questions")
    if node is not None and (not isinstance(node, SequenceNode) or not node.value):
        reader.fail(node, "questions must be a list with at least one question")
    elif node is not None:
        if len(node.value) > MAX_QUESTIONS:
            reader.fail(node, f"{len(node.value)} questions; a chat survey may have at most {MAX_QUESTIONS}")
        seen: set[str] = set()
        for index, item in enumerate(node.value, start=1):
            question = _question(reader, item, index, questions, seen)
            if question is not None:
                questions.setdefault(question.id, question)
    if reader.problems:
        raise DefinitionError(source, reader.problems)
    return SurveyDefinition(key=key, title=title, public=public, intro=intro, thanks=thanks,
                            questions=tuple(questions.values()))


def load_definition(path: Path) -> SurveyDefinition:
    """Read and check one survey file."""
    try:
        source_text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DefinitionError(str(path), [Problem(1, f"the file is not UTF-8 text ({exc.reason})")]) from None
    return parse_definition(source_text, source=str(path))
