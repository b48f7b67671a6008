"""The browser tests' tools: whether Debian's chromium, Node and playwright-core are there, and
running one flow (tests/web/NAME.mjs, whose exit status is the verdict)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

from rescuecircle.paths import PROJECT_ROOT

FLOWS = PROJECT_ROOT / "tests" / "web"
ARTIFACTS = PROJECT_ROOT / "artifacts" / "web"
CHROMIUM = os.environ.get("RC_CHROMIUM", "/usr/bin/chromium")


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing: run scripts/install-deps.sh --test (Debian's chromium)"
    if shutil.which("node") is None:
        return "node is missing (Node 20 runs the Playwright flows)"
    if not (PROJECT_ROOT / "node_modules" / "playwright-core").is_dir():
        return "node_modules/playwright-core is missing: run `npm ci` at the repository root"
    if not (PROJECT_ROOT / "web" / "vendor" / "maplibre-gl.js").is_file():
        return "web/vendor/maplibre-gl.js is missing: run `npm ci` (its postinstall copies it)"
    return None


def run_flow(name: str, base_url: str, spec: dict) -> str:
    """Run tests/web/NAME.mjs; its exit status is the verdict. Returns its output."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["node", str(FLOWS / f"{name}.mjs"), base_url, str(ARTIFACTS), json.dumps(spec)],
        capture_output=True, text=True, timeout=420, cwd=PROJECT_ROOT, check=False)
    output = result.stdout + result.stderr
    (ARTIFACTS / f"{name}.log").write_text(output)
    assert result.returncode == 0, f"{name} flow failed:\n{output[-6000:]}"
    return output
