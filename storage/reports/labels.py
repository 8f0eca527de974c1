"""Message ids for the names that reports print (kinds, topics, languages,
participant groups, indicators). They are translated where the report is
rendered, with the reader's translator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Protocol

from babel import Locale

from storage.models import (
    ActivityKind,
    FundingSource,
    Indicator,
    MemberRole,
    ParticipantField,
    ProductKind,
    RegisterEvent,
    RegisterKind,
    RegisterStatus,
    SessionLanguage,
    Topic,
    TrainingAudience,
)
from storage.shelter.intakes import Support


def N_(message: str) -> str:
    """Mark a message id for extraction (``make locales``) without translating it."""
    return message


class Translate(Protocol):
    """What a report needs of ``bot.i18n.Translator``: text and Babel formatting."""

    lang: str
    locale: Locale  # what Babel formats with (a language Babel lacks borrows one)

    def __call__(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...

    def number(self, value: int | float | Decimal) -> str: ...

    def percent(self, value: float) -> str: ...

    def date(self, value: date) -> str: ...


Gettext = Callable[[str], str]

# The one name of each kind: on the /log buttons (the words in parentheses say
# what the kind is, and typing one of them chooses it), on cards and in reports.
KIND_NAMES: dict[ActivityKind, str] = {
    ActivityKind.DIRECT: N_("Direct communication (community meetings, gatherings)"),
    ActivityKind.STAGED: N_("Staged communication (festivals, markets)"),
    ActivityKind.BROADCAST: N_("Loudspeaker, radio"),
    ActivityKind.DIGITAL: N_("Digital communication (Zalo, Facebook)"),
    ActivityKind.TRAINING: N_("Training class"),
    ActivityKind.POLICY_DIALOGUE: N_("Policy dialogue"),
    ActivityKind.CHILDREN_CLUB: N_("“Leaders of Change” club"),
    ActivityKind.CONTEST: N_("Contest, festival, experience sharing"),
    ActivityKind.HOME_VISIT: N_("Home visit, counselling"),
    ActivityKind.LIVELIHOOD: N_("Support to a women's livelihood group"),
    ActivityKind.VISUAL_CAMPAIGN: N_("Visual campaign (banners, panels, posters)"),
    ActivityKind.LAUNCH_CEREMONY: N_("Launch ceremony, rally"),
    ActivityKind.LEGAL_AID: N_("Legal aid, grassroots mediation"),
    ActivityKind.SEMINAR: N_("Seminar, conference"),
    ActivityKind.EXHIBITION: N_("Mobile exhibition"),
    ActivityKind.SUPERVISION: N_("Supervision, social critique"),
    ActivityKind.GOOD_MODEL: N_("Documenting a good model"),
    ActivityKind.OTHER: N_("Other"),
}

PRODUCT_NAMES: dict[ProductKind, str] = {
    ProductKind.LEAFLET: N_("Leaflets"),
    ProductKind.POSTER: N_("Posters"),
    ProductKind.PANEL: N_("Panels and banners"),
    ProductKind.VIDEO: N_("Videos and clips"),
    ProductKind.HANDBOOK: N_("Handbooks and documents"),
}

REGISTER_NAMES: dict[RegisterKind, str] = {
    RegisterKind.TEAM: N_("Community communication teams"),
    RegisterKind.CLUB: N_("“Leaders of Change” clubs"),
    RegisterKind.LIVELIHOOD_GROUP: N_("Women-led livelihood groups"),
    RegisterKind.TRUSTED_ADDRESS: N_("Trusted addresses"),
}

REGISTER_EVENT_NAMES: dict[RegisterEvent, str] = {
    RegisterEvent.ESTABLISHED: N_("established"),
    RegisterEvent.STRENGTHENED: N_("strengthened"),
    RegisterEvent.SUPPORTED: N_("supported"),
    RegisterEvent.SUSPENDED: N_("suspended"),
    RegisterEvent.RESUMED: N_("active again"),
    RegisterEvent.DISSOLVED: N_("dissolved"),
}

REGISTER_STATUS_NAMES: dict[RegisterStatus, str] = {
    RegisterStatus.ACTIVE: N_("active"),
    RegisterStatus.SUSPENDED: N_("suspended"),
    RegisterStatus.DISSOLVED: N_("dissolved"),
}

MEMBER_ROLE_NAMES: dict[MemberRole, str] = {
    MemberRole.LEADER: N_("leader"),
    MemberRole.DEPUTY: N_("deputy"),
    MemberRole.FACILITATOR: N_("facilitator"),
    MemberRole.MEMBER: N_("member"),
    MemberRole.VOLUNTEER: N_("volunteer"),
}

SUPPORT_NAMES: dict[Support, str] = {
    Support.SHELTER: N_("shelter"),
    Support.COUNSELLING: N_("counselling"),
    Support.MEDICAL: N_("medical care"),
    Support.LEGAL: N_("legal aid"),
    Support.REFERRAL: N_("referral"),
}

FUNDING_NAMES: dict[FundingSource, str] = {
    FundingSource.NTP_ETHNIC_MINORITY: N_(
        "National target programme for ethnic-minority and mountainous areas (incl. Project 8)"
    ),
    FundingSource.NTP_POVERTY: N_("National target programme for sustainable poverty reduction"),
    FundingSource.NTP_RURAL: N_("National target programme for new rural development"),
    FundingSource.LOCAL_BUDGET: N_("Local budget"),
    FundingSource.SOCIALISED: N_("Socialised funds (xã hội hóa)"),
}

AUDIENCE_NAMES: dict[TrainingAudience, str] = {
    TrainingAudience.LEGAL_OFFICERS: N_("Legal officers"),
    TrainingAudience.VILLAGE_HEADS: N_("Village heads and village officers"),
    TrainingAudience.RESPECTED_PERSONS: N_("Elders and respected persons"),
    TrainingAudience.RELIGIOUS_LEADERS: N_("Religious leaders"),
    TrainingAudience.TEACHERS: N_("Teachers"),
    TrainingAudience.OFFICIALS: N_("Officials of the political system"),
    TrainingAudience.MIXED: N_("Several groups or others"),
}

TOPIC_NAMES: dict[Topic, str] = {
    Topic.GENDER_EQUALITY: N_("Gender equality"),
    Topic.DOMESTIC_VIOLENCE: N_("Domestic violence"),
    Topic.GENDER_BASED_VIOLENCE: N_("Gender-based violence"),
    Topic.CHILD_MARRIAGE: N_("Child marriage"),
    Topic.CONSANGUINEOUS_MARRIAGE: N_("Consanguineous marriage"),
    Topic.HOME_BIRTH: N_("Home births and safe motherhood"),
    Topic.TRAFFICKING: N_("Human trafficking"),
    Topic.CHILD_SEXUAL_ABUSE: N_("Sexual abuse of children"),
    Topic.SCHOOL_VIOLENCE: N_("School violence"),
    Topic.SEX_SELECTION: N_("Sex selection at birth"),
    Topic.ECONOMIC_EMPOWERMENT: N_("Women's economic empowerment"),
    Topic.WOMEN_LEADERSHIP: N_("Women in leadership"),
    Topic.HARMFUL_CUSTOMS: N_("Harmful customs"),
}

LANGUAGE_NAMES: dict[SessionLanguage, str] = {
    SessionLanguage.VIETNAMESE: N_("Vietnamese"),
    SessionLanguage.ETHNIC: N_("Ethnic-minority language"),
    SessionLanguage.BOTH: N_("Vietnamese and an ethnic-minority language"),
}

FIELD_NAMES: dict[ParticipantField, str] = {
    ParticipantField.TOTAL: N_("participants"),
    ParticipantField.WOMEN: N_("women"),
    ParticipantField.MEN: N_("men"),
    ParticipantField.GIRLS: N_("girls"),
    ParticipantField.BOYS: N_("boys"),
    ParticipantField.ETHNIC_MINORITY: N_("ethnic-minority participants"),
}

INDICATOR_NAMES: dict[Indicator, str] = {
    Indicator.SESSIONS: N_("Number of sessions"),
    Indicator.PLACES: N_("Number of places where it runs (clubs, groups)"),
    Indicator.TRUSTED_ADDRESSES: N_("Trusted addresses"),
    Indicator.PARTICIPANTS: N_("Number of participants"),
    Indicator.SHARE: N_("Share of a group reached"),
    Indicator.BUDGET: N_("Budget (đồng), against the costs recorded"),
    Indicator.ESTABLISHED: N_("Newly established (from the registers)"),
    Indicator.RENEWED: N_("Strengthened or newly set up (from the registers)"),
    Indicator.SUPPORTED: N_("Supported (from the registers)"),
}
