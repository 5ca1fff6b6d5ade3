"""ecomseg.stream.FolderWatch: the micro-batch process's look for new files (issue #15).

It re-lists only the folders whose modification time changed; it must see
exactly what a full scan (ecomseg.stream.scan) sees after every kind of
arrival: a file in a known folder, a new day folder, a file renamed into
place from a hidden temporary name, a removed file or folder.
"""

from __future__ import annotations

import os
import shutil

from ecomseg.stream import FolderWatch, scan, write_collector_file


def _touch_later(path, seconds=5):
    """Moves a folder's modification time on (a file system with coarse times may not have)."""
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + seconds * 1_000_000_000))


def test_the_watch_sees_what_a_full_scan_sees(tmp_path):
    raw = tmp_path / "raw"
    (raw / "events" / "date=2026-01-01").mkdir(parents=True)
    (raw / "events" / "date=2026-01-01" / "part-0001.csv").write_text("event_id\nE1\n")
    (raw / "events" / "_erasure").mkdir()
    (raw / "events" / "_erasure" / "x.csv").write_text("a\n1\n")  # a side folder: never watched
    (raw / "orders").mkdir()
    (raw / "orders" / "o.csv").write_text("order_id\nO1\n")  # not a watched table
    watch = FolderWatch(raw)
    first = watch.scan()
    assert first == scan(raw)
    assert sorted(os.path.relpath(p, raw) for p in first) == ["events/date=2026-01-01/part-0001.csv"]

    # the collector's way: hidden temporary name, then renamed into a new day folder (sessions too)
    landed = write_collector_file(raw, "events", [{"event_id": "E2"}], day="2026-01-02")
    write_collector_file(raw, "sessions", [{"session_id": "S2"}], day="2026-01-02")
    second = watch.scan()
    assert second == scan(raw)
    assert str(landed) in second and len(second) == 3

    # a second file in a folder the watch has cached already
    other = landed.parent / "part-0002.csv"
    other.write_text("event_id\nE3\n")
    _touch_later(landed.parent)
    third = watch.scan()
    assert third == scan(raw) and str(other) in third and len(third) == 4

    # a temporary file being written is not a data file yet
    (landed.parent / ".part-0003.csv.tmp").write_text("event_id\n")
    _touch_later(landed.parent, 10)
    assert watch.scan() == third

    # removed: a file, then a whole folder
    other.unlink()
    _touch_later(landed.parent, 15)
    assert watch.scan() == scan(raw) and str(other) not in watch.scan()
    shutil.rmtree(raw / "events" / "date=2026-01-01")
    _touch_later(raw / "events", 20)
    assert watch.scan() == scan(raw)
    assert not any("date=2026-01-01" in p for p in watch.scan())
