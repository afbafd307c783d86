"""The library database shared by every feature that keeps data (annotations, PE scores, job history)."""

from ecgstudio.store.audit import AUDIT_SCHEMA, AuditEntry, append_audit, audit_history
from ecgstudio.store.db import Database, Migration, Schema, utc_now
from ecgstudio.store.errors import LibraryError
from ecgstudio.store.files import atomic_output

__all__ = ["AUDIT_SCHEMA", "AuditEntry", "Database", "LibraryError", "Migration", "Schema", "append_audit",
           "atomic_output", "audit_history", "utc_now"]
