"""Cheap construction of frozen slots dataclasses on hot paths.

A frozen dataclass's `__init__` stores each field through `object.__setattr__`, which costs about
three times a plain attribute store: for the small result objects built once per scored item
(several per rollout) that is a measurable share of a whole check. `fast_constructor(cls)`
returns a function with the same positional signature that fills a mutable twin class with the
same slots and then switches the object's class to `cls` (allowed between heap types of the same
layout). The result is an ordinary, immutable `cls` instance: equality, hashing, pickling and
`dataclasses` functions see no difference.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_MISSING = object()


def fast_constructor(cls: type[T], name: str, module: str) -> Callable[..., T]:
    """`cls(*fields)` for a frozen slots dataclass, without the frozen `__setattr__` detour.

    Arguments are positional or by name, in field order; fields with defaults may be left out.
    Bind the result to `name` in `module`: it then pickles by reference, so a `__reduce__` can
    return it and unpickling takes the fast path too."""
    fields = [f for f in dataclasses.fields(cls) if f.init]  # type: ignore[arg-type]
    slots = getattr(cls, "__slots__", None)
    if slots is None or tuple(slots) != tuple(f.name for f in fields):
        raise TypeError(f"{cls.__name__} must be a slots dataclass whose fields are its slots")
    if hasattr(cls, "__post_init__") or any(f.kw_only for f in fields):
        raise TypeError(f"{cls.__name__}: __post_init__ and keyword-only fields are not supported")
    names = {f.name for f in fields}
    if names & {"_new", "_Twin", "_cls", "_missing"}:
        raise TypeError(f"{cls.__name__}: a field name clashes with the generated code's globals")
    obj = "_obj"
    while obj in names:  # the generated local must not shadow a field
        obj += "_"
    defaults: dict[str, Any] = {}
    params: list[str] = []
    body: list[str] = []
    for f in fields:
        if f.default is not dataclasses.MISSING:
            defaults[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            defaults[f"_f_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_missing")
            body.append(f"    if {f.name} is _missing:\n        {f.name} = _f_{f.name}()\n")
        else:
            params.append(f.name)
    body += [f"    {obj}.{f.name} = {f.name}\n" for f in fields]
    source = (
        f"def build({', '.join(params)}):\n"
        f"    {obj} = _new(_Twin)\n{''.join(body)}"
        f"    {obj}.__class__ = _cls\n"
        f"    return {obj}\n"
    )
    twin = type(f"_{cls.__name__}Building", (), {"__slots__": tuple(slots)})
    namespace: dict[str, Any] = {
        "_new": object.__new__,
        "_Twin": twin,
        "_cls": cls,
        "_missing": _MISSING,
        **defaults,
    }
    exec(source, namespace)  # source built from the dataclass's own field names
    build = namespace["build"]
    build.__doc__ = f"`{cls.__name__}(...)`, built without the frozen dataclass __init__."
    build.__qualname__ = build.__name__ = name
    build.__module__ = module
    return build
