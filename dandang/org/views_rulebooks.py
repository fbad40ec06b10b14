"""The rulebooks page: every shipped rulebook, the version in force for the viewer's organization
and the versions published for it, its ancestors and what the viewer may publish for, each
downloadable as YAML — and a form to publish a new version for one of those organizations.
Thin: reads from :mod:`dandang.core.rulebooks` and the org selectors, writes through
``rulebook_publish_for``.  Only users who may publish a rulebook somewhere see these pages; to
everyone else they do not exist (404).  Deployment-wide versions stay with ``manage.py
rulebook_publish``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from dandang.core.errors import Conflict, NotFound, ValidationFailed
from dandang.core.rulebooks import (
    RulebookError,
    published_rulebook_yaml,
    rulebook_document_read,
    rulebook_effective,
    rulebook_label,
    shipped_rulebook,
    shipped_rulebook_text,
    shipped_rulebooks,
)
from dandang.org.models import Organization
from dandang.org.roles import Cap
from dandang.org.selectors import (
    has_any_capability,
    rulebook_history,
    rulebook_publish_organizations,
    viewer_organization,
)
from dandang.org.services import rulebook_publish_for

EXTENSIONS = (".yaml", ".yml", ".json")
DEFAULT_MAX_BYTES = 1024 * 1024


def max_bytes() -> int:
    return int(getattr(settings, "DANDANG_RULEBOOK_MAX_BYTES", DEFAULT_MAX_BYTES))


class RulebookPublishForm(forms.Form):
    rulebook = forms.ChoiceField(label=_("Rulebook"))
    organization: forms.ModelChoiceField[Organization] = forms.ModelChoiceField(
        label=_("Applies to"),
        queryset=Organization.objects.none(),
        help_text=_("The organization the new version is in force for, and every organization beneath it."),
    )
    file = forms.FileField(
        label=_("Rulebook file"),
        help_text=_(
            "The whole rulebook in YAML (.yaml, .yml) or JSON (.json), UTF-8: download the version in force "
            "above and change it."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)}),
    )
    note = forms.CharField(
        label=_("Why"),
        max_length=2000,
        help_text=_("Why this version is published: the decision or notice it follows."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        books = sorted(shipped_rulebooks().values(), key=lambda b: b.id)
        self.fields["rulebook"].choices = [(b.id, f"{rulebook_label(b.title)} ({b.id})") for b in books]  # type: ignore[attr-defined]
        self.fields["organization"].queryset = rulebook_publish_organizations(viewer)  # type: ignore[attr-defined]
        # Every problem of the document as (key path, message), shown as a table.
        self.problems: list[tuple[str, str]] = []

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith(EXTENSIONS):
            raise forms.ValidationError(_("Only .yaml, .yml and .json files can be published."))
        if upload.size > max_bytes():
            raise forms.ValidationError(
                _("The file is larger than %(limit)s.") % {"limit": filesizeformat(max_bytes())}
            )
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            message = _("The file is not UTF-8 text: save it as UTF-8 and upload it again.")
            raise forms.ValidationError(message) from None
        try:
            self.cleaned_data["document"] = rulebook_document_read(text, filename=upload.name, translated=True)
        except RulebookError as exc:
            self.problems = list(exc.problems)
            raise forms.ValidationError(_("The file is not a readable rulebook.")) from None
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        document = data.get("document")
        chosen = data.get("rulebook")
        if document is not None and chosen:
            found = document.get("id") if isinstance(document, dict) else None
            if found != chosen:
                self.add_error(
                    "file",
                    _("The file is the rulebook %(found)s, not %(chosen)s: choose the right rulebook or file.")
                    % {"found": found or "—", "chosen": chosen},
                )
        return data


def _require_publisher(request: HttpRequest) -> None:
    if not has_any_capability(request.user, Cap.RULEBOOK_PUBLISH):
        raise NotFound(_("Page not found."))


def _books(viewer: Any) -> list[dict[str, Any]]:
    organization = viewer_organization(viewer)
    out = []
    for book in sorted(shipped_rulebooks().values(), key=lambda b: b.id):
        out.append(
            {
                "id": book.id,
                "title": rulebook_label(book.title),
                "shipped": book,
                "effective": rulebook_effective(book.id, organization),
                "versions": rulebook_history(viewer, book.id),
            }
        )
    return out


@login_required
@require_http_methods(["GET", "POST"])
def rulebooks(request: HttpRequest) -> HttpResponse:
    _require_publisher(request)
    viewer: Any = request.user
    htmx = bool(request.headers.get("HX-Request"))
    status = 200
    if request.method == "POST":
        form = RulebookPublishForm(request.POST, request.FILES, viewer=viewer)
        if form.is_valid():
            data = form.cleaned_data
            try:
                row = rulebook_publish_for(
                    actor=viewer,
                    organization=data["organization"],
                    document=data["document"],
                    source_name=data["file"].name or "",
                    note=data["note"],
                )
            except (ValidationFailed, Conflict) as exc:
                form.add_error(None, str(exc.message))
                for key, found in (exc.detail or {}).items():
                    form.problems.extend((key, str(p)) for p in (found if isinstance(found, list) else [found]))
            else:
                messages.success(
                    request,
                    gettext("%(ref)s was published for %(organization)s; it is in force from now on.")
                    % {"ref": row.ref, "organization": data["organization"].name},
                )
                url = reverse("org:rulebooks") + f"#rulebook-{row.rulebook_id}"
                return HttpResponseClientRedirect(url) if htmx else redirect(url)
        status = 422
    else:
        wanted = request.GET.get("rulebook", "")
        form = RulebookPublishForm(viewer=viewer, initial={"rulebook": wanted} if wanted else None)
    context = {"form": form, "problems": form.problems}
    if htmx:
        # htmx swaps the form and its problems in place; it swaps 2xx answers only.
        return render(request, "org/_rulebook_form.html", context)
    context["books"] = _books(viewer)
    context["organization"] = viewer_organization(viewer)
    return render(request, "org/rulebooks.html", context, status=status)


@login_required
@require_GET
def rulebook_download(request: HttpRequest, rulebook_id: str, version: int) -> HttpResponse:
    """A version as YAML: the shipped file as it is, or a published version's content."""
    _require_publisher(request)
    if rulebook_id not in shipped_rulebooks():
        raise NotFound(_("No rulebook is called %(id)s.") % {"id": rulebook_id})
    if version == shipped_rulebook(rulebook_id).version:
        text = shipped_rulebook_text(rulebook_id)
    else:
        row = next((r for r in rulebook_history(request.user, rulebook_id) if r.version == version), None)
        if row is None:
            raise NotFound(_("No such version of this rulebook applies here."))
        text = published_rulebook_yaml(row)
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{rulebook_id}-{version}.yaml"'
    return response
