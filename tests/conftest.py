"""Print how long each notebook took, after the test summary (the numbers quoted in notes come from here)."""
NOTEBOOK_SECONDS = {}


def pytest_terminal_summary(terminalreporter):
    if not NOTEBOOK_SECONDS: return
    terminalreporter.section('notebook run times')
    for name, seconds in sorted(NOTEBOOK_SECONDS.items()):
        terminalreporter.write_line(f'{name:<24}{seconds:6.1f} s')
    terminalreporter.write_line(f"{'all notebooks':<24}{sum(NOTEBOOK_SECONDS.values()):6.1f} s")
