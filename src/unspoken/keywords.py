"""Flat keyword arguments from options objects, and old argument names for one release.

:func:`spread_options` lets a public function keep its flat keyword arguments (``n=``,
``alpha=``, ``share=`` …) while its body receives the frozen options objects built from them
once (validated in their ``__post_init__``): the arguments are written once, as the
dataclass's fields, and the public signature (``help()``, ``inspect.signature``) is made from
them, so no signature is copied by hand into a second function.

:func:`old_names` accepts an argument's old name for one release with a
:class:`DeprecationWarning` (through :func:`unspoken.options.renamed`); the old name is not
in the signature.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import MISSING, fields
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["old_names", "spread_options"]


def _field_parameters(cls: type, taken: set[str]) -> list[inspect.Parameter]:
    out = []
    for f in fields(cls):
        if f.name in taken or not f.init:
            continue
        default = f.default if f.default is not MISSING else inspect.Parameter.empty
        out.append(
            inspect.Parameter(
                f.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=f.type
            )
        )
    return out


def spread_options(**groups: type) -> Callable[[F], F]:
    """Decorate ``func(..., *, name: Options)``: its public signature has the fields of each
    options class ``groups[name]`` as keyword-only arguments (a field that is also one of
    ``func``'s own arguments, such as ``J``, is given to both); a call builds each options
    object once from them and passes it as ``name``. A caller holding a built object may
    pass it as ``name=`` instead (its fields given separately are then ignored)."""

    def deco(func: F) -> F:
        own = [p for p in inspect.signature(func).parameters.values() if p.name not in groups]
        taken = {p.name for p in own}
        added: list[inspect.Parameter] = []
        for cls in groups.values():
            new = _field_parameters(cls, taken)
            taken |= {p.name for p in new}
            added += new
        tail = [p for p in own if p.kind == inspect.Parameter.VAR_KEYWORD]
        head = [p for p in own if p.kind != inspect.Parameter.VAR_KEYWORD]
        public = inspect.signature(func).replace(parameters=[*head, *added, *tail])
        names = {key: [f.name for f in fields(cls) if f.init] for key, cls in groups.items()}

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ready = {k: kwargs.pop(k) for k in groups if isinstance(kwargs.get(k), groups[k])}
            bound = (public.bind_partial if ready else public.bind)(*args, **kwargs)
            bound.apply_defaults()
            given = dict(bound.arguments)
            extra = given.pop(tail[0].name, {}) if tail else {}
            built = {
                k: ready[k] if k in ready else groups[k](**{n: given[n] for n in names[k]})
                for k in groups
            }
            mine = {p.name: given[p.name] for p in head if p.name in given}
            return func(**mine, **built, **extra)

        wrapper.__signature__ = public  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return deco


def old_names(**renames: str) -> Callable[[F], F]:
    """Accept ``old=`` for ``renames[old]`` with a :class:`DeprecationWarning` (one
    release); the old name stays out of the signature."""

    def deco(func: F) -> F:
        sig = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from unspoken.options import renamed

            for old, new in renames.items():
                if old in kwargs:
                    default = sig.parameters[new].default
                    value = kwargs.pop(old)
                    kwargs[new] = renamed(value, kwargs.get(new, default), old, new, default)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return deco
