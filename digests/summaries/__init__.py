"""Model summaries and translations of stories, per story and reader language.

Optional (``settings.llm``): a background worker (``worker``) picks the stories whose
summary is missing or whose sources changed (``plan``), builds a capped input from the
titles and summaries of their articles (``inputs``) and a request that asks for JSON
against a schema (``prompt``), calls an OpenAI-compatible model through the ``Model``
protocol (``model``; the adapter is ``bot.llm``), checks the answer (``check``) and stores
it (``digests.store._summaries``). The budget and the circuit breaker are ``budget`` and
``breaker``. A dispatch shows whatever is ready (``gloss``), else the sources' own
summaries: no digest ever waits for a model.
"""
