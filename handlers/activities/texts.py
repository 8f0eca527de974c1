"""Words of the activity screens: names of kinds, topics and counts, and one
sentence for each rule an input can break (storage.activities.Problem)."""

from __future__ import annotations

from typing import Any

from bot.i18n import N_, Translator
from handlers.ui import esc
from storage.activities import ActivityProblem, Problem
from storage.models import ActivityKind, SessionLanguage
from storage.models.activities import (
    AUDIENCE_CODES,
    FUNDING_CODES,
    KIND_CODES,
    PRODUCT_CODES,
    TOPIC_CODES,
)
from storage.reports.labels import KIND_NAMES

COUNT_NAMES: dict[str, str] = {
    "total": N_("participants in total"),
    "women": N_("women"),
    "men": N_("men"),
    "girls": N_("girls under 16"),
    "boys": N_("boys under 16"),
    "ethnic_minority": N_("ethnic-minority participants"),
}
TEXT_FIELDS: dict[str, str] = {
    "note": N_("The note"),
    "kind_other": N_("The name of the activity"),
    "ethnic_language": N_("The name of the language"),
}
ONE_LINE_PARTS: dict[str, str] = {
    "kind": N_("the kind"),
    "date": N_("the date"),
    "counts": N_("the counts"),
    "topics": N_("the topics"),
}


def kind_name(t: Translator, kind: ActivityKind, other: str | None = None) -> str:
    if kind is ActivityKind.OTHER and other:
        return f"{t(KIND_NAMES[kind])}: {other}"
    return t(KIND_NAMES[kind])


def language_name(t: Translator, language: SessionLanguage, ethnic: str | None) -> str:
    if language is SessionLanguage.VIETNAMESE:
        return t("Vietnamese")
    name = ethnic or t("an ethnic-minority language")
    if language is SessionLanguage.ETHNIC:
        return name
    return t("Vietnamese and {language}").format(language=name)


def kind_codes() -> str:
    return ", ".join(KIND_CODES.values())


def topic_codes() -> str:
    return ", ".join(TOPIC_CODES.values())


