"""What a killed or concurrent run leaves behind: temporary files of a killed writer, and a
second run started in the same results folder (``--unlock`` during a live run)."""


def test_a_killed_writers_temporary_file_is_removed_by_the_rerun(tmp_path):
    """io.atomic_path: a .part file left by a writer killed before it could clean up (its
    process is gone, or it is of an older coprod) is removed when the file is written again;
    a live writer's is kept."""
    import os
    import subprocess
    import sys

    from coprod.io import _host, write_text

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    out = tmp_path / "report.html"
    dead = tmp_path / f".report.html.{_host()}-{gone}.abc123.part"
    older = tmp_path / ".report.html.x1y2z3.part"  # before the writer was in the name
    live = tmp_path / f".report.html.{_host()}-{os.getppid()}.def456.part"
    other = tmp_path / ".report.html.x.abc.part"  # another file's temporary file
    for p in (dead, older, live, other):
        p.write_text("half-written")
    write_text(out, "whole")
    assert out.read_text() == "whole"
    assert not dead.exists() and not older.exists()
    assert live.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [out.name, live.name, other.name])
