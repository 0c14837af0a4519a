"""Values a page or an API response shows next to a model instance, attached to it for the template or the
serializer to read: counts, labels, per-row errors. Never saved, never read back by the domain code.

One named helper instead of ad-hoc attribute assignments, so the type checker knows these are deliberate (and
where they are) rather than typos of a field name.
"""

from __future__ import annotations

from typing import Any, TypeVar

Shown = TypeVar("Shown")


def with_display(obj: Shown, **values: Any) -> Shown:
    """`obj`, carrying `values` as attributes for display."""
    vars(obj).update(values)
    return obj
