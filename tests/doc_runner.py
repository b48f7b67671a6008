"""Run the shell blocks of a walkthrough in docs/ as a user would, and compare with the
outputs it shows: so a document such as docs/your-city.md cannot drift from what the commands
do. ``rescuecircle`` commands run in this process (``cli.main.main``); ``cat > FILE <<'EOF'``
heredocs write their files; other lines (``make``, ``export``, ``curl``) are for the reader.
"""

import io
import re
import shlex
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from cli.main import main

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
HEREDOC = re.compile(r"^cat > (\S+) <<'EOF'$")
# Numbers that change from run to run: durations and ids of stored rows.
VOLATILE = [(re.compile(r"in \d+(\.\d+)? s"), "in <seconds>"),
            (re.compile(r"(dispatch|incident) \d+"), r"\1 <id>"),
            (re.compile(r"imported \d{4}-\d\d-\d\d \d\d:\d\d UTC"), "imported <time>")]


@dataclass(frozen=True)
class Step:
    """A command (argv without ``rescuecircle``) and the output shown after it, if any."""

    argv: list[str]
    expected: str | None


def steps(document: str, folder: Path, data: Path) -> list[Step]:
    """The document's commands in order, writing its heredoc files into ``folder``."""
    found: list[Step] = []
    for language, body in FENCE.findall(document):
        if language == "text" and found:
            found[-1] = Step(found[-1].argv, body)
            continue
        if language != "sh":
            continue
        lines = iter(body.splitlines())
        for line in lines:
            heredoc = HEREDOC.match(line)
            if heredoc:
                content = []
                for inner in lines:
                    if inner == "EOF":
                        break
                    content.append(inner)
                (folder / heredoc.group(1)).write_text("\n".join(content) + "\n")
            elif line.startswith("rescuecircle "):
                argv = shlex.split(line.replace("$DATA", str(data)))[1:]
                found.append(Step(argv, None))
    return found


def run(step: Step) -> str:
    """What the command prints on stdout and stderr together."""
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        main(step.argv)
    return out.getvalue()


def normalised(text: str) -> list[str]:
    """The lines of ``text`` with run-to-run numbers replaced."""
    lines = []
    for line in text.strip().splitlines():
        for pattern, replacement in VOLATILE:
            line = pattern.sub(replacement, line)
        lines.append(line.rstrip())
    return lines


def refresh(path: Path, data: Path, database_url: str, folder: Path) -> None:
    """Run the walkthrough on ``database_url`` (an empty, migrated database) and write each
    command's real output into its text block: after a change of behaviour, then review."""
    import os

    document = path.read_text(encoding="utf-8")
    os.environ["RC_DATABASE_URL"] = database_url
    os.environ.pop("RC_TIMEZONE", None)
    here = Path.cwd()
    os.chdir(folder)
    try:
        outputs = iter([run(step).rstrip() for step in steps(document, folder, data)
                        if step.expected is not None])
    finally:
        os.chdir(here)
    path.write_text(FENCE.sub(lambda m: f"```text\n{next(outputs)}\n```"
                              if m.group(1) == "text" else m.group(0), document),
                    encoding="utf-8")


if __name__ == "__main__":  # python -m tests.doc_runner docs/your-city.md
    import sys
    import tempfile

    from gis.db import make_engine
    from gis.migrate import migrate
    from localdb import cluster
    from rescuecircle import database
    from rescuecircle.paths import PROJECT_ROOT
    from rescuecircle.settings import Settings

    settings = Settings(database_url=None)
    cluster.create_database(settings, "rc_walkthrough", replace=True)
    url = database.local_url(settings, "rc_walkthrough")
    migrate(make_engine(settings, url))
    refresh(Path(sys.argv[1]).resolve(), PROJECT_ROOT.parent / "shared" / "data", url,
            Path(tempfile.mkdtemp()))
