"""Frozen value types that are cheap to make.

A frozen dataclass's generated ``__init__`` sets each field with
``object.__setattr__(self, name, value)``: a generic attribute lookup by name per field,
which costs more than everything else its construction does.  :func:`quick_init` gives
such a class an ``__init__`` with the same signature that sets each slot through the slot
itself.  The class stays what it was: frozen, with slots, the same equality, hash, repr
and ``dataclasses.replace``.  Used on the types a send or a dispatch makes per message.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

__all__ = ["quick_init"]

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Replace the ``__init__`` of a frozen dataclass with slots by a faster equivalent.

    Only plain fields are supported (positional-or-keyword, with or without a default);
    anything else is refused when the class is defined.
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not a frozen dataclass with slots")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has __post_init__")
    namespace: dict[str, Any] = {}
    signature: list[str] = []
    body: list[str] = []
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        name = field.name
        if not field.init or field.kw_only or field.default_factory is not dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{name} is not a plain field")
        if field.default is dataclasses.MISSING:
            signature.append(name)
        else:
            namespace[f"_d_{name}"] = field.default
            signature.append(f"{name}=_d_{name}")
        namespace[f"_s_{name}"] = cls.__dict__[name].__set__  # the slot's own setter
        body.append(f"    _s_{name}(self, {name})")
    source = f"def __init__(self, {', '.join(signature)}):\n" + "\n".join(body or ["    pass"])
    exec(source, namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
