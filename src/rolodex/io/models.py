"""The import's tables (defined in store/import_models.py, where every table is made)."""

from rolodex.store.import_models import IO_MODELS, ImportedRecord, PendingLink, SourceKey, utcnow

__all__ = ["IO_MODELS", "ImportedRecord", "PendingLink", "SourceKey", "utcnow"]
