"""Every feature's library tables, for operations on a whole library (server setup, copy between backends).

The features own their schemas (``annotations.schema``, ``pe.store``, ``jobs.history``,
``studies.schema``); this list is the one place that knows all of them, parents before children.
"""

from __future__ import annotations

from ecgstudio.store import AUDIT_SCHEMA, Schema


def library_schemas() -> tuple[Schema, ...]:
    from ecgstudio.annotations.schema import ANNOTATION_SCHEMA
    from ecgstudio.jobs.history import JOBS_SCHEMA
    from ecgstudio.pe.store import PE_SCHEMA
    from ecgstudio.studies.store import STUDY_SCHEMA

    return (AUDIT_SCHEMA, ANNOTATION_SCHEMA, PE_SCHEMA, JOBS_SCHEMA, STUDY_SCHEMA)
