"""Questions a meeting type asks the booker, and the booker's answers.

Why a module: the same rules serve the owner's settings (page and API), the public page
and the public API, and a booking keeps the questions as they were asked (an owner who
rewords a question later does not rewrite what was answered).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

KINDS = ("short", "long", "choice", "checkbox")
MAX_QUESTIONS = 10
MAX_LABEL = 200
MAX_CHOICES = 20
MAX_CHOICE = 100
MAX_SHORT = 200
MAX_LONG = 2000
_ID = re.compile(r"[a-z0-9_-]{1,20}\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _question(position: int, raw: Any) -> dict[str, Any]:
    """One question checked; ``position`` (from 1) names it in errors."""
    where = _("Question %(n)d") % {"n": position}
    if not isinstance(raw, dict):
        raise ValidationError(_("%(where)s: must be an object.") % {"where": where})
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        raise ValidationError(_("%(where)s: the question is missing.") % {"where": where})
    label = label.strip()
    if len(label) > MAX_LABEL or _CONTROL.search(label) or "\n" in label:
        raise ValidationError(
            _("%(where)s: at most %(n)d characters on one line.") % {"where": where, "n": MAX_LABEL}
        )
    kind = raw.get("kind", "short")
    if kind not in KINDS:
        raise ValidationError(
            _("%(where)s: the kind must be one of %(kinds)s.")
            % {"where": where, "kinds": ", ".join(KINDS)}
        )
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise ValidationError(_("%(where)s: “required” must be true or false.") % {"where": where})
    choices: list[str] = []
    if kind == "choice":
        given = raw.get("choices")
        if not isinstance(given, list) or not 2 <= len(given) <= MAX_CHOICES:
            raise ValidationError(
                _("%(where)s: give between 2 and %(n)d choices.")
                % {"where": where, "n": MAX_CHOICES}
            )
        for choice in given:
            if not isinstance(choice, str) or not choice.strip() or len(choice) > MAX_CHOICE:
                raise ValidationError(
                    _("%(where)s: each choice is text of 1 to %(n)d characters.")
                    % {"where": where, "n": MAX_CHOICE}
                )
            choices.append(choice.strip())
        if len(set(choices)) != len(choices):
            raise ValidationError(_("%(where)s: the choices must differ.") % {"where": where})
    elif raw.get("choices"):
        raise ValidationError(
            _("%(where)s: only a question of kind “choice” has choices.") % {"where": where}
        )
    qid = raw.get("id") or ""
    if not isinstance(qid, str) or (qid and not _ID.match(qid)):
        raise ValidationError(
            _("%(where)s: the id is 1 to 20 of a-z, 0-9, - and _.") % {"where": where}
        )
    return {"id": qid, "label": label, "kind": kind, "required": required, "choices": choices}


def clean_questions(value: Any) -> list[dict[str, Any]]:
    """The questions as stored, each with a stable id; one error naming the first bad one."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError(_("Must be a list of questions."))
    if len(value) > MAX_QUESTIONS:
        raise ValidationError(_("At most %(n)d questions.") % {"n": MAX_QUESTIONS})
    cleaned = [_question(position, raw) for position, raw in enumerate(value, start=1)]
    # Ids keep answers and API clients pointing at the same question across edits: a
    # given id stays (its first use), a missing or repeated one gets a fresh one.
    given = {q["id"] for q in cleaned if q["id"]}
    used: set[str] = set()
    for question in cleaned:
        if not question["id"] or question["id"] in used:
            question["id"] = next(
                f"q{n}" for n in range(1, 100) if f"q{n}" not in given and f"q{n}" not in used
            )
        used.add(question["id"])
    return cleaned


def clean_answers(questions: list[dict[str, Any]], given: Any) -> list[dict[str, Any]]:
    """The booker's answers (``{question id: value}``) checked against the questions;
    errors are keyed ``answers.<id>``. Returns what a booking keeps."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ValidationError({"answers": _("Must be an object of answers by question id.")})
    errors: dict[str, str] = {}
    unknown = sorted(str(k) for k in given if k not in {q["id"] for q in questions})
    for key in unknown[:5]:
        errors[f"answers.{key[:20]}"] = _("There is no such question.")
    kept = []
    for question in questions:
        key = f"answers.{question['id']}"
        value = given.get(question["id"])
        kind = question["kind"]
        if kind == "checkbox":
            if value in (None, ""):
                value = False
            if not isinstance(value, bool):
                errors[key] = _("Must be true or false.")
                continue
            if question["required"] and not value:
                errors[key] = _("Please tick this box.")
                continue
        else:
            if value is None:
                value = ""
            if not isinstance(value, str):
                errors[key] = _("Must be text.")
                continue
            value = value.strip()
            if not value:
                if question["required"]:
                    errors[key] = _("This field is required.")
                continue
            limit = MAX_LONG if kind == "long" else MAX_SHORT
            bad = _CONTROL.search(value) or (kind != "long" and "\n" in value)
            if bad:
                errors[key] = _("Must not contain control characters or line breaks.")
                continue
            if len(value) > limit:
                errors[key] = _("At most %(limit)d characters (got %(count)d).") % {
                    "limit": limit,
                    "count": len(value),
                }
                continue
            if kind == "choice" and value not in question["choices"]:
                errors[key] = _("Choose one of the offered answers.")
                continue
        kept.append({"question": question["label"], "kind": kind, "answer": value})
    if errors:
        raise ValidationError(errors)
    return kept


def answers_text(answers: list[dict[str, Any]], yes: str, no: str) -> str:
    """The answers as lines for the event's description and the mails."""
    lines = []
    for item in answers:
        answer = item["answer"]
        if isinstance(answer, bool):
            answer = yes if answer else no
        lines.append(f"{item['question']}: {answer}")
    return "\n".join(lines)
