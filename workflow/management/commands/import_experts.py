"""Import an expert sheet (.xlsx) into the pool from the command line, printing the row report.

The import acts for a named office-staff user, who is recorded in the audit trail like any
import through the portal. Good rows are saved even when others are bad; the command then exits
non-zero so that a script notices the rows left out.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from workflow.errors import DomainError
from workflow.services.experts import IMPORT_MAX_BYTES, experts_import


class Command(BaseCommand):
    help = "Import experts from an .xlsx sheet with the columns of the pool export."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx file")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="username of the office-staff member the import is recorded for",
        )

    def handle(self, *args, path, username, **options):
        # Messages come in the active language: settings.LANGUAGE_CODE (Chinese) from a shell.
        path = Path(path)
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(_("No user named “%(name)s”.") % {"name": username}) from exc
        try:
            with path.open("rb") as handle:
                data = handle.read(IMPORT_MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        try:
            report = experts_import(workbook_bytes=data, by=user)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

        for outcome, label in (
            (report.created, _("added")),
            (report.updated, _("updated")),
            (report.unchanged, _("unchanged")),
        ):
            for row in outcome:
                self.stdout.write(
                    _("Row %(row)d (%(name)s): %(outcome)s")
                    % {"row": row.row, "name": row.name, "outcome": label}
                )
        for row in report.warnings:
            for problem in row.problems:
                self.stdout.write(
                    self.style.WARNING(
                        _("Row %(row)d (%(name)s): %(problem)s")
                        % {"row": row.row, "name": row.name, "problem": problem}
                    )
                )
        for row in report.errors:
            for problem in row.problems:
                self.stderr.write(
                    _("Row %(row)d (%(name)s): %(problem)s")
                    % {"row": row.row, "name": row.name, "problem": problem}
                )
        summary = _(
            "%(created)d added, %(updated)d updated, %(unchanged)d unchanged, "
            "%(errors)d rows not imported."
        ) % {
            "created": len(report.created),
            "updated": len(report.updated),
            "unchanged": len(report.unchanged),
            "errors": len(report.errors),
        }
        if report.errors:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
