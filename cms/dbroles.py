"""The two PostgreSQL roles production runs with.

- The owner role owns the database, the schema and every table; it runs
  `manage.py migrate` and nothing else.
- The app role is what the site and the workers connect as: not a superuser,
  owner of nothing, with SELECT, INSERT, UPDATE and DELETE on the tables it
  works with, but on the credit ledger only INSERT and SELECT (and on the
  ledger head no DELETE), so it can neither rewrite the ledger nor switch its
  triggers off (`ALTER TABLE ... DISABLE TRIGGER` needs the owner,
  `session_replication_role` a superuser).

`roles_sql` returns the statements; `manage.py db_roles` runs or prints them.
They are idempotent: run them again after every `migrate` so new tables get
their grants (default privileges cover tables the owner creates later)."""

from __future__ import annotations

import re

LEDGER = "credits_creditrecord"
LEDGER_HEAD = "credits_ledgerhead"
NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def ident(name: str) -> str:
    if not NAME.match(name):
        raise ValueError(f"not a plain role or database name: {name!r}")
    return f'"{name}"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _role(name: str, password: str | None, extra: str) -> list[str]:
    create = (
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
        f"{literal(name)}) THEN CREATE ROLE {ident(name)} LOGIN; END IF; END $$;"
    )
    alter = (
        f"ALTER ROLE {ident(name)} LOGIN NOSUPERUSER NOCREATEROLE NOBYPASSRLS {extra}"
    )
    if password:
        alter += f" PASSWORD {literal(password)}"
    return [create, alter.rstrip() + ";"]


def roles_sql(
    *,
    database: str,
    owner: str,
    app: str,
    owner_password: str | None = None,
    app_password: str | None = None,
    transfer_ownership: bool = True,
    create_owner: bool = True,
) -> list[str]:
    """The statements, for the database they are run in."""
    db, own, ap = ident(database), ident(owner), ident(app)
    statements = []
    if create_owner:
        statements += _role(owner, owner_password, "")
    statements += _role(app, app_password, "NOCREATEDB NOREPLICATION")
    if transfer_ownership:
        statements += [
            f"ALTER DATABASE {db} OWNER TO {own};",
            f"ALTER SCHEMA public OWNER TO {own};",
            # Every table, view and sequence of the schema, and the ledger's
            # trigger function, belong to the owner role.
            # Names are checked by `ident` (plain lowercase identifiers only).
            "DO $$ DECLARE r record; BEGIN "  # noqa: S608
            "FOR r IN SELECT c.relname, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m','S') "
            f"AND pg_get_userbyid(c.relowner) <> {literal(owner)} "
            # A sequence owned by a column moves with its table.
            "AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d "
            "WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid "
            "AND d.deptype IN ('a', 'i'))) LOOP "
            "IF r.relkind = 'S' THEN "
            f"EXECUTE format('ALTER SEQUENCE public.%I OWNER TO %I', r.relname, {literal(owner)}); "
            "ELSE "
            f"EXECUTE format('ALTER TABLE public.%I OWNER TO %I', r.relname, {literal(owner)}); "
            "END IF; END LOOP; END $$;",
            "DO $$ BEGIN IF EXISTS (SELECT FROM pg_proc WHERE proname = "
            "'credits_ledger_append_only') THEN "
            f"ALTER FUNCTION credits_ledger_append_only() OWNER TO {own}; END IF; END $$;",
        ]
    statements += [
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
        f"GRANT CONNECT ON DATABASE {db} TO {ap};",
        f"GRANT USAGE ON SCHEMA public TO {ap};",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ap};",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {ap};",
        f"REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {LEDGER} FROM {ap};",
        f"REVOKE DELETE, TRUNCATE, TRIGGER, REFERENCES ON {LEDGER_HEAD} FROM {ap};",
    ]
    if transfer_ownership:
        statements += [
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {own} IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {ap};",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {own} IN SCHEMA public "
            f"GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {ap};",
        ]
    return statements
