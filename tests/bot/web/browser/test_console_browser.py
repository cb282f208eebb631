"""The console in a real browser (Debian's Chromium, driven by Playwright) against the real
``digestbot run``: an editor's working day from log-in to log-out, then what no page may
allow (a stored script running, a form without its CSRF token, unlimited password guesses,
an editor on the accounts page). Every page is saved as a screenshot and checked for a
title, labelled fields and no inline script.

One test, steps in order: the steps share one process and one browser (about half a minute
in all), and a single test is never split over two xdist workers.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from urllib.parse import quote

from playwright.async_api import Browser, Locator, Page, expect

from tests.bot.web.browser.newsroom import (
    ARTICLES,
    HOSTILE,
    PASSWORD,
    SUBSCRIBERS,
    WIRE_TITLE,
    Newsroom,
    screenshots_folder,
)
from tests.bot.web.browser.pages import Watch, check_page, choose, open_page, sign_in, visit
from tests.processes import until

FEED_NAME = "Local wire"
LIVE = 30_000  # ms: how long a push or a poll may take in a process sharing two cores


@dataclass
class Tour:
    page: Page
    watch: Watch
    room: Newsroom

    async def visit(self, path: str, name: str, status: int = 200) -> None:
        await visit(self.page, self.watch, screenshots_folder(), path, name, status)

    async def check(self, name: str) -> None:
        await check_page(self.page, self.watch, screenshots_folder(), name)

    def main(self) -> Locator:
        return self.page.locator("main")


async def test_an_editors_day_and_what_no_page_allows(
    newsroom: Newsroom, chromium: Browser
) -> None:
    await timed(newsroom.ready(), "digestbot run serving")
    watch = Watch()
    editor = Tour(await open_page(chromium, newsroom.base, watch), watch, newsroom)
    for step in (
        log_in_from_the_keyboard,
        overview_has_its_chart,
        add_a_feed_and_poll_it,
        preview_a_vietnamese_telegram_digest,
        push_breaking_news,
        cancel_a_second_push,
        find_both_pushes_in_the_audit_log,
        an_editor_cannot_reach_the_accounts_page,
        log_out,
    ):
        await timed(step(editor), step.__name__)
    admin = Tour(await open_page(chromium, newsroom.base, watch), watch, newsroom)
    await timed(sign_in(admin.page, "ada", PASSWORD), "sign_in as an admin")
    await timed(no_page_runs_the_stored_script(admin), "no_page_runs_the_stored_script")
    await timed(a_form_without_its_csrf_token_is_refused(admin), "csrf")
    await timed(the_console_speaks_vietnamese(admin), "vietnamese")
    await timed(the_sixth_wrong_password_is_throttled(chromium, newsroom, watch), "throttle")
    assert watch.clean() == {}
    await timed(the_watchers_would_have_seen_a_script(chromium, newsroom), "watchers")


async def timed(step: Awaitable[None], name: str) -> None:
    """Run a step and print how long it took (shown with the output of a failed run)."""
    started = time.monotonic()
    await step
    print(f"{name}: {time.monotonic() - started:.1f} s")


# The journey --------------------------------------------------------------------------------


async def log_in_from_the_keyboard(tour: Tour) -> None:
    page = tour.page
    await tour.visit("/console/login", "login")
    await page.get_by_label("Name", exact=True).focus()
    await page.keyboard.type("ed")
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Password", exact=True)).to_be_focused()
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/console/$"))


async def overview_has_its_chart(tour: Tour) -> None:
    await tour.check("overview")
    chart = tour.main().locator("#chart svg, [id*=chart] svg, .chart svg").first
    await expect(chart).to_be_visible()
    await chart.scroll_into_view_if_needed()
    await tour.page.screenshot(path=str(screenshots_folder() / "overview-chart.png"))


async def add_a_feed_and_poll_it(tour: Tour) -> None:
    page, main = tour.page, tour.main()
    await tour.visit("/console/feeds", "feeds")
    await main.get_by_label("Feed URL", exact=True).fill(tour.room.feed_url)
    await main.get_by_label(re.compile(r"^Name\b")).fill(FEED_NAME)
    await main.get_by_label("Tech", exact=True).check()
    await main.get_by_role("button", name=re.compile(r"^Add", re.I)).click()
    row = main.locator("tr", has_text=FEED_NAME)
    await expect(row).to_have_count(1)
    await tour.check("feeds-added")
    await row.get_by_role("button", name="Poll now").click()
    await expect(main.locator("tr", has_text=FEED_NAME)).to_have_count(1)
    # The poll runs in the bot's next tick (every 5 s): reload until the row counts articles,
    # giving each load a second to show them.
    cell = main.locator("tr", has_text=FEED_NAME).locator("[data-count]")
    deadline = asyncio.get_running_loop().time() + LIVE / 1000
    while True:
        try:
            await expect(cell).not_to_have_attribute("data-count", "0", timeout=1_000)
            break
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"never polled: {await main.inner_text()}") from None
            await page.reload()
    assert int(await cell.get_attribute("data-count") or 0) > 0
    await tour.check("feeds-polled")


async def preview_a_vietnamese_telegram_digest(tour: Tour) -> None:
    main = tour.main()
    await tour.visit("/console/preview", "preview")
    await main.get_by_label("Tech", exact=True).check()
    await choose(tour.page, "Platform", "Telegram")
    await choose(tour.page, "Language", "Tiếng Việt")
    await main.get_by_role("button", name="Preview", exact=True).click()
    shown = tour.page.locator("#preview-telegram")
    await expect(shown).to_contain_text(WIRE_TITLE)
    await expect(shown).to_contain_text("Bản tin")
    await tour.check("preview-telegram-vi")


async def start_a_push(tour: Tour, title: str, shot: str) -> None:
    """Category, article, Preview, Confirm: the page that follows the push is shown."""
    main = tour.main()
    await tour.visit("/console/breaking", shot)
    await choose(tour.page, "Category", "Climate")
    await choose(tour.page, "Article", title)
    await main.get_by_role("button", name="Preview", exact=True).click()
    await expect(main).to_contain_text(title)
    await tour.check(f"{shot}-preview")
    await main.get_by_role("button", name=re.compile(r"^Confirm")).click()
    await expect(tour.page.locator("#push-status")).to_be_visible()


async def push_breaking_news(tour: Tour) -> None:
    page, gate = tour.page, tour.room.gate
    gate.open.clear()  # held until the progress page is up: it must show the sends live
    try:
        await start_a_push(tour, ARTICLES[0][1], "breaking")
        await expect(page.locator("#push-delivered")).to_have_text(re.compile(r"^\s*0\s*$"))
        await expect(page.locator("#push-status")).not_to_have_text(re.compile(r"done", re.I))
        await tour.check("breaking-sending")
        # Still set at the end only if the page never reloaded.
        await page.evaluate("() => { window.stillTheSamePage = true; }")
    finally:
        gate.open.set()
    await expect(page.locator("#push-status")).to_have_text(
        re.compile(r"delivered|done", re.I), timeout=LIVE
    )
    await expect(page.locator("#push-delivered")).to_have_text(
        re.compile(rf"^\s*{len(SUBSCRIBERS)}\s*$"), timeout=LIVE
    )
    assert await page.evaluate("() => window.stillTheSamePage === true"), "the page reloaded"
    await tour.check("breaking-progress")
    sent = {m["chat_id"] for m in tour.room.fake.messages if ARTICLES[0][1] in m["text"]}
    assert sent == set(SUBSCRIBERS)


async def cancel_a_second_push(tour: Tour) -> None:
    page, gate, title = tour.page, tour.room.gate, ARTICLES[1][1]
    gate.open.clear()  # the fake Bot API holds every send: the push stays under way
    try:
        await start_a_push(tour, title, "breaking-second")
        await expect(page.locator("#push-cancel")).to_be_enabled()
        await page.locator("#push-cancel").click()
        await expect(page.locator("#push-status")).to_have_text(
            re.compile(r"cancel", re.I), timeout=LIVE
        )
        await tour.check("breaking-cancelled")
        cancelled = int(await page.locator("#push-blocked").inner_text())
        assert cancelled > 0, "nothing of the push was left to cancel"
    finally:
        gate.open.set()
    # The sends under way when the push was cancelled finish; the others never go.
    await until(
        lambda: (
            len([m for m in tour.room.fake.messages if title in m["text"]])
            == len(SUBSCRIBERS) - cancelled
        )
    )


async def find_both_pushes_in_the_audit_log(tour: Tour) -> None:
    main = tour.main()
    await tour.visit("/console/audit", "audit")
    actor = main.get_by_label("Actor", exact=True)
    if await actor.evaluate("el => el.tagName") == "SELECT":
        await choose(tour.page, "Actor", "ed")
    else:
        await actor.fill("ed")
    await main.get_by_role("button", name=re.compile(r"^(Filter|Search|Show)", re.I)).click()
    await expect(main.locator("tr", has_text="breaking-cancel")).to_have_count(1)
    pushes = main.locator("tr").filter(has=tour.page.get_by_text("breaking", exact=True))
    await expect(pushes).to_have_count(2)
    await expect(main.locator("tbody tr").filter(has_not_text="ed")).to_have_count(0)
    await tour.check("audit-filtered")


async def log_out(tour: Tour) -> None:
    """From the keyboard too: Tab from the header's last link to the sign-out button, Space."""
    page = tour.page
    await page.locator("header a").last.focus()
    await page.keyboard.press("Tab")
    await expect(page.locator("#logout")).to_be_focused()
    await page.keyboard.press("Space")
    await expect(tour.page).to_have_url(re.compile(r"/console/login"))
    await tour.check("logged-out")
    response = await tour.page.goto("/console/feeds")
    assert response is not None
    await expect(tour.page).to_have_url(re.compile(r"/console/login"))


