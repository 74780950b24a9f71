"""Walk the audit chain: print how many events verified and the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from workflow.audit import verify_database


class Command(BaseCommand):
    help = "Verify the hash chain of the audit trail; exit non-zero on any break."

    def add_arguments(self, parser):
        parser.add_argument(
            "--expect-head",
            metavar="HASH",
            help="the head hash recorded outside the database (e.g. in the last filed report)",
        )

    def handle(self, *args, expect_head=None, **options):
        report = verify_database()
        self.stdout.write(f"verified {report.verified}")
        if not report.ok:
            raise CommandError(f"broken at #{report.broken_at}: {report.problem}")
        if expect_head and expect_head != report.head_hash:
            raise CommandError(
                f"head hash {report.head_hash} differs from the expected {expect_head}"
            )
        self.stdout.write(f"head {report.head_hash}")
        self.stdout.write(self.style.SUCCESS("OK"))
