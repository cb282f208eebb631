"""The link check against what Telegram and Discord turn into a link: e-mail addresses
(Telegram marks them as "email" entities, Discord makes mailto: links) and domains on any
real top-level domain, not a short list (.zip, .mov, .casino are IANA TLDs)."""

from __future__ import annotations

import json

import pytest

from digests.summaries.check import check_output, has_link
from tests.digests.summaries.stories import summary_input

LEAD = "The central bank raised interest rates by half a point on Tuesday, citing inflation"
VI = "Ngân hàng trung ương đã tăng lãi suất thêm nửa điểm phần trăm vào thứ Ba do lạm phát."


def reason(summary: str, language: str = "en", source: str = "en", **extra: str) -> str | None:
    text = json.dumps({"summary": summary, **extra}, ensure_ascii=False)
    return check_output(text, summary_input(language, source)).reason  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "summary",
    [
        f"{LEAD}; write to press@evil.com for the full report.",
        "Write to a@b.co for the full report on rates and inflation.",
    ],
)
def test_an_email_address_is_a_link(summary: str) -> None:
    assert reason(summary) == "link"


@pytest.mark.parametrize("tld", ["zip", "mov", "vip", "win", "bet", "casino", "finance", "io"])
def test_a_domain_on_any_real_tld_is_a_link(tld: str) -> None:
    assert reason(f"{LEAD}; the report is at evil-report.{tld} today.") == "link"


def test_a_punycode_tld_is_a_link() -> None:
    assert has_link("see report.xn--p1ai now")


def test_a_link_in_a_translated_title_on_a_new_tld_is_refused() -> None:
    assert reason(VI, "vi", "en", title="Xem báo cáo tại baocao.zip") == "link"


@pytest.mark.parametrize(
    "text",
    [
        "Node.js and Deno.ts runtimes were updated.",
        "Rain flooded streets in TP.HCM on Monday.",
        "The U.S. economy grew 3.5% in the quarter.",
        "He met her at 10 a.m. in the square.",
        "@everyone",
    ],
)
def test_news_text_is_no_link(text: str) -> None:
    # "@everyone" is a mention (its own check), not an e-mail address.
    assert not has_link(text)


# NFKC look-alikes: browsers and IDNA read '．' and '。' as '.', '＠' and '﹫' as '@'.
@pytest.mark.parametrize(
    "disguise",
    [
        "evil\uff0ecom",  # FULLWIDTH FULL STOP
        "evil\u3002com",  # IDEOGRAPHIC FULL STOP (IDNA maps it to '.')
        "\uff54.\uff4d\uff45/evilchannel",  # fullwidth t.me
        "\uff20everyone",  # FULLWIDTH COMMERCIAL AT
        "\ufe6beveryone",  # SMALL COMMERCIAL AT
        "@\uff45\uff56\uff45\uff52\uff59\uff4f\uff4e\uff45",  # @ + fullwidth 'everyone'
        "\uff0fstart",  # fullwidth bot command
    ],
)
def test_nfkc_look_alikes_of_links_and_mentions_are_refused(disguise: str) -> None:
    assert reason(f"{LEAD}; see {disguise} now.") in ("link", "mention")
