"""Rendering: Jinja2 templates per platform, translations, and splitting to platform limits."""

from digests.render.cache import RenderCache, render_many, sharing_order, sharing_sorted
from digests.render.renderer import Presentation, Renderer, TemplateError

__all__ = [
    "Presentation",
    "RenderCache",
    "Renderer",
    "TemplateError",
    "render_many",
    "sharing_order",
    "sharing_sorted",
]
