"""Many users at once, the short version of `python -m bench.load`: 20 Streamlit sessions over the real
server's websocket, each changing its date range, search and selection for a few seconds."""
from bench.load import run_load, server_log_errors
from browser_support import SCREENSHOTS, dashboard_server


def test_twenty_sessions_keep_to_their_own_state(tmp_path):
    log = tmp_path / "server.log"
    with dashboard_server(log_path=log) as server:
        report = run_load(server.url, sessions=20, seconds=6)
    assert not report.errors, report.errors
    assert not report.mismatches, report.mismatches[:5]
    assert not server_log_errors(log), server_log_errors(log)[:5]
    assert report.changes >= 20, "every session made changes"
    assert report.percentile(95) < 30, "a change took longer than 30 s under load"
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "load-test.txt").write_text(
        f"{report.changes} changes, p50 {report.percentile(50):.2f} s, p95 {report.percentile(95):.2f} s\n")
