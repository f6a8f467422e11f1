"""What importing one file did: the report every caller (command, admin, tests) reads."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ImportWarning:
    """Something the importer tells the user about a file: at a line, or (line None) about the whole file."""

    line: int | None
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


@dataclass
class ImportReport:
    """What importing one file did, or would do with --dry-run."""

    name: str
    status: str = "imported"  # imported | unchanged | failed
    dry_run: bool = False
    entries: int = 0
    created: int = 0
    matched: int = 0
    updated: int = 0
    warnings: list[ImportWarning] = field(default_factory=list)
    error: str | None = None
    digest_id: int | None = None

    @property
    def failed(self):
        return self.status == "failed"

    def warn(self, line, message):
        self.warnings.append(ImportWarning(line, message))

    def fail(self, error):
        self.status, self.error = "failed", error

    def summary(self):
        if self.status == "failed":
            return f"{self.name}: FAILED, nothing imported: {self.error}"
        if self.status == "unchanged":
            return f"{self.name}: unchanged, already imported (digest #{self.digest_id}); nothing written"
        verb = "would import" if self.dry_run else "imported"
        unchanged = self.matched - self.updated
        return (
            f"{self.name}: {verb} {self.entries} entries: {self.created} papers created, "
            f"{self.matched} matched ({self.updated} updated, {unchanged} unchanged), "
            f"{len(self.warnings)} warnings"
        )
