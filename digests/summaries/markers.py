"""Signs of an instruction to a model inside untrusted text, in English and Vietnamese.

Article text goes to the model as data; a sentence in it that reads like an order to a
model ("ignore all previous instructions", "you are now", "assistant:") is dropped from the
input (``inputs``), and an answer that repeats such a marker, or a long run of words from a
dropped sentence, is refused (``check``). The list is small on purpose: each pattern names
wording that news prose does not use, so that an ordinary sentence ("China vowed to respond
with sanctions", "trả lời bằng văn bản") is kept. Text is matched after NFKC folding and
case folding, so full-width letters and capitals hide nothing. Pure.
"""

from __future__ import annotations

import re
import unicodedata

# One alternation per idea: (name, needles, pattern). Each is tested with a sentence it must
# catch and a news sentence it must leave alone (tests/digests/summaries/test_inputs.py).
# The needles are plain substrings every match contains: Python's re is slow on patterns
# that start with \b, so a pattern only runs on text that holds one of its needles.
INSTRUCTION_PATTERNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    # "Ignore all previous instructions", "disregard the above", "forget your prompt"
    # (not "drivers ignore traffic rules": the noun or "previous" must follow closely).
    (
        "ignore instructions",
        ("ignore", "disregard", "forget", "override", "bypass"),
        r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:[\w-]+\s+){0,3}?"
        r"(?:instructions?|prompts?|directions)\b"
        r"|\b(?:ignore|disregard|forget)\s+(?:all\s+|everything\s+)?(?:of\s+)?(?:the\s+)?"
        r"(?:previous|prior|above|earlier|preceding)\b",
    ),
    # A new role for the model.
    (
        "you are now",
        ("you are now", "from now on", "pretend"),
        r"\byou are now\b|\bfrom now on,? you\b|\bpretend (?:to be|you are)\b",
    ),
    (
        "new instructions",
        ("new instruction", "system ", "developer "),
        r"\bnew instructions?\s*:|\b(?:system|developer) (?:prompt|message)\b",
    ),
    # "As an AI language model", "as an AI, I" (not "known as an AI chipmaker").
    (
        "as an ai",
        ("as a",),
        r"\bas an? (?:ai|artificial intelligence)(?: language)? model\b|\bas an ai,",
    ),
    # "Reply with 'yes'", "answer only with the word ..." (not "respond with sanctions").
    (
        "reply with",
        ("reply", "respond", "answer"),
        r"\b(?:reply|respond|answer)\s+(?:only\s+)?with\s+(?:only\s+|exactly\s+)?"
        r"(?:the\s+(?:word|phrase|text)\b|[\"“'«`:])",
    ),
    # Chat-role and template tokens: "assistant:", "<|im_start|>", "[INST]", "### Instruction".
    (
        "role marker",
        ("system", "assistant", "<|", "inst]", "##"),
        r"\b(?:system|assistant)\s*:|<\|[a-z_]+\|>|\[/?inst\]|#{2,}\s*(?:instruction|system)",
    ),
    # An order addressed to the model: "Summariser: write only ...", "AI: say ..." (a comma
    # only after a word news does not address: "rely on AI, say analysts" is news).
    (
        "addressed to the model",
        (":", "summari", "assistant", "chatbot", "llm", "only", "exactly"),
        r"(?:\b(?:summari[sz]er|assistant|chatbot|llm)\s*[:,]|\b(?:ai|bot|model|gpt)\s*:)\s*"
        r"(?:please\s+)?(?:write|say|output|reply|answer|respond|print|ignore|add|include)\b"
        # "Model, write only: ...", "AI, say: ..." (a colon or "only" after the verb; "rely
        # on AI, say analysts" has neither).
        r"|\b(?:ai|bot|model|gpt)\s*,\s*(?:please\s+)?(?:write|say|output|reply|answer|respond"
        r"|print)(?:\s*:|\s+(?:only|exactly)\b)",
    ),
    ("pwned", ("pwned", "i have been"), r"\bpwned\b|\bi have been (?:hacked|jailbroken)\b"),
    # Vietnamese: "bỏ qua mọi hướng dẫn trước đó" (ignore all previous instructions).
    (
        "bỏ qua hướng dẫn",
        ("bỏ qua", "phớt lờ", "quên", "lờ đi"),
        r"(?:bỏ qua|phớt lờ|quên|lờ đi)[^.!?]{0,40}?(?:hướng dẫn|chỉ dẫn|chỉ thị|câu lệnh)"
        r"[^.!?]{0,20}?(?:trước|ở trên|phía trên|đã cho)",
    ),
    # "từ bây giờ bạn là", "bạn bây giờ là" (from now on you are).
    (
        "bạn bây giờ là",
        ("giờ",),
        r"(?:từ bây giờ|từ giờ|bây giờ|giờ đây),? bạn (?:là|sẽ)|bạn (?:bây )?giờ là",
    ),
    (
        "gửi mô hình",
        (":",),
        r"(?:trợ lý|mô hình|ai|bot)\s*:\s*(?:hãy\s+)?(?:viết|trả lời|nói|ghi)\b",
    ),
    (
        "lời nhắc hệ thống",
        ("lời nhắc", "tư cách"),
        r"lời nhắc hệ thống|với tư cách (?:là )?(?:một )?(?:ai|mô hình)",
    ),
    # "hãy trả lời bằng: ...", "trả lời chính xác cụm từ" (not "trả lời bằng văn bản").
    (
        "trả lời bằng",
        ("trả lời", "phản hồi"),
        r"(?:trả lời|phản hồi)\s+(?:chỉ\s+)?(?:bằng|với)\s*[\"“'«:]"
        r"|(?:trả lời|phản hồi)[^.!?]{0,20}?(?:cụm từ|chính xác)",
    ),
)
_INSTRUCTIONS = tuple((needles, re.compile(p)) for _, needles, p in INSTRUCTION_PATTERNS)
# Signs that an answer is the model talking about itself rather than a summary.
_ANSWER_ONLY = re.compile(
    r"\bi have been\b|\bi(?:'m| am) sorry\b|\bi can(?:not|'t) (?:help|assist|comply)\b"
    r"|\btôi (?:xin lỗi|không thể)\b"
)
# A sentence ends at ., ! or ? (and what closes a quote) before a space; the split is rough,
# which is fine for dropping: a cut in "U.S." only makes the dropped piece shorter.
_SENTENCE_END = re.compile(r"(?<=[.!?…。])[\"'”’)\]]*\s+")
_WORD = re.compile(r"\w+")
# A shared run of this many words with a dropped sentence marks an obeying answer.
RUN_WORDS = 6


