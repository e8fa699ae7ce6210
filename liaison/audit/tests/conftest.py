from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def checkpoint_path(settings: Any, tmp_path: Path) -> Path:
    """Each test gets its own checkpoint file: the database is rolled back between tests, a file is not."""
    path = tmp_path / "audit-checkpoints.jsonl"
    settings.LIAISON_AUDIT_CHECKPOINT_FILE = path
    return path
