"""Survey definitions from YAML: every mistake refused with its line and field; the shipped surveys are valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.surveys.definitions import SurveyDefinitionError, builtin_templates, load_definition, parse_definition
from storage.survey_models import QuestionType

FIXTURES = Path(__file__).parent / "fixtures" / "surveys"


def problems(text: str) -> list[str]:
    with pytest.raises(SurveyDefinitionError) as caught:
        parse_definition(text, source="s.yaml")
    return caught.value.lines()


def test_the_shipped_surveys_are_valid_thai_surveys() -> None:
    shipped = {path.stem: load_definition(path) for path in builtin_templates()}
    assert set(shipped) == {"ict-satisfaction", "training-evaluation"}
    ict, training = shipped["ict-satisfaction"], shipped["training-evaluation"]
    assert ict.anonymous and not training.anonymous
    assert "ระบบข้อมูลสารสนเทศ" in ict.title and "พบเพื่อนครู" in training.title
    for spec in shipped.values():
        kinds = {q.type for q in spec.questions}
        assert kinds == {QuestionType.LIKERT5, QuestionType.CHOICE, QuestionType.TEXT}
        likert = [q for q in spec.questions if q.type is QuestionType.LIKERT5]
        assert len(likert) >= 8 and all(q.section and q.section.startswith("ด้าน") for q in likert)
        assert all(not q.required for q in spec.questions if q.type is QuestionType.TEXT)


def test_a_definition_as_the_issue_writes_it() -> None:
    spec = parse_definition(
        """
key: ict-satisfaction-2569
title: แบบสอบถามความพึงพอใจต่อระบบข้อมูลสารสนเทศ ปีงบประมาณ 2569
anonymous: false
questions:
  - {key: q1, type: likert5, text: "ความรวดเร็วในการให้บริการ", section: "ด้านกระบวนการ"}
  - {key: q2, type: choice, text: "ตำแหน่ง", options: ["ครู", "ผู้บริหาร"], multiple: false}
  - {key: q3, type: text, text: "ข้อเสนอแนะ", required: false, max_length: 1000}