# What no page allows --------------------------------------------------------------------------


async def no_page_runs_the_stored_script(tour: Tour) -> None:
    """Every page, as an admin, with the hostile title wherever it can appear: the watchers
    (dialogs, CSP reports, script errors) stay empty and the title shows as text."""
    page, main = tour.page, tour.main()
    await tour.visit("/console/", "admin-overview")
    # After the pushes: today's deliveries count them and the chart ends in their minute.
    await main.locator(".chart svg").first.scroll_into_view_if_needed()
    await page.screenshot(path=str(screenshots_folder() / "overview-after-pushes.png"))
    await tour.visit("/console/feeds", "admin-feeds")
    await tour.visit("/console/stories", "stories")
    # The search box (the story search's field) is sent the whole title: it is shown back.
    search = main.get_by_role("searchbox").or_(main.get_by_label(re.compile("^Words"))).first
    await search.fill(HOSTILE)
    await search.press("Enter")
    await expect(main.locator("h2, h3, a", has_text=HOSTILE).first).to_be_visible()
    await tour.check("stories-search")
    await tour.visit("/console/preview", "admin-preview")
    await main.get_by_label("Climate", exact=True).check()
    await choose(page, "Platform", "Telegram")
    await main.get_by_role("button", name="Preview", exact=True).click()
    await expect(page.locator("#preview-telegram")).to_contain_text(HOSTILE)
    await tour.check("preview-hostile")
    await tour.visit("/console/breaking", "admin-breaking")
    await choose(page, "Category", "Climate")
    await choose(page, "Article", HOSTILE)
    await main.get_by_role("button", name="Preview", exact=True).click()
    # The message's Telegram HTML may be shown as source (the title escaped once more).
    await expect(main).to_contain_text("alert(1)")
    await tour.check("breaking-hostile-preview")
    await tour.visit("/console/audit", "admin-audit")
    await page.goto("/console/audit?actor=" + quote(HOSTILE))  # a 422 or the empty log
    await tour.check("audit-hostile-filter")
    await tour.visit("/console/subscribers", "subscribers")
    await expect(main).to_contain_text(SUBSCRIBERS[0])  # chat ids: admins see them
    await tour.visit("/console/accounts", "accounts")
    await tour.visit("/console/password", "password")
    assert tour.watch.clean() == {}


