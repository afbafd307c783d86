"""Records, label maps and datasets."""

from training.data.readers import read_header, read_record
from training.data.record import STANDARD_LEADS, Record, RecordInfo, canonical_lead_name

__all__ = ["Record", "RecordInfo", "STANDARD_LEADS", "canonical_lead_name", "read_header", "read_record"]