"""
    )
    assert spec.key == "ict-satisfaction-2569"
    assert [(q.key, q.type, q.required) for q in spec.questions] == [
        ("q1", QuestionType.LIKERT5, True),
        ("q2", QuestionType.CHOICE, True),
        ("q3", QuestionType.TEXT, False),
    ]
    assert spec.questions[1].options == ("ครู", "ผู้บริหาร")
    assert spec.questions[2].max_length == 1000


def test_unknown_type_is_refused_with_its_line() -> None:
    with pytest.raises(SurveyDefinitionError) as caught:
        load_definition(FIXTURES / "bad-unknown-type.yaml")
    assert caught.value.lines() == [
        f"{FIXTURES / 'bad-unknown-type.yaml'}:5: questions[2].type: unknown type 'rating' (use likert5, choice, text)"
    ]


def test_duplicate_keys_are_refused_with_both_lines() -> None:
    with pytest.raises(SurveyDefinitionError) as caught:
        load_definition(FIXTURES / "bad-duplicates.yaml")
    source = FIXTURES / "bad-duplicates.yaml"
    assert caught.value.lines() == [
        f"{source}:3: title: duplicate key 'title' (first at line 2)",
        f"{source}:6: questions[2].key: duplicate question key 'q1' (first at line 5)",
    ]


def test_a_choice_without_options_and_options_elsewhere_are_refused() -> None:
    with pytest.raises(SurveyDefinitionError) as caught:
        load_definition(FIXTURES / "bad-choice.yaml")
    source = FIXTURES / "bad-choice.yaml"
    assert caught.value.lines() == [
        f"{source}:4: questions[1].options: a choice question needs options",
        f"{source}:10: questions[2].options: only a choice question has this",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["s.yaml:1: the file is empty"]),
        ("key: [unclosed\n", ["s.yaml:2: not valid YAML: expected ',' or ']', but got '<stream end>'"]),
        ("- a\n- b\n", ["s.yaml:1: expected a mapping (name: value)"]),
        (
            "key: Bad Key\ntitle: ก\nquestions: [{key: q, type: text, text: ก}]\n",
            ["s.yaml:1: key: use 2–64 lower-case letters, digits, hyphens and underscores, e.g. ict-2569 or ict_2569"],
        ),
        ("key: ok-key\nquestions: [{key: q, type: text, text: ก}]\n", ["s.yaml:1: title: is required"]),
        ("key: ok-key\ntitle: ก\nquestions: []\n", ["s.yaml:3: questions: expected a list of questions"]),
        (
            "key: ok-key\ntitle: ก\ncolour: red\nquestions: [{key: q, type: text, text: ก}]\n",
            ["s.yaml:3: colour: unknown field 'colour' (known: key, title, intro, anonymous, bands, questions)"],
        ),
        (
            "key: ok-key\ntitle: ก\nanonymous: maybe\nquestions: [{key: q, type: text, text: ก}]\n",
            ["s.yaml:3: anonymous: expected true or false"],
        ),
        (
            "key: ok-key\ntitle: ก\nquestions:\n  - {key: q, type: likert5, text: ก, max_length: 5}\n",
            ["s.yaml:4: questions[1].max_length: only a text question has this"],
        ),
        (
            "key: ok-key\ntitle: ก\nquestions:\n  - {key: q, type: text, text: ก, max_length: 0}\n",
            ["s.yaml:4: questions[1].max_length: expected a whole number from 1 to 4000"],
        ),
        (
            "key: ok-key\ntitle: ก\nquestions:\n  - {key: q, type: choice, text: ก, options: [ก]}\n",
            ["s.yaml:4: questions[1].options: a choice question needs a list of at least 2 options"],
        ),
        (
            "key: ok-key\ntitle: ก\nquestions:\n  - {key: q, type: choice, text: ก, options: [ก, ก]}\n",
            ["s.yaml:4: questions[1].options[2]: duplicate option 'ก'"],
        ),
        (
            "key: ok-key\ntitle: ก\nquestions:\n  - {type: likert5}\n",
            ["s.yaml:4: questions[1].key: is required", "s.yaml:4: questions[1].text: is required"],
        ),
        (
            'key: ok-key\ntitle: ก\nbands: "0.70"\nquestions: [{key: q, type: text, text: ก}]\n',
            [
                's.yaml:3: bands: unknown interpretation bands \'0.70\' (use "0.50", "0.80", or a list of '
                "[lowest mean, label] from 5 down to 1)"
            ],
        ),
    ],
)
def test_mistakes_name_their_line_and_field(text: str, expected: list[str]) -> None:
    assert problems(text) == expected


def test_every_problem_is_listed_at_once() -> None:
    found = problems(
        "key: ok-key\ntitle: ก\nquestions:\n"
        "  - {key: a, type: nope, text: ก}\n"
        "  - {key: b, type: choice, text: ข}\n"
        "  - {key: c, type: text, text: ค, required: perhaps}\n"
    )
    assert [line.split(": ")[0] for line in found] == ["s.yaml:4", "s.yaml:5", "s.yaml:6"]


def test_custom_bands_and_the_alternative_scheme() -> None:
    base = "key: ok-key\ntitle: ก\nquestions: [{key: q, type: likert5, text: ก}]\n"
    assert parse_definition(base + "bands: 0.80\n").settings == {"bands": "0.80"}
    custom = parse_definition(base + "bands: [[3.01, สูง], [2.01, กลาง], [1.00, ต่ำ]]\n")
    assert custom.settings == {"bands": [[3.01, "สูง"], [2.01, "กลาง"], [1.0, "ต่ำ"]]}
    assert problems(base + "bands: [[3.01, สูง], [3.50, กลาง], [1.00, ต่ำ]]\n") == [
        "s.yaml:4: bands: bands go from the top down, each lower than the one before, the last starting at 1.00 "
        '(use "0.50", "0.80", or a list of [lowest mean, label] from 5 down to 1)'
    ]


def test_the_version_only_moves_when_the_content_changes() -> None:
    block = parse_definition(
        "key: same\ntitle: ชื่อ\nquestions:\n  - key: q\n    type: likert5\n    text: ข้อ\n"
    ).checksum()
    flow = parse_definition("# a comment\nkey: same\ntitle:   ชื่อ\nquestions: [{text: ข้อ, type: likert5, key: q}]\n")
    assert flow.checksum() == block
    changed = parse_definition("key: same\ntitle: ชื่อ\nquestions: [{key: q, type: likert5, text: ข้อใหม่}]\n")
    assert changed.checksum() != block
