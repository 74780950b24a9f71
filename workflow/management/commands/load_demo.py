"""`manage.py load_demo`: the demo data set of workflow.demo, loaded idempotently.

`make run` calls it after every migrate: a second run changes nothing and prints the logins again.
It refuses to run with DEBUG off unless --force is given, because it creates a superuser and
other accounts whose password it prints.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from workflow import demo
from workflow.errors import DomainError


class Command(BaseCommand):
    help = (
        "Load the Shanxi demo data (offices, departments, calls, organisations, applications "
        "in every formal-check state, one user per role) and print the demo logins. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even with DEBUG off (creates accounts with a published password).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "load_demo creates accounts with a published password; run it with "
                "DJANGO_DEBUG=1, or pass --force if you really mean it."
            )
        loader = demo.DemoLoader(log=self.stdout.write)
        try:
            result = loader.run()
        except DomainError as exc:
            details = "; ".join(exc.problems)
            raise CommandError(
                f"Loading the demo data failed, nothing was saved: {exc.message} {details}".strip()
            ) from exc

        if result.created:
            made = ", ".join(f"{n} {what}" for what, n in result.created.items())
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded: created {made}."))
        else:
            self.stdout.write(self.style.SUCCESS("Demo data already present: nothing to create."))
        for label in result.skipped:
            self.stdout.write(
                self.style.WARNING(f"Skipped (call no longer open for applications): {label}")
            )

        self.stdout.write("")
        self.stdout.write("榜单 Calls")
        for line in demo.call_table(result.calls):
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(
            "演示账号 Demo logins (initial password; change it if you expose the site)"
        )
        for line in demo.login_table(result.logins):
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(
            "门户 Portal: http://127.0.0.1:8000/   管理后台 Admin: http://127.0.0.1:8000/admin/"
        )