async def a_form_without_its_csrf_token_is_refused(tour: Tour) -> None:
    request = tour.page.request
    refused = await request.post("/console/language", form={"language": "en", "next": "/console/"})
    assert refused.status == 403
    assert "did not come from this console" in await refused.text()
    await tour.visit("/console/feeds", "feeds-for-token")
    token = await tour.page.locator('input[name="csrf"]').first.get_attribute("value")
    added = await request.post(
        "/console/feeds",
        form={"url": tour.room.feed_url + "?again", "name": "No token", "categories": "tech"},
    )
    assert added.status == 403, "a feed was added without the form's token"
    allowed = await request.post(
        "/console/language",
        form={"csrf": token or "", "language": "en", "next": "/console/"},
        max_redirects=0,
    )
    assert allowed.status == 303, "the same form with its token is taken"


async def an_editor_cannot_reach_the_accounts_page(tour: Tour) -> None:
    await expect(tour.page.get_by_role("link", name="Accounts")).to_have_count(0)
    await tour.visit("/console/accounts", "accounts-editor-refused", status=403)
    await expect(tour.main()).to_contain_text("admins")


async def the_console_speaks_vietnamese(tour: Tour) -> None:
    """The account's language, chosen in the header (it takes effect on choosing)."""
    page = tour.page
    await page.goto("/console/feeds")
    english = await page.title()
    await page.locator("#language-choice").select_option("vi")
    await expect(page.locator("html")).to_have_attribute("lang", "vi")
    await expect(page).to_have_url(re.compile(r"/console/feeds$"))
    assert await page.title() != english
    await tour.check("feeds-vi")
    await tour.visit("/console/", "overview-vi")
    await page.locator("#language-choice").select_option("en")
    await expect(page.locator("html")).to_have_attribute("lang", "en")


