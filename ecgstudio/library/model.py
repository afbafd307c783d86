"""The library table (one row per record) and its text/diagnosis filter."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor

from ecgstudio.library.query import parse_query
from ecgstudio.library.scan import LibraryEntry
from ecgstudio.plot.time_axis import duration_text

COLUMNS = ("Record", "Dataset", "Hz", "Duration", "Leads", "Diagnosis", "Annotations")
RECORD, DATASET, FS, DURATION, LEADS, DIAGNOSIS, ANNOTATIONS = range(len(COLUMNS))
ERROR_INK = QColor(180, 30, 30)
#: The annotation store's record statuses as the list says them ("none" is said by nothing).
STATUS_WORDS = {"none": "", "labelled": "annotated", "confirmed": "✔ signed"}
#: Role under which each row's :class:`LibraryEntry` is found.
ENTRY_ROLE = Qt.UserRole
#: Role giving a value that sorts naturally (numbers as numbers).
SORT_ROLE = Qt.UserRole + 1

_Index = QModelIndex | QPersistentModelIndex


class LibraryModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.entries: list[LibraryEntry] = []
        self._row_of: dict[str, int] = {}
        self._status: dict[str, str] = {}
        self._errors: dict[str, str] = {}

    # ------------------------------------------------------------ editing
    def clear(self) -> None:
        self.beginResetModel()
        self.entries, self._row_of, self._errors = [], {}, {}
        self.endResetModel()

    def append(self, entries: list[LibraryEntry]) -> None:
        if not entries:
            return
        first = len(self.entries)
        self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
        for entry in entries:
            self._row_of[entry.key] = len(self.entries)
            self.entries.append(entry)
        self.endInsertRows()

    def set_annotation_status(self, key: str, text: str) -> None:
        """Annotation hook: what the annotation store says about a record ("3 marks", "reviewed"...).
        Kept across rescans, so it may be set before the record is listed."""
        self._status[key] = text
        self._changed(key, ANNOTATIONS, ANNOTATIONS)

    def mark_error(self, key: str, reason: str) -> None:
        """A record whose header listed fine but whose samples failed to load."""
        self._errors[key] = reason
        self._changed(key, RECORD, len(COLUMNS) - 1)

    def error_of(self, entry: LibraryEntry) -> str | None:
        return entry.error or self._errors.get(entry.key)

    def row_of(self, key: str) -> int | None:
        return self._row_of.get(key)

    def _changed(self, key: str, first: int, last: int) -> None:
        row = self._row_of.get(key)
        if row is not None:
            self.dataChanged.emit(self.index(row, first), self.index(row, last))

    # ------------------------------------------------------------ model API
    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.DisplayRole):
        if not index.isValid():
            return None
        entry = self.entries[index.row()]
        column = index.column()
        if role == ENTRY_ROLE:
            return entry
        error = self.error_of(entry)
        if role == Qt.ForegroundRole and error:
            return ERROR_INK
        if role == Qt.ToolTipRole:
            return self._tooltip(entry, error)
        if role == SORT_ROLE:
            return self._sort_value(entry, column)
        if role == Qt.DisplayRole:
            return self._text(entry, column, error)
        if role == Qt.TextAlignmentRole and column in (FS, DURATION, LEADS):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

    def _text(self, entry: LibraryEntry, column: int, error: str | None) -> str:
        info = entry.info
        if column == RECORD:
            return f"⚠ {entry.name}" if error else entry.name
        if column == DATASET:
            return entry.dataset
        if column == DIAGNOSIS:
            return f"cannot open: {error}" if error else "; ".join(entry.diagnoses)
        if column == ANNOTATIONS:
            status = self._status.get(entry.key, "")
            return STATUS_WORDS.get(status, status)
        if info is None:
            return ""
        if column == FS:
            return f"{info.fs:g}"
        if column == DURATION:
            return duration_text(info.duration)
        return str(info.n_leads)

    def _sort_value(self, entry: LibraryEntry, column: int):
        info = entry.info
        if column == FS:
            return info.fs if info else -1.0
        if column == DURATION:
            return info.duration if info else -1.0
        if column == LEADS:
            return info.n_leads if info else -1
        return self._text(entry, column, self.error_of(entry)).lower()

    @staticmethod
    def _tooltip(entry: LibraryEntry, error: str | None) -> str:
        lines = [str(entry.path)]
        if error:
            lines.append(f"Cannot open: {error}")
        if entry.info is not None:
            lines.append("Leads: " + ", ".join(entry.info.leads))
        lines += entry.diagnoses
        return "\n".join(lines)


class LibraryFilter(QSortFilterProxyModel):
    """Rows whose name, dataset, path or diagnoses contain the words, whose sampling rate and
    duration meet the typed bounds, and that have the diagnosis."""

    def __init__(self) -> None:
        super().__init__()
        self._query = parse_query("")
        self._diagnosis: str | None = None
        self.setSortRole(SORT_ROLE)

    def set_text(self, text: str) -> None:
        """Words and numeric bounds (``500 Hz``, ``10.0 s``, ``>5 min``: see ``library.query``)."""
        self.beginFilterChange()
        self._query = parse_query(text)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_diagnosis(self, diagnosis: str | None) -> None:
        self.beginFilterChange()
        self._diagnosis = diagnosis or None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        entry: LibraryEntry = self.sourceModel().entries[source_row]
        if self._diagnosis is not None and self._diagnosis not in entry.diagnoses:
            return False
        if not (self._query.words or self._query.bounds):
            return True
        haystack = " ".join((entry.name, entry.dataset, str(entry.path), *entry.diagnoses)).lower()
        info = entry.info
        return self._query.accepts(haystack, info.fs if info else None, info.duration if info else None)
