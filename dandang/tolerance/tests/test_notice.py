"""The exemption notice (免责通报): a PDF in Chinese with the vendored font, only for an exemption,
read through the viewer's scope and logged."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from dandang.core.models import AccessLog
from dandang.testing import pdf_fonts_and_text
from dandang.tolerance.tests.helpers import case_in, today

pytestmark = [pytest.mark.usefixtures("shared_world", "today")]
__all__ = ["today"]


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_the_exemption_notice_is_a_pdf_in_chinese_with_the_vendored_font(world):
    case = case_in(world, "determined")
    # Asked for in English, the notice is in Chinese all the same.
    response = client_for(world.user("cadre_a1"), "en").get(reverse("tolerance:notice_pdf", args=[case.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    families, text = pdf_fonts_and_text(response.content)
    assert "Card SC" in families and families <= {"Card SC", "Card Latin"}
    for char in set("免责通报张伟军" + "农村产权流转交易试点" + "免责情形"):
        assert char in text, char
    assert AccessLog.objects.filter(
        object_type="tolerance_case", object_id=str(case.pk), what="exemption_notice"
    ).exists()


@pytest.mark.parametrize("state", ["applied", "proposed"])
def test_no_notice_before_an_exemption(world, state):
    case = case_in(world, state)
    assert client_for(world.user("staff_a")).get(reverse("tolerance:notice_pdf", args=[case.pk])).status_code == 404


def test_no_notice_for_another_outcome_or_outside_the_jurisdiction(world):
    case = case_in(world, "determined", outcome="lighter")
    assert client_for(world.user("staff_a")).get(reverse("tolerance:notice_pdf", args=[case.pk])).status_code == 404


def test_the_notice_outside_the_jurisdiction_is_404(world):
    case = case_in(world, "determined")
    assert client_for(world.user("staff_b")).get(reverse("tolerance:notice_pdf", args=[case.pk])).status_code == 404
    api = client_for(world.user("staff_a")).get(f"/api/v1/tolerance/cases/{case.pk}/exemption-notice")
    assert api.status_code == 200 and api["Content-Type"] == "application/pdf"
