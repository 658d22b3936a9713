"""Create (or bring up to date) the owner and app PostgreSQL roles of
cms/dbroles.py in the current database. Run it as a superuser (the postgres
role) once, and again after every `migrate`; `--print` writes the SQL instead
(for a DBA to run with psql)."""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from cms.dbroles import roles_sql


class Command(BaseCommand):
    help = "Create the owner (migrate) and app (site, workers) PostgreSQL roles."

    def add_arguments(self, parser):
        parser.add_argument("--owner", default="tdl_owner")
        parser.add_argument("--app", default="tdl_app")
        parser.add_argument(
            "--database", default=None, help="defaults to the configured database"
        )
        parser.add_argument("--print", action="store_true", dest="print_only")

    def handle(self, *args, owner, app, database, print_only, **options):
        if connection.vendor != "postgresql":
            raise CommandError("db_roles is for PostgreSQL.")
        database = database or connection.settings_dict["NAME"]
        try:
            statements = roles_sql(
                database=database,
                owner=owner,
                app=app,
                owner_password=os.environ.get("DB_OWNER_PASSWORD") or None,
                app_password=os.environ.get("DB_APP_PASSWORD") or None,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if print_only:
            self.stdout.write("\n".join(statements))
            return
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(
            self.style.SUCCESS(
                f"db_roles: {owner} owns {database} (run migrate as it); "
                f"{app} may read and write, and only append to the ledger "
                "(connect the site and workers as it)."
            )
        )
        if not os.environ.get("DB_APP_PASSWORD"):
            self.stdout.write(
                "No DB_APP_PASSWORD/DB_OWNER_PASSWORD given: the roles have no "
                "password (fine for local peer/trust logins only)."
            )
