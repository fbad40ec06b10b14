"""InlineSelect renders what Django's Select renders (its templates), without the per-option include."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.utils.translation import gettext_lazy as lazy_label

from dandang.core.widgets import InlineSelect

# lazy_label: a lazy group label that makemessages does not extract (test data, not a string a person reads).
CHOICES = [
    ("", "— any —"),
    ("economic", "经济发展"),
    ("<script>", 'a "quoted" & <b>bold</b> label'),
    (lazy_label("Group"), [("g1", "第一"), ("g2", "第二")]),
    (3, "Q3"),
]


@pytest.mark.parametrize("value", [None, "", "economic", "<script>", "g2", 3, "3", "missing"])
@pytest.mark.parametrize("attrs", [None, {"id": "id_f", "class": "wide", "disabled": True, "data-x": False}])
def test_inline_select_matches_django_select(value: object, attrs: dict[str, object] | None) -> None:
    expected = forms.Select(choices=CHOICES).render("f", value, attrs=attrs)
    # The same markup; Django's templates only add white space between the tags.
    assert InlineSelect(choices=CHOICES).render("f", value, attrs=attrs) == re.sub(r">\s+<", "><", expected)


def test_inline_select_in_a_form_keeps_the_selection_and_escapes() -> None:
    class F(forms.Form):
        f = forms.ChoiceField(choices=CHOICES, required=False, widget=InlineSelect)

    html = str(F({"f": "<script>"})["f"])
    assert (
        '<option value="&lt;script&gt;" selected>a &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt; label</option>'
        in html
    )
    assert "<script>" not in html
    assert html.count("selected") == 1
