"""Roles (DESIGN.md "Jurisdiction") and what each may do.

A capability is granted through a role held over an organization; the selectors turn the
viewer's grants for a capability into a jurisdiction filter.  Later capabilities add their own
entries to :data:`CAPABILITIES`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ORG_STAFF = "org_staff", _("Organization department staff")
    COMMITTEE_MEMBER = "committee_member", _("Assessment committee member")
    DISCIPLINE = "discipline", _("Discipline inspection")
    UNIT_LEADER = "unit_leader", _("Unit leader")
    CADRE = "cadre", _("Cadre (self)")
    PARTY_OFFICE = "party_office", _("Party office (burden office)")
    ISSUING_DEPARTMENT = "issuing_department", _("Issuing department")
    GRASSROOTS_REPORTER = "grassroots_reporter", _("Grassroots reporter")
    TASK_COMMANDER = "task_commander", _("Task commander")
    ASSESSMENT_TEAM = "assessment_team", _("Assessment team member")
    CARE_OFFICER = "care_officer", _("Care officer")
    COUNTY_LEADER = "county_leader", _("County leader (read-only overview)")
    AUDITOR = "auditor", _("Auditor (read-only)")
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")


class Cap:
    ORG_VIEW = "org.view"
    ORG_WRITE = "org.write"
    CADRE_VIEW = "cadre.view"
    CADRE_VIEW_ID_NUMBER = "cadre.view_id_number"
    CADRE_WRITE = "cadre.write"
    ROSTER_IMPORT = "roster.import"
    GRANT_VIEW = "grant.view"
    GRANT_WRITE = "grant.write"
    AUDIT_VIEW = "audit.view"
    RULEBOOK_PUBLISH = "rulebook.publish"
    # Performance archive (issue 4).  A cadre reads and records their own entries without a grant.
    ARCHIVE_VIEW = "archive.view"
    ARCHIVE_RECORD = "archive.record"  # record an entry for a cadre of the jurisdiction
    ARCHIVE_RECORD_NEGATIVE = "archive.record_negative"
    ARCHIVE_VERIFY = "archive.verify"
    ARCHIVE_FLAGS_VIEW = "archive.flags_view"
    ARCHIVE_REVOKE = "archive.revoke"
    ARCHIVE_IMPORT = "archive.import"
    # Name clearing 澄清正名 (issue 5 point 7).  "谁核实、谁澄清": discipline inspection, the body that
    # verifies reports, records the finding and clears; the organization department may propose a
    # case and reads them; a cadre reads their own cleared allegations without a grant.
    CLEARING_VIEW = "clearing.view"
    CLEARING_PROPOSE = "clearing.propose"
    CLEARING_VERIFY = "clearing.verify"
    CLEARING_DECIDE = "clearing.decide"
    # Error tolerance and correction (issue 5).  A cadre applies and reads their own cases without a
    # grant.  "谁追责问责，谁负责容错": the bodies that hold to account handle and decide.
    TOLERANCE_VIEW = "tolerance.view"
    TOLERANCE_HANDLE = "tolerance.handle"  # accept, investigate, propose, open ex officio, correct
    TOLERANCE_DECIDE = "tolerance.decide"  # determine (never the person who proposed)


_READ_ROLES = {
    Role.ORG_STAFF,
    Role.COMMITTEE_MEMBER,
    Role.DISCIPLINE,
    Role.UNIT_LEADER,
    Role.COUNTY_LEADER,
    Role.AUDITOR,
    Role.CARE_OFFICER,
    Role.TASK_COMMANDER,
    Role.ASSESSMENT_TEAM,
}

CAPABILITIES: dict[str, frozenset[str]] = {
    Cap.ORG_VIEW: frozenset(
        _READ_ROLES
        | {
            Role.PARTY_OFFICE,
            Role.ISSUING_DEPARTMENT,
            Role.GRASSROOTS_REPORTER,
            Role.SECURITY_ADMIN,
            Role.SYSTEM_ADMIN,
        }
    ),
    Cap.ORG_WRITE: frozenset({Role.ORG_STAFF}),
    Cap.CADRE_VIEW: frozenset(_READ_ROLES),
    # National ID numbers are shown unmasked to organization-department staff only.
    Cap.CADRE_VIEW_ID_NUMBER: frozenset({Role.ORG_STAFF}),
    Cap.CADRE_WRITE: frozenset({Role.ORG_STAFF}),
    Cap.ROSTER_IMPORT: frozenset({Role.ORG_STAFF}),
    Cap.GRANT_VIEW: frozenset({Role.ORG_STAFF, Role.SECURITY_ADMIN, Role.AUDITOR}),
    Cap.GRANT_WRITE: frozenset({Role.ORG_STAFF, Role.SECURITY_ADMIN}),
    Cap.AUDIT_VIEW: frozenset({Role.AUDITOR, Role.AUDIT_ADMIN}),
    Cap.RULEBOOK_PUBLISH: frozenset({Role.ORG_STAFF}),
    Cap.ARCHIVE_VIEW: frozenset(_READ_ROLES),
    Cap.ARCHIVE_RECORD: frozenset({Role.ORG_STAFF, Role.UNIT_LEADER}),
    # Negative entries: the unit leader, the organization department or discipline inspection
    # (and the cadre, about themself).
    Cap.ARCHIVE_RECORD_NEGATIVE: frozenset({Role.ORG_STAFF, Role.UNIT_LEADER, Role.DISCIPLINE}),
    Cap.ARCHIVE_VERIFY: frozenset({Role.ORG_STAFF, Role.UNIT_LEADER}),
    # The guard's flags are shown to verifiers and organization-department staff.
    Cap.ARCHIVE_FLAGS_VIEW: frozenset({Role.ORG_STAFF, Role.UNIT_LEADER, Role.DISCIPLINE, Role.COMMITTEE_MEMBER}),
    # A verified entry found false later is revoked by the organization department.
    Cap.ARCHIVE_REVOKE: frozenset({Role.ORG_STAFF}),
    Cap.ARCHIVE_IMPORT: frozenset({Role.ORG_STAFF}),
    Cap.CLEARING_VIEW: frozenset({Role.DISCIPLINE, Role.ORG_STAFF, Role.AUDITOR}),
    Cap.CLEARING_PROPOSE: frozenset({Role.DISCIPLINE, Role.ORG_STAFF}),
    Cap.CLEARING_VERIFY: frozenset({Role.DISCIPLINE}),
    Cap.CLEARING_DECIDE: frozenset({Role.DISCIPLINE}),
    # Case files of possible accountability: the deciding bodies, the cadre's Party organization
    # (the unit leader), the assessment committee, the county leader and the auditor.
    Cap.TOLERANCE_VIEW: frozenset(
        {Role.ORG_STAFF, Role.DISCIPLINE, Role.UNIT_LEADER, Role.COMMITTEE_MEMBER, Role.COUNTY_LEADER, Role.AUDITOR}
    ),
    Cap.TOLERANCE_HANDLE: frozenset({Role.ORG_STAFF, Role.DISCIPLINE}),
    Cap.TOLERANCE_DECIDE: frozenset({Role.ORG_STAFF, Role.DISCIPLINE}),
}


def roles_with(capability: str) -> frozenset[str]:
    return CAPABILITIES.get(capability, frozenset())
