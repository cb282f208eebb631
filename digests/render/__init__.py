"""Rendering: Jinja2 templates per platform, translations, and splitting to platform limits."""

from digests.render.renderer import (
    Presentation,
    RenderCache,
    Renderer,
    TemplateError,
    render_many,
    sharing_order,
)

__all__ = [
    "Presentation",
    "RenderCache",
    "Renderer",
    "TemplateError",
    "render_many",
    "sharing_order",
]
