"""The record library: every record under a folder, listed from its header, filterable."""

from ecgstudio.library.panel import LibraryPanel
from ecgstudio.library.scan import LibraryEntry, record_key

__all__ = ["LibraryEntry", "LibraryPanel", "record_key"]
