"""The terminal's tables: text that does not fit is folded onto the next line, never cut with
an ellipsis (a clipped identifier or diagnosis name would mislead)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

__all__ = ["FoldingTable"]


class FoldingTable(Table):
    """A Rich table whose columns fold long words instead of ending them with '…'."""

    def add_column(self, *args: Any, overflow: Any = "fold", **kwargs: Any) -> None:
        super().add_column(*args, overflow=overflow, **kwargs)
