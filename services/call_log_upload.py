"""A call log sent as text (the ``qc`` process's input), read exactly as the CLI reads a file.

The text goes to a private temporary file under its own name, so every message about it names
the file the analyst sent, and the same reader checks the same columns either way.
"""

import re
import tempfile
from pathlib import Path

from planning.qc import QcResult
from rescuecircle.errors import InvalidInput
from services.quality import call_quality

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def uploaded_call_quality(content: str, *, name: str, max_bytes: int) -> QcResult:
    """The QC indicators of a call log's CSV ``content``; InvalidInput when it is empty, over
    ``max_bytes`` (UTF-8) or lacks the columns a call log needs."""
    size = len(content.encode("utf-8"))
    if not content.strip():
        raise InvalidInput("calls is empty: send the call log's CSV content")
    if size > max_bytes:
        raise InvalidInput(f"calls is {size:,} bytes, over the allowed {max_bytes:,}")
    safe = SAFE_NAME.sub("_", Path(name).name).strip("._") or "calls.csv"
    with tempfile.TemporaryDirectory(prefix="rc-qc-") as folder:
        path = Path(folder) / safe
        path.write_text(content, encoding="utf-8")
        return call_quality(path)
