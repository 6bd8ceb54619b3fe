"""Typed variant options (``model.options``): one small pydantic model per registered variant.

A variant declares its options as a subclass of :class:`VariantOptions` beside its
objective and registers it with ``register_model(..., options=...)``; every default is
declared there, once. In YAML ``model.options`` stays a mapping: :func:`parse_options`
checks it (an unknown key gets a did-you-mean, a value its type and range) and returns
the typed instance the model reads (``self.options.code_weight``). The model table,
``vaelab models`` and :func:`~vaelab.models.describe_options` read names, defaults and
help from the same class.
"""

from __future__ import annotations

import types
import typing
import warnings
from typing import Any, ClassVar, Literal, Mapping, Union

from pydantic import BaseModel, ConfigDict, ValidationError

from vaelab.errors import ConfigError, did_you_mean, format_validation_error


class VariantOptions(BaseModel):
    """A variant's options: typed fields with defaults and a ``description`` each; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: old option names and the current names they are read as: config.yaml files written
    #: before a rename keep loading (and evaluate to the same values)
    renamed: ClassVar[dict[str, str]] = {}
    #: options added after runs were saved, with the value that reproduces those runs: a saved
    #: config.yaml records every option it knew, so one that lacks a key predates it and
    #: is read with this value, not the (possibly different) default of today
    legacy: ClassVar[dict[str, Any]] = {}


def rename_legacy(options_cls: type[VariantOptions], options: Mapping, model: str, *, warn: bool = True) -> dict:
    """``options`` with every old name of ``options_cls.renamed`` replaced by its current name.

    ``warn`` issues a FutureWarning naming the new key (off for a saved run's config.yaml,
    which the user does not write). Both names at once is a ConfigError.
    """
    out = dict(options)
    for old, new in options_cls.renamed.items():
        if old not in out:
            continue
        if new in out:
            raise ConfigError(f"model '{model}': model.options.{old} is the old name of model.options.{new}; "
                              f"give {new} only")
        out[new] = out.pop(old)
        if warn:
            what = options_cls.model_fields[new].description
            warnings.warn(f"model '{model}': model.options.{old} is now model.options.{new}, the {what}; "
                          f"read as {new}={out[new]!r}", FutureWarning, stacklevel=2)
    return out


def fill_legacy(options_cls: type[VariantOptions], options: Mapping) -> dict:
    """A saved run's ``options`` with every option it predates (``options_cls.legacy``) at its old value."""
    return {**{k: v for k, v in options_cls.legacy.items() if k not in options}, **options}


def parse_options(options_cls: type[VariantOptions], options: Mapping | None, model: str, *,
                  warn: bool = True) -> VariantOptions:
    """Validate a ``model.options`` mapping into ``options_cls``; problems are one-line ConfigErrors."""
    if options is None:
        options = {}
    if isinstance(options, VariantOptions):
        options = options.model_dump()
    if not isinstance(options, Mapping):
        raise ConfigError(f"config key 'model.options' must be a mapping of option names to values, "
                          f"got {type(options).__name__}")
    options = rename_legacy(options_cls, options, model, warn=warn)
    fields = options_cls.model_fields
    for key in options:
        if key not in fields:
            valid = ", ".join(fields) or "none"
            beta = " The KL weight beta is kl_schedule.end (--beta)." if key == "beta" else ""
            raise ConfigError(f"unknown config key 'model.options.{key}' for model '{model}'."
                              f"{did_you_mean(str(key), fields)}{beta} Valid options: {valid} (see `vaelab models`)")
    try:
        return options_cls.model_validate(options)
    except ValidationError as err:
        raise ConfigError(f"model '{model}': " + format_validation_error(err, prefix="model.options.")) from None


def option_rows(options_cls: type[VariantOptions], defaults: Mapping | None = None) -> list[dict[str, Any]]:
    """One row per option: ``name``, ``default`` (``defaults`` override the declared ones), ``type``, ``help``."""
    defaults = dict(defaults or {})
    rows = []
    for name, field in options_cls.model_fields.items():
        default = defaults[name] if name in defaults else field.get_default(call_default_factory=True)
        rows.append({"name": name, "default": default, "type": type_text(field.annotation, field.metadata),
                     "help": field.description or ""})
    return rows


def type_text(annotation, metadata=()) -> str:
    """A short reading of a field's type: ``one of sum, frobenius``, ``a number >= 0``, ``a list of numbers > 0``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    bounds = "".join(_bound_text(m) for m in metadata)
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in args)
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        text = " or ".join(type_text(a, metadata) for a in inner)
        return f"{text}, or null" if len(inner) < len(args) else text
    if origin in (list, tuple):
        return f"a list of {_plural(type_text(args[0]) if args else 'values')}{bounds}"
    if annotation is bool:
        return "true or false"
    names = {int: "an integer", float: "a number", str: "a string"}
    base = names.get(annotation) or _constrained(annotation) or getattr(annotation, "__name__", str(annotation))
    return base + bounds


def _constrained(annotation) -> str:
    """PositiveInt, PositiveFloat and friends (Annotated types): the base name and the bound."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Annotated and args:
        return type_text(args[0], args[1:])
    return ""


def _bound_text(meta) -> str:
    for attr, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
        value = getattr(meta, attr, None)
        if value is not None:
            return f" {sign} {value:g}" if isinstance(value, (int, float)) else f" {sign} {value}"
    if getattr(meta, "min_length", None):
        return f" (at least {meta.min_length})"
    if getattr(meta, "allow_inf_nan", None) is False:
        return " (finite)"
    return ""


def _plural(text: str) -> str:
    """``a number > 0`` -> ``numbers > 0``; other readings are kept in parentheses."""
    if not text.startswith(("a ", "an ")):
        return f"values ({text})"
    head, _, rest = text.partition(" ")[2].partition(" ")
    return f"{head}s {rest}".strip()
