"""``summarize --story ID [--lang vi] [--save]``: one story through the model, shown step by
step for the operator: the input's size, the model's raw answer (escaped like article
text), each check with its result, the verdict and the tokens it cost.

The call counts in the day's model usage (``calls``, ``prompt_tokens``,
``completion_tokens``) like the worker's, since the endpoint bills it the same; it is no
fallback of any digest, so a refused answer counts no ``fallback:<reason>``. ``--save``
stores the outcome as the worker would (ready, or failed with its reason), so digests
show it.
"""

from __future__ import annotations

import argparse
import math
from typing import TextIO

from bot.wiring import App
from digests.assemble import make_story
from digests.errors import InputError, NotFoundError, UnavailableError
from digests.summaries.check import Checked, check_output
from digests.summaries.inputs import SummaryInput, story_input
from digests.summaries.model import Completion, ModelError, ModelRequest
from digests.summaries.prompt import build_request
from digests.summaries.worker import record_of
from digests.terminal import printable

# The usual rule of thumb: a token is about four characters (the estimate shown before
# the call; the API's own count follows it).
CHARS_PER_TOKEN = 4


async def cmd_summarize(args: argparse.Namespace, app: App, out: TextIO) -> int:
    """Run one story; exit 0 when its answer passed every check, 1 when one failed."""
    if not app.settings.llm.enabled:
        raise InputError("LLM_BASE_URL is not set: there is no model to ask (see .env.example)")
    language = args.lang or app.settings.default_language
    articles = await app.store.story_articles(args.story)
    if not articles:
        raise NotFoundError(f"no story {args.story}")
    now = app.clock.now()
    summary_input = story_input(make_story(articles, now), language)
    request = build_request(summary_input)
    out.write(describe_input(summary_input, request, len(articles)))
    completion = await _ask(app, request)
    await app.store.add_llm_usage(
        now.date(),
        {
            "calls": 1,
            "prompt_tokens": completion.prompt_tokens,
            "completion_tokens": completion.completion_tokens,
        },
    )
    checked = check_output(completion.text, summary_input)
    out.write(describe_answer(completion, checked))
    if args.save:
        tokens = (completion.prompt_tokens, completion.completion_tokens)
        await app.store.save_summary(
            record_of(summary_input, checked, now, completion.model, tokens)
        )
        status = "ready" if checked.ok else f"failed ({checked.reason})"
        out.write(f"saved as {status} for story {summary_input.story_id}, {language}\n")
    return 0 if checked.ok else 1


async def _ask(app: App, request: ModelRequest) -> Completion:
    model = app.model()
    if model is None:  # enabled was checked; a test may hand in none
        raise InputError("LLM_BASE_URL is not set: there is no model to ask")
    try:
        return await model.complete(request)
    except ModelError as exc:
        wait = f" (it asks to wait {exc.retry_after:g} s)" if exc.retry_after else ""
        raise UnavailableError(f"the model did not answer: {printable(str(exc))}{wait}") from None


def describe_input(summary_input: SummaryInput, request: ModelRequest, stored: int) -> str:
    """The input's size: articles sent (of those stored), characters, estimated tokens."""
    sent = sum(len(m.get("content", "")) for m in request.messages)
    direction = (
        f"{summary_input.source_language} → {summary_input.language}, translated"
        if summary_input.translate
        else summary_input.language
    )
    return (
        f"story {summary_input.story_id} ({direction}): {len(summary_input.articles)} of "
        f"{stored} articles, {summary_input.chars:,} characters of articles, "
        f"{sent:,} characters sent, about {math.ceil(sent / CHARS_PER_TOKEN):,} tokens\n"
    )


def describe_answer(completion: Completion, checked: Checked) -> str:
    """The raw answer (escaped), each check, the verdict and the tokens used."""
    lines = [f"answer: {printable(completion.text) or '(empty)'}", "checks:"]
    lines += [f"  {'pass' if ok else 'FAIL'}  {name}" for name, ok in checked.checks]
    if checked.ok:
        lines.append("verdict: usable")
        lines.append(f"  summary: {printable(checked.summary)}")
        if checked.title is not None:
            lines.append(f"  title: {printable(checked.title)}")
    else:
        lines.append(f"verdict: refused ({checked.reason}); digests keep the sources' summary")
    lines.append(
        f"tokens: {completion.prompt_tokens:,} prompt + {completion.completion_tokens:,} "
        f"answer = {completion.tokens:,} ({printable(completion.model) or 'model unnamed'})"
    )
    return "\n".join(lines) + "\n"
