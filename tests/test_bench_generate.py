"""The benchmark's synthetic data: generated on demand, identical every time, valid, and never committed."""

import subprocess

from bench.generate import REPO, check_reproducible, folder_hashes, generated_folder
from dashboard.config import load_settings
from dashboard.loading import load_dataset


def test_generating_twice_gives_identical_files():
    hashes = check_reproducible(1000)
    assert set(hashes) == {"events.csv", "locations.csv", "zones.geojson"}


def test_a_generated_folder_is_valid_and_reused(tmp_path):
    folder = generated_folder(1000, tmp_path)
    dataset = load_dataset(load_settings(folder))
    assert len(dataset.events) == 1000
    assert set(dataset.events["event_type"]) == {"tour_stop", "military_drill", "arms_sale", "diplomatic"}
    assert dataset.zones, "some drills have zones"
    stamp = (folder / ".generated").stat().st_mtime_ns
    assert generated_folder(1000, tmp_path) == folder
    assert (folder / ".generated").stat().st_mtime_ns == stamp, "an up-to-date folder is not written again"
    assert folder_hashes(folder) == check_reproducible(1000)


def test_generated_folders_are_ignored_by_git():
    ignored = subprocess.run(["git", "check-ignore", "-q", "bench/generated/1000/events.csv"], cwd=REPO)
    assert ignored.returncode == 0
    tracked = subprocess.run(
        ["git", "ls-files", "bench/data", "bench/generated"], cwd=REPO, capture_output=True, text=True
    )
    assert tracked.stdout == ""
