"""What an import reports: the problems found, by row and column, and the counts."""

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an upload: where (spreadsheet row and column) and what.

    ``row`` is None when the problem is with the file as a whole.
    """

    row: int | None
    column: str
    message: str


@dataclass
class ImportReport:
    """What checking (and, unless a dry run, writing) an upload found and did.

    The counts are given only when every row is good; in a dry run they say
    what an import would do.
    """

    kind: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    too_large: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    @property
    def bad_rows(self) -> int:
        return len({problem.row for problem in self.errors if problem.row is not None})

    def as_result(self) -> dict[str, Any]:
        """The report as an import job keeps it (JSON): counts, columns not used, problems."""
        return {
            "kind": self.kind,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "ignored_columns": list(self.ignored_columns),
            "errors": [asdict(problem) for problem in self.errors],
        }
