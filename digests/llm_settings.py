"""Settings for the optional language model that writes story summaries and translations.
A group of ``digests.settings.Settings`` (``settings.llm``), declared like the rest
(``digests.envfields``). Nothing is called unless ``LLM_BASE_URL`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass

from digests.envfields import Decimal, Text, Whole, setting
from digests.envurls import Url


@dataclass(frozen=True)
class LlmSettings:
    """Where the OpenAI-compatible model is and how much of it the newsroom pays for."""

    base_url: str | None = setting(
        "LLM_BASE_URL",
        Url(),
        None,
        "An OpenAI-compatible chat-completions endpoint (https://api.openai.com/v1, a vLLM, "
        "Ollama, llama.cpp or LM Studio server's /v1, Azure OpenAI, OpenRouter). Empty: no "
        "model; digests show the sources' own summaries",
        section="summaries",
    )
    api_key: str | None = setting(
        "LLM_API_KEY",
        # Printable ASCII only, as an HTTP header carries it: a newline in a quoted .env
        # value would be echoed, escaped, by the HTTP library, where the redaction cannot
        # see it, and a non-ASCII key fails every call.
        Text(
            r"[\x21-\x7e]{1,4096}",
            must="must be 1-4096 printable ASCII characters, no spaces",
            secret=True,
        ),
        None,
        "The endpoint's API key (a secret, redacted from logs); a local server may need none",
        section="summaries",
    )
    model: str = setting(
        "LLM_MODEL",
        Text(r"[\w.:/@+-]{1,200}", must="must be 1-200 letters, digits or . : / @ + _ -"),
        "gpt-4o-mini",
        "The model name the endpoint knows",
        section="summaries",
    )
    daily_token_budget: int = setting(
        "LLM_DAILY_TOKEN_BUDGET",
        Whole(minimum=1_000, maximum=10_000_000_000),
        300_000,
        "Tokens (prompt and answer, as the API reports them) the model may use per UTC day; "
        "when they are spent, digests show the sources' own summaries until the next day",
        section="summaries",
    )
    timeout_s: float = setting(
        "LLM_TIMEOUT_SECONDS",
        Decimal(minimum=1, maximum=300),
        30.0,
        "Deadline in seconds for one model call",
        section="summaries",
    )
    concurrency: int = setting(
        "LLM_CONCURRENCY",
        Whole(minimum=1, maximum=64),
        4,
        "Model calls in flight at the same time",
        section="summaries",
    )

    @property
    def enabled(self) -> bool:
        """True when a model is configured."""
        return self.base_url is not None
