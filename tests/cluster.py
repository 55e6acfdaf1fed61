"""A simulated cluster for the tests: Snakemake's generic cluster executor
(snakemake-executor-plugin-cluster-generic) with a "submit" command that starts each job script
as its own detached process (new session, scrubbed environment, own temporary directory) and
prints a job id, and a status command that reads the exit code the job left in a file. Jobs
share nothing but the project's files, as on a real cluster.
"""
from __future__ import annotations

import os
from pathlib import Path

SUBMIT = r"""#!/usr/bin/env bash
# submit.sh JOBSCRIPT: start the job as its own detached process; print its id.
set -euo pipefail
jobscript="$1"
queue="__QUEUE__"
id="job$(date +%s%N)$RANDOM"
mkdir -p "$queue/$id.tmp"
setsid nohup env -i PATH="__PATH__" HOME="$HOME" LANG=C.UTF-8 MPLBACKEND=Agg PYTHONHASHSEED=0 \
    SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-}" TMPDIR="$queue/$id.tmp" bash -c \
    'bash "$0" > "$1.out" 2>&1; echo $? > "$1.exit.tmp"; mv "$1.exit.tmp" "$1.exit"' \
    "$jobscript" "$queue/$id" < /dev/null > /dev/null 2>&1 &
echo "$id"
"""

STATUS = r"""#!/usr/bin/env bash
# status.sh JOBID: running, success or failed (from the exit code the job left behind).
queue="__QUEUE__"
if [ ! -f "$queue/$1.exit" ]; then echo running
elif [ "$(cat "$queue/$1.exit")" = "0" ]; then echo success
else echo failed; fi
"""

QUEUE = "cluster_queue"


def cluster_args(work: Path, bin_dir: Path) -> list[str]:
    """Write the submit and status scripts into ``work`` (jobs leave their output, exit code
    and temporary files in ``work/cluster_queue``); the Snakemake arguments that use them."""
    queue = work / QUEUE
    queue.mkdir()
    path = f"{bin_dir}{os.pathsep}/usr/bin:/bin"
    submit, status = work / "submit.sh", work / "status.sh"
    submit.write_text(SUBMIT.replace("__QUEUE__", str(queue)).replace("__PATH__", path))
    status.write_text(STATUS.replace("__QUEUE__", str(queue)))
    return ["--executor", "cluster-generic", "--jobs", "4",
            "--cluster-generic-submit-cmd", f"bash {submit}",
            "--cluster-generic-status-cmd", f"bash {status}",
            "--seconds-between-status-checks", "1", "--max-status-checks-per-second", "10",
            "--latency-wait", "10"]
