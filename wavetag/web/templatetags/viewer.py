"""``{% viewer_assets as assets %}``: the viewer's versioned URLs, for every page that
embeds the viewer (record, annotation and adjudication pages) without each view having
to remember to pass them."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from wavetag.web.assets import versioned_static as _versioned_static
from wavetag.web.assets import viewer_assets as _viewer_assets
from wavetag.web.catalogue_js import catalogue_script

register = template.Library()


@register.simple_tag
def viewer_assets() -> dict[str, object]:
    return _viewer_assets()


@register.simple_tag
def versioned_static(name: str) -> str:
    """``{% versioned_static 'web/base.css' %}``: the file's URL at its digest."""
    return _versioned_static(name)


@register.simple_tag
def js_catalogue() -> SafeString:
    """``{% js_catalogue %}``: the page's language's viewer strings, as a JSON script."""
    return catalogue_script()
