"""Survey definitions from YAML, checked before anything is stored, with the line and field of every mistake.

PyYAML's `safe_load` silently keeps the last of two equal keys and forgets where things were, so the file is
composed into nodes (which carry their line) and checked node by node. Every problem is collected, so that one
import run lists them all.

    key: ict-satisfaction-2569
    title: แบบสอบถามความพึงพอใจ…
    intro: …                  # optional
    anonymous: false          # optional
    bands: "0.50"             # optional: "0.50" (default), "0.80", or [[4.21, มากที่สุด], [3.41, มาก], …]
    questions:
      - {key: q1, type: likert5, text: "…", section: "ด้าน…"}
      - {key: q2, type: choice, text: "…", options: ["…", "…"], multiple: false}
      - {key: q3, type: text, text: "ข้อเสนอแนะ", required: false, max_length: 1000}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from handlers.surveys.report import BAND_SCHEMES, bands_from_setting
from storage.survey_models import QuestionType
from storage.surveys import QuestionSpec, SurveySpec

TEMPLATES_DIR = Path(__file__).parent / "templates"
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")  # offices write ict_2569 as often as ict-2569
QUESTION_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_QUESTIONS = 100
MAX_OPTIONS = 20
MAX_TEXT_LENGTH = 4000
DEFAULT_TEXT_LENGTH = 1000
TOP_FIELDS = ("key", "title", "intro", "anonymous", "bands", "questions")
QUESTION_FIELDS = ("key", "type", "text", "section", "options", "multiple", "required", "max_length")


@dataclass(frozen=True, slots=True)
class Problem:
    line: int  # 1-based
    field: str  # e.g. "questions[2].type"
    message: str


class SurveyDefinitionError(ValueError):
    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: (p.line, p.field))
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [
            f"{self.source}:{p.line}: {p.field}: {p.message}" if p.field else f"{self.source}:{p.line}: {p.message}"
            for p in self.problems
        ]


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


class _Checker:
    """Turns the composed nodes into a SurveySpec, noting every problem on the way."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._constructor = SafeConstructor()

    def problem(self, node: Node, field: str, message: str) -> None:
        self.problems.append(Problem(_line(node), field, message))

    def mapping(self, node: Node, field: str, allowed: tuple[str, ...]) -> dict[str, Node] | None:
        """The mapping's fields by name; duplicates and unknown names are problems."""
        if not isinstance(node, MappingNode):
            self.problem(node, field, "expected a mapping (name: value)")
            return None
        found: dict[str, Node] = {}
        for key_node, value_node in node.value:
            name = key_node.value if isinstance(key_node, ScalarNode) else None
            where = f"{field}.{name}" if field and name else (name or field)
            if name is None:
                self.problem(key_node, field, "a field name must be plain text")
            elif name in found:
                self.problem(key_node, where, f"duplicate key {name!r} (first at line {_line(found[name])})")
            elif name not in allowed:
                self.problem(key_node, where, f"unknown field {name!r} (known: {', '.join(allowed)})")
            else:
                found[name] = value_node
        return found

    def scalar(self, node: Node) -> Any:
        return self._constructor.construct_object(node, deep=True)

    def text(self, node: Node | None, field: str, *, required: bool, limit: int, parent: Node) -> str | None:
        if node is None:
            if required:
                self.problem(parent, field, "is required")
            return None
        value = self.scalar(node) if isinstance(node, ScalarNode) else None
        if value is None and not required:
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool) or not str(value).strip():
            self.problem(node, field, "expected text")
            return None
        cleaned = " ".join(str(value).split()) if "\n" not in str(value) else str(value).strip()
        if len(cleaned) > limit:
            self.problem(node, field, f"at most {limit} characters (has {len(cleaned)})")
            return None
        return cleaned

    def flag(self, node: Node | None, field: str, default: bool) -> bool:
        if node is None:
            return default
        value = self.scalar(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, bool):
            self.problem(node, field, "expected true or false")
            return default
        return value

    def integer(self, node: Node, field: str, low: int, high: int) -> int | None:
        value = self.scalar(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.problem(node, field, f"expected a whole number from {low} to {high}")
            return None
        return value

    # --- the parts ---------------------------------------------------------------------------------

    def survey(self, root: Node) -> SurveySpec | None:
        fields = self.mapping(root, "", TOP_FIELDS)
        if fields is None:
            return None
        key = self.text(fields.get("key"), "key", required=True, limit=64, parent=root)
        if key is not None and not KEY_PATTERN.match(key):
            self.problem(
                fields["key"],
                "key",
                "use 2–64 lower-case letters, digits, hyphens and underscores, e.g. ict-2569 or ict_2569",
            )
            key = None
        title = self.text(fields.get("title"), "title", required=True, limit=300, parent=root)
        intro = self.text(fields.get("intro"), "intro", required=False, limit=2000, parent=root)
        anonymous = self.flag(fields.get("anonymous"), "anonymous", False)
        settings = self.bands(fields["bands"]) if "bands" in fields else {}
        questions = self.questions(fields.get("questions"), root)
        if key is None or title is None or questions is None or settings is None or self.problems:
            return None
        return SurveySpec(key, title, questions, intro=intro, anonymous=anonymous, settings=settings)

    def bands(self, node: Node) -> dict[str, Any] | None:
        value = self.scalar(node) if isinstance(node, ScalarNode | SequenceNode) else None
        if isinstance(value, float | int) and not isinstance(value, bool):
            value = f"{value:.2f}"
        try:
            bands_from_setting(value)
        except ValueError as exc:
            schemes = ", ".join(f'"{name}"' for name in BAND_SCHEMES)
            self.problem(node, "bands", f"{exc} (use {schemes}, or a list of [lowest mean, label] from 5 down to 1)")
            return None
        return {"bands": value}

    def questions(self, node: Node | None, root: Node) -> tuple[QuestionSpec, ...] | None:
        if node is None:
            self.problem(root, "questions", "is required")
            return None
        if not isinstance(node, SequenceNode) or not node.value:
            self.problem(node, "questions", "expected a list of questions")
            return None
        if len(node.value) > MAX_QUESTIONS:
            self.problem(node, "questions", f"at most {MAX_QUESTIONS} questions (has {len(node.value)})")
        found: list[QuestionSpec] = []
        first_line: dict[str, int] = {}
        for index, item in enumerate(node.value):
            question = self.question(item, f"questions[{index + 1}]")
            if question is None:
                continue
            if question.key in first_line:
                self.problem(
                    item,
                    f"questions[{index + 1}].key",
                    f"duplicate question key {question.key!r} (first at line {first_line[question.key]})",
                )
                continue
            first_line[question.key] = _line(item)
            found.append(question)
        return tuple(found)

    def question(self, node: Node, field: str) -> QuestionSpec | None:
        fields = self.mapping(node, field, QUESTION_FIELDS)
        if fields is None:
            return None
        before = len(self.problems)
        key = self.text(fields.get("key"), f"{field}.key", required=True, limit=32, parent=node)
        if key is not None and not QUESTION_KEY_PATTERN.match(key):
            self.problem(fields["key"], f"{field}.key", "use 1–32 letters, digits, _ or -")
        kind = self.question_type(fields.get("type"), f"{field}.type", node)
        text = self.text(fields.get("text"), f"{field}.text", required=True, limit=1000, parent=node)
        section = self.text(fields.get("section"), f"{field}.section", required=False, limit=200, parent=node)
        required = self.flag(fields.get("required"), f"{field}.required", True)
        options: tuple[str, ...] = ()
        multiple = False
        max_length: int | None = None
        if kind is QuestionType.CHOICE:
            options = self.options(fields.get("options"), f"{field}.options", node)
            multiple = self.flag(fields.get("multiple"), f"{field}.multiple", False)
        else:
            for name in ("options", "multiple"):
                if name in fields:
                    self.problem(fields[name], f"{field}.{name}", "only a choice question has this")
        if kind is QuestionType.TEXT:
            max_length = DEFAULT_TEXT_LENGTH
            if "max_length" in fields:
                max_length = self.integer(fields["max_length"], f"{field}.max_length", 1, MAX_TEXT_LENGTH)
        elif "max_length" in fields:
            self.problem(fields["max_length"], f"{field}.max_length", "only a text question has this")
        if len(self.problems) > before or key is None or kind is None or text is None:
            return None
        return QuestionSpec(key, kind, text, section, options, multiple, required, max_length)

    def question_type(self, node: Node | None, field: str, parent: Node) -> QuestionType | None:
        name = self.text(node, field, required=True, limit=16, parent=parent)
        if name is None or node is None:
            return None
        try:
            return QuestionType(name)
        except ValueError:
            known = ", ".join(t.value for t in QuestionType)
            self.problem(node, field, f"unknown type {name!r} (use {known})")
            return None

    def options(self, node: Node | None, field: str, parent: Node) -> tuple[str, ...]:
        if node is None:
            self.problem(parent, field, "a choice question needs options")
            return ()
        if not isinstance(node, SequenceNode) or len(node.value) < 2:
            self.problem(node, field, "a choice question needs a list of at least 2 options")
            return ()
        if len(node.value) > MAX_OPTIONS:
            self.problem(node, field, f"at most {MAX_OPTIONS} options (has {len(node.value)})")
            return ()
        found: list[str] = []
        for index, item in enumerate(node.value):
            option = self.text(item, f"{field}[{index + 1}]", required=True, limit=100, parent=node)
            if option is None:
                continue
            if option in found:
                self.problem(item, f"{field}[{index + 1}]", f"duplicate option {option!r}")
                continue
            found.append(option)
        return tuple(found)


def parse_definition(text: str, *, source: str = "<yaml>") -> SurveySpec:
    """The checked definition; SurveyDefinitionError lists every problem with its line and field."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else 1
        raise SurveyDefinitionError(source, [Problem(line, "", f"not valid YAML: {exc.problem or exc}")]) from None
    except yaml.YAMLError as exc:
        raise SurveyDefinitionError(source, [Problem(1, "", f"not valid YAML: {exc}")]) from None
    if root is None:
        raise SurveyDefinitionError(source, [Problem(1, "", "the file is empty")])
    checker = _Checker()
    spec = checker.survey(root)
    if spec is None:
        raise SurveyDefinitionError(source, checker.problems or [Problem(1, "", "not a survey definition")])
    return spec


def load_definition(path: Path, *, read: Callable[[Path], str] | None = None) -> SurveySpec:
    try:
        text = read(path) if read else path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SurveyDefinitionError(str(path), [Problem(1, "", "not UTF-8 text")]) from None
    return parse_definition(text, source=str(path))


def builtin_templates() -> list[Path]:
    """The surveys shipped with PhuanKru (`phuankru survey import --builtin`)."""
    return sorted(TEMPLATES_DIR.glob("*.yaml"))