async def the_sixth_wrong_password_is_throttled(
    browser: Browser, room: Newsroom, watch: Watch
) -> None:
    page = await open_page(browser, room.base, watch)
    statuses = []
    await page.goto("/console/login")
    for _ in range(6):  # each refusal answers with the log-in form again
        await page.get_by_label("Name", exact=True).fill("typo")
        await page.get_by_label("Password", exact=True).fill("not the password")
        async with page.expect_response(
            lambda r: r.url.endswith("/console/login") and r.request.method == "POST"
        ) as answer:
            await page.get_by_role("button", name="Sign in").click()
        statuses.append((await answer.value).status)
    assert statuses[:5] == [401] * 5, statuses
    text = await page.locator("main").inner_text()
    assert statuses[5] == 429 or "too many attempts" in text.lower(), (statuses, text)
    await check_page(page, watch, screenshots_folder(), "login-throttled")


async def the_watchers_would_have_seen_a_script(browser: Browser, room: Newsroom) -> None:
    """The checks above can fail: on a console page an inline script is stopped by the CSP
    and reported, and a script that does run (Playwright's own) opens a dialog that the
    watcher records."""
    probe = Watch()
    page = await open_page(browser, room.base, probe)
    await page.goto("/console/login")
    async with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        await page.evaluate(
            """() => {
              const script = document.createElement("script");
              script.textContent = "alert('inline')";
              document.head.append(script);
            }"""
        )
    assert probe.csp and probe.dialogs == [], probe
    await page.evaluate("() => alert('probe')")
    assert probe.dialogs == ["alert: probe on " + page.url], probe
