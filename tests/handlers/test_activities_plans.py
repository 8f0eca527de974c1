"""/log for the kinds the local plans name: a class's audience, and the
communication products of a campaign (issue 16)."""

from __future__ import annotations

import pytest

from storage.models import ActivityKind, FundingSource, ProductKind, TrainingAudience
from tests.handlers.activities_helpers import setup_people, stored, tap
from tests.handlers.conftest import USER
from tests.harness import texts


@pytest.fixture
async def places(bot):
    return await setup_people(bot)


async def test_a_banner_campaign_with_its_products(bot, places):
    await bot.send(USER, "/log")
    assert {
        "Visual campaign (banners, panels, posters)",
        "Legal aid, grassroots mediation",
        "Mobile exhibition",
    } <= set(bot.labels(USER))
    await bot.press(USER, label="Visual campaign (banners, panels, posters)")
    await bot.press(USER, label="Yesterday (11/19/26)")
    await bot.press(USER, label="Thôn 1")
    await bot.send(USER, "0")  # banners and posters reach people nobody counts
    await bot.press(USER, label="Gender equality")
    await bot.press(USER, label="Done ➡")
    question = await tap(bot, "Vietnamese")
    assert "Which communication products" in question and "(to-roi)" in question
    replies = await bot.send(USER, "băng rôn")  # no number
    assert texts(replies)[0] == (
        "How many? Type the number after the product, for example: băng rôn 200."
    )
    replies = await bot.send(USER, "bánh 3")
    assert texts(replies)[0].startswith("“bánh” is not a communication product.")
    await bot.photo(USER)  # a photo where products are asked: the step stays
    assert "Which communication products" in bot.last(USER).text
    replies = await bot.send(USER, "băng rôn 3, áp phích 20")
    assert "Optional: send up to 5 photos" in texts(replies)[-1]
    summary = await tap(bot, "Continue ➡")
    assert "Activity: Visual campaign (banners, panels, posters)" in summary
    assert "Products: Posters 20; Panels and banners 3" in summary
    assert "✏️ Audience" not in bot.labels(USER)
    await bot.press(USER, label="✏️ Products")
    summary = await tap(bot, "None ➡")
    assert "Products:" not in summary
    await bot.press(USER, label="✏️ Products")
    await bot.send(USER, "pa nô 2")
    await tap(bot, "✅ Confirm")
    (activity,) = await stored(bot)
    assert activity.kind is ActivityKind.VISUAL_CAMPAIGN and activity.total == 0
    assert activity.products == {ProductKind.PANEL: 2}


async def test_a_class_names_its_audience(bot, places):
    await bot.send(USER, "/log")
    await bot.press(USER, label="Training class")
    replies = await bot.send(USER, "everyone")
    assert texts(replies)[0].startswith("“everyone” is not an audience of a class.")
    await bot.send(USER, "ton-giao")  # typed as its code
    await bot.press(USER, label="Yesterday (11/19/26)")
    await bot.press(USER, label="Thôn 1")
    await bot.send(USER, "12/6/6/0/0/10")
    await bot.press(USER, label="Gender equality")
    await bot.press(USER, label="Done ➡")
    await bot.press(USER, label="Vietnamese")
    summary = await tap(bot, "Continue ➡")
    assert "Class for: Religious leaders" in summary
    await bot.press(USER, label="✏️ Audience")
    summary = await tap(bot, "Teachers")
    assert "Class for: Teachers" in summary
    await tap(bot, "✅ Confirm")
    (activity,) = await stored(bot)
    assert activity.audience is TrainingAudience.TEACHERS


async def test_one_line_with_products_and_audience(bot, places):
    replies = await bot.send(USER, "/log th 19/11 20/10/10/0/0/0 bdg hv:truong-thon sp:so-tay=20")
    summary = texts(replies, USER)[-1]
    assert "Class for: Village heads and village officers" in summary
    assert "Products: Handbooks and documents 20" in summary
    await bot.send(USER, "/cancel")
    replies = await bot.send(USER, "/log cd 19/11 0/0/0/0/0/0 bdg sp:keo=3")
    said = texts(replies, USER)
    assert said[0].startswith("“keo” is not a communication product.")
    assert "Please check the activity" in said[-1]


async def test_cost_and_source_from_the_summary_card(bot, places):
    await bot.send(USER, "/log tt 19/11 20/10/10/0/0/0 bdg")
    assert "✏️ Cost" in bot.labels(USER)
    question = await tap(bot, "✏️ Cost")
    assert question.endswith(
        "How much did the activity cost, in đồng? For example: 1.500.000 or 1,5 triệu."
    )
    replies = await bot.send(USER, "nhiều lắm")
    assert texts(replies)[0].startswith("“nhiều lắm” is not an amount I can read.")
    await bot.send(USER, "1,5 triệu")
    assert "Local budget" in bot.labels(USER)
    await bot.photo(USER)  # a photo where a source is asked: the step stays
    summary = await tap(
        bot, "National target programme for ethnic-minority and mountainous areas (incl. Project 8)"
    )
    assert "Cost: 1,500,000 đồng — National target programme" in summary
    # Back out of a change: the cost stays as it was.
    await bot.press(USER, label="✏️ Cost")
    assert "Cost: 1,500,000 đồng" in await tap(bot, "↩ Keep as it was")
    await tap(bot, "✅ Confirm")
    (activity,) = await stored(bot)
    assert (activity.cost, activity.funding_source) == (
        1_500_000,
        FundingSource.NTP_ETHNIC_MINORITY,
    )


async def test_the_team_that_held_it(bot, places):
    from storage import registers
    from storage.models import RegisterKind

    await bot.send(USER, "/log tt 19/11 20/10/10/0/0/0 bdg")
    assert "✏️ Held by" not in bot.labels(USER)  # nothing registered in the commune yet
    await bot.send(USER, "/cancel")
    async with bot.services.sessions.begin() as session:
        team = await registers.save(
            session,
            None,
            registers.EntryInput(
                kind=RegisterKind.TEAM, unit_id=places.village.id, name="Tổ truyền thông thôn 1"
            ),
            bot.clock(),
        )
        await registers.save(
            session,
            None,
            registers.EntryInput(
                kind=RegisterKind.CLUB, unit_id=places.elsewhere.id, name="CLB xa"
            ),
            bot.clock(),
        )
    await bot.send(USER, "/log tt 19/11 20/10/10/0/0/0 bdg")
    question = await tap(bot, "✏️ Held by")
    assert question.endswith("Which team, club or group held it?")
    assert bot.labels(USER) == [
        "Tổ truyền thông thôn 1 · Community communication teams",
        "No team, club or group",
        "↩ Keep as it was",
    ]  # not the club of another commune
    summary = await tap(bot, "Tổ truyền thông thôn 1 · Community communication teams")
    assert "Held by: Tổ truyền thông thôn 1" in summary
    await tap(bot, "✅ Confirm")
    (activity,) = await stored(bot)
    assert activity.held_by_id == team.entry_id