def explain(t: Translator, problem: ActivityProblem) -> str:
    """One sentence, in the reader's language, saying what is wrong and what to do."""
    p: dict[str, Any] = problem.params
    kind = problem.problem
    if kind is Problem.NOT_A_NUMBER:
        return t("“{text}” is not a number. Please type digits only, for example 45.").format(
            text=esc(p["text"])
        )
    if kind is Problem.NEGATIVE:
        return t("A count cannot be negative ({value}). Please type 0 or more.").format(
            value=t.number(p["value"])
        )
    if kind is Problem.TOO_LARGE and p["field"] == "products":
        return t("At most {max} of one product. Please check the number.").format(
            max=t.number(p["max"])
        )
    if kind is Problem.TOO_LARGE:
        return t(
            "That is too many for one session: at most {max} participants. Please check the number."
        ).format(max=t.number(p["max"]))
    if kind is Problem.WRONG_NUMBER_OF_COUNTS:
        return t(
            "The short form needs 6 numbers separated by “/”: total/women/men/girls/boys/ethnic minority, for example 45/30/15/0/0/40. You typed {found}."
        ).format(found=p["found"])
    if kind is Problem.EXCEEDS_TOTAL:
        return t("{value} {name} is more than the {total} participants in total.").format(
            value=t.number(p["value"]), name=_count_name(t, p), total=t.number(p["total"])
        )
    if kind is Problem.SUM_EXCEEDS_TOTAL:
        return t("{parts} make {sum}, more than the {total} participants in total.").format(
            parts=_parts(t, p["parts"]), sum=t.number(p["sum"]), total=t.number(p["total"])
        )
    if kind is Problem.SUM_NOT_TOTAL:
        return t(
            "Women, men, girls and boys must add up to the total: {parts} make {sum}, but the total is {total}."
        ).format(parts=_parts(t, p["parts"]), sum=t.number(p["sum"]), total=t.number(p["total"]))
    if kind is Problem.NO_PARTICIPANTS:
        return t(
            "A session of this kind has at least 1 participant. Only broadcasts, online posts, banners and posters, mobile exhibitions and documenting a good model may have 0."
        )
    if kind is Problem.BAD_DATE:
        return t(
            "“{text}” is not a date I can read. Type it like 20/11, 20/11/2024 or 2024-11-20."
        ).format(text=esc(p["text"]))
    if kind is Problem.NO_SUCH_DAY:
        return t(
            "There is no day {text} in the calendar. Please check the day and the month."
        ).format(text=esc(p["text"]))
    if kind is Problem.FUTURE_DATE:
        return t("{day} is in the future. Log a session once it has taken place.").format(
            day=t.date(p["day"])
        )
    if kind is Problem.TOO_OLD:
        return t(
            "{day} is more than {days} days ago; such an old session cannot be logged here. Ask your commune coordinator."
        ).format(day=t.date(p["day"]), days=p["days"])
    if kind is Problem.UNKNOWN_KIND:
        return t("“{text}” is not a kind of activity. The codes are: {codes}.").format(
            text=esc(p["text"]), codes=kind_codes()
        )
    if kind is Problem.KIND_OTHER_MISSING:
        return t("Please say what kind of activity it was.")
    if kind is Problem.TEXT_TOO_LONG:
        return t(
            "{what} is too long: {length} characters, at most {max}. Please shorten it."
        ).format(
            what=_text_field(t, p),
            length=t.number(p["length"]),
            max=t.number(p["max"]),
        )
    if kind is Problem.TEXT_EMPTY:
        return t("{what} needs some letters or digits.").format(what=_text_field(t, p))
    if kind is Problem.TEXT_FORMULA:
        return t(
            "{what} cannot start with =, +, - or @ (a spreadsheet would read it as a formula). Please start with a letter or a digit."
        ).format(what=_text_field(t, p))
    if kind is Problem.UNKNOWN_TOPIC:
        return t("“{text}” is not a topic. The codes are: {codes}.").format(
            text=esc(p["text"]), codes=topic_codes()
        )
    if kind is Problem.NO_TOPIC:
        return t("Choose at least one topic.")
    if kind is Problem.UNKNOWN_LANGUAGE:
        return t(
            "“{text}” is not a language code. Use vi, dt, dt:NAME or vi+dt:NAME, for example dt:Cor."
        ).format(text=esc(p["text"]))
    if kind is Problem.UNKNOWN_AUDIENCE:
        return t("“{text}” is not an audience of a class. The codes are: {codes}.").format(
            text=esc(p["text"]), codes=", ".join(AUDIENCE_CODES.values())
        )
    if kind is Problem.UNKNOWN_PRODUCT:
        return t("“{text}” is not a communication product. The codes are: {codes}.").format(
            text=esc(p["text"]), codes=", ".join(PRODUCT_CODES.values())
        )
    if kind is Problem.BAD_AMOUNT:
        return t(
            "“{text}” is not an amount I can read. Type it in đồng, for example 1.500.000, 1,5 triệu or 500k."
        ).format(text=esc(p["text"]))
    if kind is Problem.AMOUNT_TOO_LARGE:
        return t("That amount is too large: at most {max} đồng. Please check it.").format(
            max=t.number(p["max"])
        )
    if kind is Problem.UNKNOWN_FUNDING:
        return t("“{text}” is not a funding source. The codes are: {codes}.").format(
            text=esc(p["text"]), codes=", ".join(FUNDING_CODES.values())
        )
    if kind is Problem.HELD_BY_ELSEWHERE:
        return t("That team, club or group is not of this commune. Please choose again.")
    if kind is Problem.PRODUCT_WITHOUT_NUMBER:
        return t("How many? Type the number after the product, for example: {example}.").format(
            example=esc(f"{p['text']} 200")
        )
    if kind is Problem.ETHNIC_LANGUAGE_MISSING:
        return t("Please type the name of the ethnic-minority language.")
    if kind is Problem.TOO_MANY_PHOTOS:
        return t("An activity has at most {max} photos; this one was not added.").format(
            max=p["max"]
        )
    if kind is Problem.PLACE_NOT_ALLOWED:
        return t(
            "You cannot log activities at that place. Choose your village, another village of your commune, or the commune itself."
        )
    if kind is Problem.ONE_LINE_INCOMPLETE:
        return t("The one-line form is missing {parts}.").format(
            parts=", ".join(t(ONE_LINE_PARTS[m]) for m in p["missing"])
        )
    if kind is Problem.NOT_FOUND:
        return t("That activity does not exist or has been deleted.")
    if kind is Problem.NOT_YOURS:
        return t("You cannot see or change that activity: it is outside your area.")
    if kind is Problem.EDIT_WINDOW_CLOSED:
        return t(
            "An activity can be changed by its reporter for {days} days. Ask your commune coordinator to correct this one."
        ).format(days=p["days"])
    return t("Some information is missing. Please answer the question again.")


# Message ids are looked up first and translated after, so that Babel does
# not take the dictionary keys for message ids.
def _count_name(t: Translator, params: dict[str, Any]) -> str:
    name = COUNT_NAMES[params["field"]]
    return t(name)


def _text_field(t: Translator, params: dict[str, Any]) -> str:
    name = TEXT_FIELDS.get(params["field"], TEXT_FIELDS["note"])
    return t(name)


def _parts(t: Translator, parts: list[tuple[str, int]]) -> str:
    return " + ".join(f"{t.number(value)} {t(COUNT_NAMES[field])}" for field, value in parts)


ONE_LINE_HELP = N_(
    "One-line form: /log KIND DATE COUNTS TOPICS [LANGUAGE] [NOTE]\nFor example: /log tt 20/11 45/30/15/0/0/40 bdg,tao-hon\nCOUNTS are total/women/men/girls/boys/ethnic minority (girls and boys under 16).\nKinds: {kinds}\nTopics: {topics}\nBefore the note, optionally: products sp:to-roi=200,ap-phich=10 ({products}); a class's audience hv:CODE ({audiences}); the cost and its source cp:1.500.000:dtts ({sources})."
)


def one_line_help(t: Translator) -> str:
    return esc(
        t(ONE_LINE_HELP).format(
            kinds=kind_codes(),
            topics=topic_codes(),
            products=", ".join(PRODUCT_CODES.values()),
            audiences=", ".join(AUDIENCE_CODES.values()),
            sources=", ".join(FUNDING_CODES.values()),
        )
    )
