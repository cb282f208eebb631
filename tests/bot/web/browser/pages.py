"""What every visit to a console page checks in the browser, and the watchers that see
what no page may do: open a dialog (an injected script's alert), break the CSP (an inline
script or style of our own, or an injected one the CSP stopped), or throw."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Dialog,
    Error,
    Page,
    Response,
    expect,
)

VIEWPORT = {"width": 1280, "height": 800}

# Run in the page: the accessibility rules of every console page (the issue's "every page has
# a title, every field a label"), and signs of an injected script or image in the DOM.
AUDIT_JS = """() => {
  const problems = [];
  if (!document.title.trim()) problems.push("no <title>");
  if (!document.documentElement.lang) problems.push("no <html lang>");
  const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
  for (const id of new Set(ids.filter((id, at) => ids.indexOf(id) !== at))) {
    problems.push(`the id "${id}" is used twice (a label may name the wrong field)`);
  }
  const labelled = (el) =>
    (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) ||
    (el.getAttribute("aria-label") || "").trim() ||
    (el.getAttribute("aria-labelledby") || "").trim();
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden") continue;
    if (!labelled(el)) {
      problems.push(`<${el.tagName.toLowerCase()} name="${el.name}" id="${el.id}"> has no label`);
    }
  }
  for (const button of document.querySelectorAll("button")) {
    const name = (button.textContent || "").trim() || button.getAttribute("aria-label");
    if (!name) problems.push(`a <button> (id="${button.id}") has no name`);
  }
  for (const script of document.scripts) {
    if (!script.src) problems.push("an inline <script>: " + script.textContent.slice(0, 80));
  }
  if (document.querySelector('img[src="x"], [onerror], [onload], [onclick]')) {
    problems.push("an element with an event handler attribute or the injected <img>");
  }
  return problems;
}"""


@dataclass
class Watch:
    """What the pages did that they must not: dialogs opened, CSP violations reported,
    uncaught script errors."""

    dialogs: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    shots: list[Path] = field(default_factory=list)

    async def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(
            f"{dialog.type}: {dialog.message} on {dialog.page.url if dialog.page else '?'}"
        )
        await dialog.dismiss()

    def on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.csp.append(f"{message.text} at {message.location.get('url')}")

    def on_error(self, error: Error) -> None:
        self.errors.append(str(error))

    def clean(self) -> dict[str, list[str]]:
        """Everything seen that should not have been (empty when all is well)."""
        return {
            name: seen
            for name, seen in (
                ("dialogs", self.dialogs),
                ("csp", self.csp),
                ("errors", self.errors),
            )
            if seen
        }


async def open_page(browser: Browser, base: str, watch: Watch) -> Page:
    """A fresh context (its own cookies) and page, watched."""
    context = await browser.new_context(base_url=base, viewport=VIEWPORT, locale="en-GB")
    context.set_default_timeout(15_000)
    page = await context.new_page()
    page.on("dialog", watch.on_dialog)
    page.on("console", watch.on_console)
    page.on("pageerror", watch.on_error)
    return page


async def check_page(page: Page, watch: Watch, folder: Path, name: str) -> None:
    """The page as loaded now: saved as ``<name>.png``, its accessibility and safety
    checked."""
    await page.wait_for_load_state("load")
    shot = folder / f"{name}.png"
    await page.screenshot(path=str(shot))
    watch.shots.append(shot)
    problems = await page.evaluate(AUDIT_JS)
    assert problems == [], f"{name} ({page.url}): {problems}"
    assert watch.clean() == {}, f"after {name} ({page.url}): {watch.clean()}"


async def visit(
    page: Page, watch: Watch, folder: Path, path: str, name: str, status: int = 200
) -> Response:
    """Open ``path``, expect ``status``, and check the page."""
    response = await page.goto(path)
    assert response is not None
    assert response.status == status, f"{path}: {response.status} {await page.inner_text('main')}"
    await check_page(page, watch, folder, name)
    return response


async def sign_in(page: Page, name: str, password: str) -> None:
    """Sign in with the mouse (the keyboard's way is a step of the journey)."""
    await page.goto("/console/login")
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_label("Password", exact=True).fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/console/$"))


async def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` for the field called ``label`` in the page's main part (the header's
    language picker is also called "Language"): a <select>'s option (by its label or value),
    or a radio button or checkbox called ``option``."""
    main = page.locator("main")
    field_ = main.get_by_label(label, exact=True)
    if await field_.count() == 1 and await field_.evaluate("el => el.tagName") == "SELECT":
        options: Any = await field_.evaluate(
            "el => [...el.options].map(o => [o.value, o.label.trim()])"
        )
        value = next(
            (v for v, shown in options if option in (v, shown) or shown.startswith(option)), option
        )
        await field_.select_option(value)
        return
    await main.get_by_label(option, exact=True).check()
