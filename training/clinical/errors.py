"""The error a clinical rule raises for a missing or impossible input, naming the field."""

from __future__ import annotations

from training.errors import ECGError


class ClinicalInputError(ECGError):
    def __init__(self, field: str, reason: str):
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")
