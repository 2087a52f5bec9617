"""Time and memory of importing a million-row GDELT file, and of validating the folder it makes.

    python -m bench.import_bench                 # generate (once), import, validate; writes docs/import_bench.md
    python -m bench.import_bench --rows 100000   # a smaller file, for a quick look

The input is a synthetic GDELT 2.0 export (61 tab-separated columns, no header, as GDELT distributes
it), written with a fixed seed into bench/generated/import/ (ignored by git) and reused while its stamp
matches. Every row has an action geography, so every row becomes an event: the hardest case for the
import, which writes and validates one event per row.

Measured, each in a fresh subprocess, --runs times (3 by default):

- `python -m dashboard import gdelt FILE --into DIR` into a new, empty folder: the import itself;
- `python -m dashboard validate --data-dir DIR`: what the dashboard does to open that folder;

and once, after the last run, the same import again into that folder (merging a million events into a
million: every one unchanged), which checks the folder before and after.

Wall time is taken around the subprocess. Peak memory is the largest resident set size of the process
tree (every process started, summed; sampled every 0.05 s from /proc) or the process's own high-water
mark (ru_maxrss from wait4), whichever is larger. The targets, for the slowest and the hungriest of the
imports into a new folder: under 60 s and under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.memory import TreeMemory

REPO = Path(__file__).resolve().parent.parent
# Ignored by git (.gitignore): a million rows are about 330 MB of input and 400 MB of output.
WORK = REPO / "bench" / "generated" / "import"
REPORT = REPO / "docs" / "import_bench.md"
SEED = 20241210
# Part of the input's stamp: bump it when the generated rows change, so an old file is rewritten.
GENERATOR_VERSION = 1
DEFAULT_ROWS = 1_000_000
TARGET_SECONDS = 60.0
TARGET_MB = 1024.0
SAMPLE_EVERY = 0.05  # seconds between /proc samples of the process tree's memory

# (full name, country code, ADM1 code, lat, lon, ActionGeo_Type): places GDELT resolves around the strait
PLACES = [
    ("Taipei, T'ai-pei, Taiwan", "TW", "TW03", 25.0392, 121.525, 4),
    ("Kaohsiung, Kao-hsiung, Taiwan", "TW", "TW02", 22.6163, 120.3133, 4),
    ("Taichung, T'ai-wan, Taiwan", "TW", "TW04", 24.1469, 120.6839, 4),
    ("Kinmen, Fu-chien, Taiwan", "TW", "TW01", 24.4368, 118.3186, 4),
    ("Taiwan", "TW", "TW", 23.5, 121.0, 1),
    ("Beijing, Beijing, China", "CH", "CH22", 39.9289, 116.388, 4),
    ("Xiamen, Fujian, China", "CH", "CH07", 24.4798, 118.0819, 4),
    ("Fuzhou, Fujian, China", "CH", "CH07", 26.0614, 119.3061, 4),
    ("Fujian, China", "CH", "CH07", 26.0, 118.0, 5),
    ("China", "CH", "CH", 35.0, 105.0, 1),
    ("Tokyo, Tokyo, Japan", "JA", "JA40", 35.685, 139.751, 4),
    ("Manila, Manila, Philippines", "RP", "RPD9", 14.6042, 120.982, 4),
    ("Guam", "GQ", "GQ", 13.4444, 144.7367, 1),
    ("Honolulu, Hawaii, United States", "US", "USHI", 21.3069, -157.858, 3),
    ("Hawaii, United States", "US", "USHI", 21.1098, -157.5311, 2),
    ("Washington, District of Columbia, United States", "US", "USDC", 38.8951, -77.0364, 3),
    ("Majuro, Majuro Atoll, Marshall Islands", "RM", "RM", 7.0897, 171.3803, 4),
    ("Koror, Koror, Palau", "PS", "PS", 7.3419, 134.4792, 4),
    ("Seoul, Soul-t'ukpyolsi, South Korea", "KS", "KS11", 37.5664, 126.9997, 4),
    ("Hong Kong, Hong Kong (general), Hong Kong", "HK", "HK00", 22.2833, 114.15, 4),
]
# (actor code, name, country code, type code)
ACTORS = [
    ("CHN", "CHINA", "CHN", ""),
    ("CHNMIL", "CHINA", "CHN", "MIL"),
    ("CHNGOV", "BEIJING", "CHN", "GOV"),
    ("TWN", "TAIWAN", "TWN", ""),
    ("TWNGOV", "TAIPEI", "TWN", "GOV"),
    ("TWNMIL", "TAIWAN", "TWN", "MIL"),
    ("USA", "UNITED STATES", "USA", ""),
    ("USAGOV", "WASHINGTON", "USA", "GOV"),
    ("USAMIL", "PENTAGON", "USA", "MIL"),
    ("JPN", "JAPAN", "JPN", ""),
    ("PHL", "PHILIPPINES", "PHL", ""),
    ("MHL", "MARSHALL ISLANDS", "MHL", ""),
    ("PLW", "PALAU", "PLW", ""),
    ("", "", "", ""),
]
# CAMEO event codes GDELT often gives for cross-strait news
EVENT_CODES = ["010", "020", "036", "040", "042", "043", "051", "057", "061", "071", "112", "120", "130", "138"]
EVENT_CODES += ["141", "150", "152", "160", "173", "190", "193"]
SITES = [
    ("www.focustaiwan.tw", "cross-strait"),
    ("www.taipeitimes.com", "News/front/archives"),
    ("www.reuters.com", "world/asia-pacific"),
    ("apnews.com", "article"),
    ("www.scmp.com", "news/china/military"),
    ("www.globaltimes.cn", "page"),
    ("www.japantimes.co.jp", "news"),
    ("www.rnz.co.nz", "international/pacific-news"),
]
WORDS = "taiwan china strait drill navy coast guard warships aircraft patrol talks visit sale arms minister".split()


def _quad(root: str) -> str:
    """QuadClass from the CAMEO root code, as GDELT assigns it."""
    number = int(root)
    return "1" if number <= 5 else "2" if number <= 8 else "3" if number <= 13 else "4"


def _geo(place: tuple) -> list[str]:
    """One geography block of a 2.0 row: Type, FullName, CountryCode, ADM1Code, ADM2Code, Lat, Long, FeatureID."""
    name, country, adm1, lat, lon, kind = place
    return [str(kind), name, country, adm1, "", f"{lat:.4f}", f"{lon:.4f}", str(-2600000 - len(name))]


def write_gdelt_export(path: Path, rows: int, seed: int = SEED) -> None:
    """A GDELT 2.0 export of `rows` rows, all with an action geography; byte-identical for the same arguments."""
    rng = random.Random(seed)
    first_day = date(2024, 12, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(path.name + ".part")
    with scratch.open("w", encoding="utf-8", newline="\n") as handle:
        buffer = []
        for number in range(rows):
            day = first_day + timedelta(days=rng.randrange(14))
            sqldate = day.strftime("%Y%m%d")
            code = rng.choice(EVENT_CODES)
            root = code[:2]
            a1, a2 = rng.choice(ACTORS), rng.choice(ACTORS)
            action = rng.choice(PLACES)
            jitter = (
                action[0],
                action[1],
                action[2],
                round(action[3] + rng.uniform(-0.05, 0.05), 4),
                round(action[4] + rng.uniform(-0.05, 0.05), 4),
                action[5],
            )
            site, section = rng.choice(SITES)
            slug = "-".join(rng.choice(WORDS) for _ in range(rng.randrange(4, 10)))
            fields = [str(1_220_000_000 + number), sqldate, sqldate[:6], sqldate[:4], f"{day.year + 0.96:.4f}"]
            for code_, name, country, kind in (a1, a2):
                fields += [code_, name, country, "", "", "", "", kind, "", ""]
            fields += ["1", code, code, root, _quad(root), f"{rng.uniform(-10, 10):.1f}"]
            fields += [str(rng.randrange(1, 40)), str(rng.randrange(1, 8)), str(rng.randrange(1, 40))]
            fields.append(f"{rng.uniform(-9, 5):.6f}")
            fields += _geo(rng.choice(PLACES)) + _geo(rng.choice(PLACES)) + _geo(jitter)
            fields.append(sqldate + "083000")
            fields.append(f"https://{site}/{section}/{sqldate}/{slug}-{number % 100_000}")
            buffer.append("\t".join(fields))
            if len(buffer) >= 10_000:
                handle.write("\n".join(buffer) + "\n")
                buffer.clear()
        if buffer:
            handle.write("\n".join(buffer) + "\n")
    scratch.replace(path)


def input_file(rows: int) -> Path:
    """The generated export for `rows` rows, written first unless a file with a matching stamp is there."""
    path = WORK / f"{rows}.export.CSV"
    stamp = path.with_suffix(".stamp")
    wanted = json.dumps({"generator": GENERATOR_VERSION, "seed": SEED, "rows": rows})
    if not (path.is_file() and stamp.is_file() and stamp.read_text() == wanted):
        started = time.perf_counter()
        write_gdelt_export(path, rows)
        stamp.write_text(wanted)
        print(f"generated {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s")
    return path


def run_measured(command: list[str], env: dict[str, str]) -> dict:
    """Run `command`; its exit code, wall seconds, peak MB of its process tree, and its output."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [
        threading.Thread(target=lambda: out.append(process.stdout.read()), daemon=True),
        threading.Thread(target=lambda: err.append(process.stderr.read()), daemon=True),
    ]
    for reader in readers:
        reader.start()
    with TreeMemory(process.pid, every=SAMPLE_EVERY) as memory:
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    for reader in readers:
        reader.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    peak_kb = max(memory.peak_kb, usage.ru_maxrss)  # Linux: kilobytes
    return {
        "command": command,
        "exit_code": process.returncode,
        "seconds": round(seconds, 2),
        "peak_mb": round(peak_kb / 1024, 1),
        "stdout": b"".join(out).decode("utf-8", "replace"),
        "stderr": b"".join(err).decode("utf-8", "replace"),
    }


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


