"""PDF rendering with WeasyPrint and the vendored Noto Sans SC (``dandang/static/vendor/noto-sans-sc``),
so that Chinese renders on any server whatever fonts it has (the archive card, the exemption
notice).  A template declares the four faces with ``@font-face`` rules pointing at the ``fonts``
URIs it is given (``latin_400``, ``latin_700``, ``sc_400``, ``sc_700``)."""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

FONT_FILES = {
    ("sc", 400): "vendor/noto-sans-sc/files/noto-sans-sc-chinese-simplified-400-normal.woff2",
    ("sc", 700): "vendor/noto-sans-sc/files/noto-sans-sc-chinese-simplified-700-normal.woff2",
    ("latin", 400): "vendor/noto-sans-sc/files/noto-sans-sc-latin-400-normal.woff2",
    ("latin", 700): "vendor/noto-sans-sc/files/noto-sans-sc-latin-700-normal.woff2",
}


def font_uri(relative: str) -> str:
    found = finders.find(relative)
    if not found:
        raise FileNotFoundError(relative)
    return Path(str(found)).resolve().as_uri()


def font_uris() -> dict[str, str]:
    """The fonts a PDF template declares, by ``<face>_<weight>``."""
    return {f"{face}_{weight}": font_uri(path) for (face, weight), path in FONT_FILES.items()}


@functools.cache
def _font_files() -> dict[str, bytes]:
    """The vendored WOFF2 files decoded to OpenType once per process, by their ``file:`` URI.
    WeasyPrint would otherwise decode them on every document: seconds for the Chinese subsets."""
    from fontTools.ttLib import woff2

    decoded: dict[str, bytes] = {}
    for path in FONT_FILES.values():
        uri = font_uri(path)
        out = io.BytesIO()
        with Path(str(finders.find(path))).open("rb") as woff:
            woff2.decompress(woff, out)
        decoded[uri] = out.getvalue()
    return decoded


def _url_fetcher() -> Any:
    """WeasyPrint's fetcher, serving the fonts already decoded."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    fonts = _font_files()

    class FontFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url in fonts:
                return URLFetcherResponse(url, fonts[url], {"Content-Type": "font/otf"})
            return super().fetch(url, headers)

    return FontFetcher()


def pdf_render(template: str, context: dict[str, Any]) -> bytes:
    """``template`` rendered with ``context`` (and ``fonts``) as a PDF."""
    from weasyprint import HTML  # heavy: loaded when a document is printed

    html = render_to_string(template, {**context, "fonts": font_uris()})
    return HTML(
        string=html,
        base_url=str(Path(str(finders.find("css/dandang.css") or ".")).parent),
        url_fetcher=_url_fetcher(),
    ).write_pdf()
