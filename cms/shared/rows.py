"""Model instances from one row of a statement written once per process.

A few hot reads (the signed-in user on every request, a share link's
credential) run a statement built once from the models' metadata instead of
an ORM query compiled per request. What the ORM does after fetching a row is
done here the same way: the fields' own conversions (JSON text to Python, ...)
and `Model.from_db`."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class RowShape:
    """The columns of one or more models in one SELECT, in order."""

    models: tuple
    aliases: tuple[str, ...]
    fields: tuple  # per model: its concrete fields
    converters: tuple  # (column index, column, its converters)

    @classmethod
    def of(cls, *pairs) -> RowShape:
        """`pairs`: (model, table alias in the statement), in column order."""
        fields = tuple(tuple(m._meta.concrete_fields) for m, _ in pairs)
        converters = []
        n = 0
        for model_fields in fields:
            for f in model_fields:
                col = f.get_col(f.model._meta.db_table)
                found = connection.ops.get_db_converters(col) + col.get_db_converters(
                    connection
                )
                if found:
                    converters.append((n, col, found))
                n += 1
        return cls(
            models=tuple(m for m, _ in pairs),
            aliases=tuple(a for _, a in pairs),
            fields=fields,
            converters=tuple(converters),
        )

    @property
    def width(self) -> int:
        return sum(len(f) for f in self.fields)

    def columns(self) -> str:
        """The select list: every model's columns, quoted, by its alias."""
        q = connection.ops.quote_name
        return ", ".join(
            f"{alias}.{q(f.column)}"
            for alias, model_fields in zip(self.aliases, self.fields, strict=True)
            for f in model_fields
        )

    def instances(self, row, db_alias: str, db) -> list:
        """One instance per model from the first `width` values of `row`
        (None for a model whose primary key is NULL: an outer join that found
        nothing), converted as the ORM converts them."""
        values = list(row[: self.width])
        for n, col, found in self.converters:
            for convert in found:
                values[n] = convert(values[n], col, db)
        out, start = [], 0
        for model, model_fields in zip(self.models, self.fields, strict=True):
            part = values[start : start + len(model_fields)]
            start += len(model_fields)
            names = [f.attname for f in model_fields]
            if part[names.index(model._meta.pk.attname)] is None:
                out.append(None)
            else:
                out.append(model.from_db(db_alias, names, part))
        return out
