"""Chinese text renders as glyphs, not as tofu (□): the vendored Noto Sans SC is loaded and used, and
Chinese characters drawn on a Chinese page look different from each other and from a character no
font has — when no font covers them, they all come out as the same empty box."""

from __future__ import annotations

import hashlib

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.postgres_only, pytest.mark.browser]

CHINESE = "担当干部"
NO_GLYPH = "\ue000\ue001"  # private-use characters: no installed or vendored font draws them

PROBE = """() => {
  const probe = document.createElement("span");
  probe.id = "e2e-glyph-probe";
  Object.assign(probe.style, {
    display: "inline-block", width: "64px", height: "64px", fontSize: "48px", lineHeight: "64px",
    textAlign: "center", color: "#000", background: "#fff",
  });
  document.querySelector("main").prepend(probe);
}"""

DRAW = """async (character) => {
  document.getElementById("e2e-glyph-probe").textContent = character;
  await document.fonts.ready;
}"""

VENDORED_FACE_LOADED = """async () => {
  await document.fonts.ready;
  return [...document.fonts].some((face) =>
    face.family.replace(/"/g, "") === "Noto Sans SC" && face.unicodeRange.includes("U+4E00-9FFF")
    && face.status === "loaded");
}"""


def test_chinese_text_renders_with_real_glyphs(page: Page, pytestconfig: pytest.Config) -> None:
    page.goto("/accounts/login/")
    expect(page.locator("h1")).to_contain_text("登录担当系统")
    # One screenshot of the whole Chinese page, kept for a human look (artifacts/ is not in git).
    folder = pytestconfig.rootpath / "artifacts" / "e2e"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / "chinese-login-page.png", full_page=True)

    # The page's Chinese is set in the vendored font, served by the application itself.
    assert page.evaluate(VENDORED_FACE_LOADED), "the vendored Noto Sans SC (Chinese subset) did not load"
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith('"Noto Sans SC"')

    page.evaluate(PROBE)
    probe = page.locator("#e2e-glyph-probe")

    def shot(character: str) -> str:
        """A screenshot of ``character`` alone in the probe, as a digest of its pixels."""
        page.evaluate(DRAW, character)
        return hashlib.sha256(probe.screenshot(animations="disabled")).hexdigest()

    blank = shot(" ")
    tofu = [shot(c) for c in NO_GLYPH]
    # The detector itself: characters without a glyph all look alike (and are not blank).
    assert tofu[0] == tofu[1]
    assert tofu[0] != blank
    chinese = {c: shot(c) for c in CHINESE}
    for character, image in chinese.items():
        assert image not in (tofu[0], blank), f"{character} renders as tofu or not at all"
    assert len(set(chinese.values())) == len(CHINESE), "different characters render alike (tofu)"
