"""The language model at the edge: ``digests.summaries.model.Model`` implemented with the
official ``openai`` client (:mod:`bot.llm.client`)."""

from bot.llm.client import OpenAiModel, make_model

__all__ = ["OpenAiModel", "make_model"]
