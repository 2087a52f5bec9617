"""Writing files so that a crash, Ctrl-C, kill -9 or a second writer never leaves a half-written file."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path


def temp_files_of(path: str | os.PathLike) -> list[Path]:
    """The temporary files that writers of `path` have made beside it (`.{name}.{pid}.{random}.tmp`)."""
    target = Path(path)
    pattern = _temp_name_pattern(target)
    try:
        return sorted(entry for entry in target.parent.iterdir() if pattern.fullmatch(entry.name))
    except OSError:
        return []


def remove_stale_temp_files(path: str | os.PathLike) -> list[Path]:
    """Delete the temporary files of `path` whose writer process is gone (killed, crashed); return them.

    A kill -9 or a power cut gives the writer no chance to clean up, so the next writer does. Files of
    live processes, including this one, are left alone: they may be writing right now.
    """
    target = Path(path)
    pattern = _temp_name_pattern(target)
    removed = []
    for temp in temp_files_of(target):
        pid = int(pattern.fullmatch(temp.name).group(1))
        if pid == os.getpid() or _process_is_alive(pid):
            continue
        try:
            temp.unlink()
        except FileNotFoundError:
            continue  # another writer cleaned it up first
        except OSError:
            continue  # cannot remove it (permissions): leaving it costs disk space, not data
        removed.append(temp)
    return removed


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """`write_chunks_atomic` of one piece."""
    write_chunks_atomic(path, [data])


def write_chunks_atomic(path: str | os.PathLike, chunks: Iterable[bytes]) -> None:
    """Write the pieces, as they come, to a temporary file beside `path`, flush it to disk, then rename it
    over `path` (a big export never has to be whole in memory).

    A rename within one folder is atomic on POSIX and Windows, so readers see the old file or the
    new one, never a mixture; two writers at once each rename a complete file and the last one wins.
    The temporary file's name carries the writer's process id, so that temporary files left by a
    writer killed mid-write are recognised and removed by the next write.
    """
    target = Path(path)
    remove_stale_temp_files(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        install(Path(tmp), target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def install(temp: Path, target: str | os.PathLike, like: Path | None = None) -> None:
    """Flush the finished `temp` to disk and rename it over `target` in one step.

    It gets the permissions of the `target` it replaces, else those of `like` (a file it stands in for),
    else a new file's usual ones.
    """
    target = Path(target)
    with temp.open("rb+") as handle:
        os.fsync(handle.fileno())
    model = target if target.exists() else like if like is not None and like.exists() else None
    if model is not None:
        os.chmod(temp, model.stat().st_mode & 0o777)
    else:  # mkstemp makes 0600 files; a new file gets the usual permissions instead
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
    os.replace(temp, target)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """`write_bytes_atomic` for UTF-8 text."""
    write_bytes_atomic(path, text.encode("utf-8"))


def _temp_name_pattern(target: Path) -> re.Pattern[str]:
    # mkstemp's random part is letters, digits and underscores; group 1 is the writer's process id
    return re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.[a-z0-9_]+\.tmp")


def _process_is_alive(pid: int) -> bool:
    """Whether a process with this id exists; when that cannot be told safely, it counts as alive."""
    if os.name != "posix":
        return True  # on Windows os.kill(pid, 0) would terminate the process, not probe it
    try:
        os.kill(pid, 0)  # signal 0: no signal is sent, only the existence check is made
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists but belongs to another user
        return True
    return True