STEPS = {  # key -> (command, what it measures)
    "import": ("import gdelt FILE --into DIR", "into a new folder"),
    "validate": ("validate --data-dir DIR", "what opening the folder checks"),
    "again": ("import gdelt FILE --into DIR", "again: the folder holds these events, nothing changes"),
}


def write_report(result: dict) -> str:
    """docs/import_bench.md: every run's figures and, for the slowest and hungriest import, the targets."""
    runs = result["runs"]
    imports = [run["import"] for run in runs]
    worst_seconds = max(run["seconds"] for run in imports)
    worst_mb = max(run["peak_mb"] for run in imports)
    imports_ok = all(run["exit_code"] == 0 for run in imports)
    validates_ok = all(run["validate"]["exit_code"] == 0 for run in runs)
    validate_codes = ", ".join(f"exit {run['validate']['exit_code']}" for run in runs)
    lines = [
        "# Import benchmark",
        "",
        f"Written by `python -m bench.import_bench` on {result['when']}: {result['machine']}. "
        f"Input: a synthetic GDELT 2.0 export of {result['rows']:,} rows "
        f"({result['input_mb']:.0f} MB, every row with an action geography, so every row becomes an event), "
        "generated with a fixed seed by `bench/import_bench.py`. Each command ran in a fresh process, with the "
        "default settings (no `--bbox`, the default size limit); peak memory is that of its whole process "
        "tree (resident set size). Machine load is the 1-minute load average on 2 cores: above 2, other work "
        "competed with the measurement.",
        "",
        "| run | command | | result | wall time | peak memory | machine load before → after |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, run in enumerate(runs, start=1):
        for key, (command, note) in STEPS.items():
            if key not in run:
                continue
            step = run[key]
            outcome = "exit 0" if step["exit_code"] == 0 else f"**exit {step['exit_code']}**"
            lines.append(
                f"| {number} | `python -m dashboard {command}` | {note} | {outcome} | {step['seconds']:.1f} s | "
                f"{step['peak_mb']:,.0f} MB | {step['load_before']:.1f} → {step['load_after']:.1f} |"
            )
    lines += [
        "",
        f"## Against the targets (the slowest and the hungriest of the {len(runs)} imports)",
        "",
        "| measure | target | measured | |",
        "|---|---|---|---|",
        f"| import: wall time | under {TARGET_SECONDS:.0f} s | {worst_seconds:.1f} s | "
        f"{_verdict(imports_ok and worst_seconds < TARGET_SECONDS)} |",
        f"| import: peak memory | under {TARGET_MB / 1024:.0f} GB | {worst_mb:,.0f} MB | "
        f"{_verdict(imports_ok and worst_mb < TARGET_MB)} |",
        f"| the folder opens (`validate` passes) | exit 0 | {validate_codes} | {_verdict(validates_ok)} |",
        "",
        f"The folder written: `events.csv` {result['events_mb']:.0f} MB. The import's summary:",
        "",
        "```",
        *_shown(runs[0]["import"]["stdout"]),
        "```",
        "",
        "`validate` said:",
        "",
        "```",
        *(_shown(runs[0]["validate"]["stdout"]) or _shown(runs[0]["validate"]["stderr"])[-5:]),
        "```",
        "",
    ]
    if "again" in runs[-1]:
        lines += ["The import again said:", "", "```", *_shown(runs[-1]["again"]["stdout"]), "```", ""]
    return "\n".join(lines)


def _shown(output: str) -> list[str]:
    """A command's output for the report: its lines, with this checkout's path left out."""
    return output.replace(str(REPO) + os.sep, "").strip().splitlines()


def _step(key: str, command: list[str], env: dict[str, str]) -> dict:
    before = os.getloadavg()[0]
    run = run_measured(command, env)
    run["load_before"], run["load_after"] = before, os.getloadavg()[0]
    print(
        f"{key}: exit {run['exit_code']}, {run['seconds']:.1f} s, peak {run['peak_mb']:,.0f} MB "
        f"(load {before:.1f} -> {run['load_after']:.1f})",
        flush=True,
    )
    if run["exit_code"] != 0:
        sys.stderr.write(run["stderr"][-3000:])
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows in the generated GDELT file")
    parser.add_argument("--runs", type=int, default=3, help="imports into a new folder, each followed by validate")
    parser.add_argument("--no-again", action="store_true", help="skip importing the file again into the last folder")
    parser.add_argument("--no-report", action="store_true", help=f"print the figures, do not write {_display(REPORT)}")
    args = parser.parse_args(argv)
    source = input_file(args.rows)
    into = WORK / f"folder-{args.rows}"
    env = {k: v for k, v in os.environ.items() if k not in ("DASHBOARD_DATA_DIR", "DASHBOARD_MAX_FILE_MB")}
    python = sys.executable
    importing = [python, "-m", "dashboard", "import", "gdelt", str(source), "--into", str(into)]
    result: dict = {
        "rows": args.rows,
        "input_mb": source.stat().st_size / 1e6,
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "runs": [],
    }
    for number in range(1, max(1, args.runs) + 1):
        print(f"run {number}:", flush=True)
        shutil.rmtree(into, ignore_errors=True)
        run = {"import": _step("import", importing, env)}
        if run["import"]["exit_code"] != 0:
            run["validate"] = {**run["import"], "exit_code": -1, "seconds": 0.0, "peak_mb": 0.0, "stdout": "not run"}
            result["runs"].append(run)
            break
        run["validate"] = _step("validate", [python, "-m", "dashboard", "validate", "--data-dir", str(into)], env)
        result["runs"].append(run)
    last = result["runs"][-1]
    if not args.no_again and last["import"]["exit_code"] == 0:
        last["again"] = _step("again", importing, env)
    events = into / "events.csv"
    result["events_mb"] = events.stat().st_size / 1e6 if events.exists() else 0.0
    imports = [run["import"] for run in result["runs"]]
    met = all(r["exit_code"] == 0 and r["seconds"] < TARGET_SECONDS and r["peak_mb"] < TARGET_MB for r in imports)
    opened = all(run["validate"]["exit_code"] == 0 for run in result["runs"])
    print(
        f"import of {args.rows:,} rows: {'targets met' if met else 'targets NOT met'} "
        f"(every import under {TARGET_SECONDS:.0f} s and 1 GB); validate {'passed' if opened else 'FAILED'}"
    )
    if not args.no_report:
        REPORT.write_text(write_report(result), encoding="utf-8")
        print(f"wrote {_display(REPORT)}")
    return 0 if met and opened else 1


if __name__ == "__main__":
    sys.exit(main())