def fold(text: str) -> str:
    """``text`` as matched: NFKC (full-width letters are letters) and case folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def looks_like_instruction(text: str) -> bool:
    """True when ``text`` holds an instruction marker (see INSTRUCTION_PATTERNS)."""
    return _has_marker(fold(text))


def _has_marker(folded: str) -> bool:
    return any(
        any(needle in folded for needle in needles) and pattern.search(folded) is not None
        for needles, pattern in _INSTRUCTIONS
    )


def talks_like_a_model(text: str) -> bool:
    """True when an answer holds a marker, or speaks as the model ("I have been",
    "I'm sorry", "I cannot help")."""
    folded = fold(text)
    return _has_marker(folded) or _ANSWER_ONLY.search(folded) is not None


def sentences(text: str) -> list[str]:
    """``text`` cut into rough sentences (for dropping, not for counting)."""
    return [part for part in _SENTENCE_END.split(text) if part.strip()]


def drop_instructions(text: str) -> tuple[str, tuple[str, ...]]:
    """``text`` without its sentences that look like instructions, and those sentences."""
    if not looks_like_instruction(text):
        return text, ()  # the common case: one search, no split
    kept: list[str] = []
    dropped: list[str] = []
    for sentence in sentences(text):
        (dropped if looks_like_instruction(sentence) else kept).append(sentence)
    return " ".join(kept), tuple(dropped)


def _runs(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(fold(text))
    return {tuple(words[i : i + RUN_WORDS]) for i in range(len(words) - RUN_WORDS + 1)}


def shares_run(text: str, others: tuple[str, ...]) -> bool:
    """True when ``text`` has RUN_WORDS consecutive words in common with one of ``others``."""
    if not others:
        return False
    mine = _runs(text)
    return any(mine & _runs(other) for other in others)
