from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from audiences.provisioning import ProvisionRefused, provision


class Command(BaseCommand):
    help = (
        "Create an account, workspace, inputs and optionally a person, if missing, and print one JSON "
        "object with the ids, each new input's key and secret, and a Platform API token."
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True)
        parser.add_argument("--workspace", required=True)
        parser.add_argument("--input", action="append", default=[], metavar="NAME:PLATFORM", dest="inputs")
        parser.add_argument("--user", metavar="EMAIL")
        parser.add_argument("--role", default="admin")
        parser.add_argument("--rotate", action="store_true", help="Also print new secrets for inputs that existed.")
        parser.add_argument("--no-token", action="store_true", help="Do not create a Platform API token.")

    def handle(self, *args, **options):
        try:
            result = provision(
                account=options["account"],
                workspace=options["workspace"],
                inputs=options["inputs"],
                user_email=options["user"],
                role=options["role"],
                rotate=options["rotate"],
                token=not options["no_token"],
            )
        except ProvisionRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(result.as_json(), indent=2))
