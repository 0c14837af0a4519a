"""make bench: a section that fails or overruns is reported, and the run goes on; growth is judged per list."""

import time

from bench.figures import Figure, table
from bench.growth import growth, growth_table
from bench.sections import Sections, SectionTimeout


def quiet(_: str) -> None:
    pass


def test_a_failing_section_is_reported_and_the_next_one_still_runs():
    sections = Sections(say=quiet)

    def broken() -> Figure:
        raise RuntimeError("the page answered 500")

    assert sections.figures("dashboard, 100 workloads", broken, limit_s=30) == []
    measured = sections.figures("question page", lambda: Figure.of("question page", [0.01]), limit_s=30)
    assert [figure.name for figure in measured] == ["question page"]
    [failure] = sections.failures
    assert failure.name == "dashboard, 100 workloads"
    assert failure.failed == "RuntimeError: the page answered 500"
    printed = next(line for line in table([failure, *measured]).splitlines() if line.startswith("dashboard"))
    assert "FAILED" in printed
    assert failure.as_dict()["median_ms"] is None  # results.json stays valid JSON


def test_a_section_past_its_time_limit_is_stopped_and_reported():
    sections = Sections(say=quiet)
    assert sections.run("slow list", lambda: time.sleep(30), limit_s=0.2) is None
    assert sections.failures[0].failed.startswith(SectionTimeout.__name__)


def list_figure(key: str, workloads: int, median_s: float, queries: int) -> Figure:
    return Figure.of(
        f"{key}, {workloads}", [median_s], queries=queries, extra={"list": key, "workloads": workloads}
    )


def test_growth_is_the_largest_size_over_the_smallest_for_each_list():
    figures = [
        list_figure("dashboard", 100, 0.020, 9),
        list_figure("dashboard", 10_000, 0.030, 9),
        list_figure("items_api", 100, 0.100, 5),
    ]
    assert growth({100: figures[0], 10_000: figures[1]}, 100, 10_000) == 1.5
    printed = growth_table(figures, [100, 10_000])
    assert "dashboard (security lead)" in printed and "1.50x" in printed
    # A list not measured at 10,000 workloads (its section failed) says so instead of a growth figure.
    items_line = next(
        line for line in printed.splitlines() if line.startswith("GET /api/v1/improvement-items/")
    )
    assert "failed" in items_line and "x" not in items_line.split("failed")[-1]
