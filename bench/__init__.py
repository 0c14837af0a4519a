"""Benchmarks of the review app against PostgreSQL: `make bench` (python -m bench).

Every figure is measured in one run on one machine, next to a bare authenticated Django view measured in the
same run, so the ratio says what the app adds over Django itself whatever the machine. Results are printed
as a table and written to bench/results.json; docs/performance.md explains them and how to reproduce them.

Modules: database (the throwaway bench database), figures (numbers, table, JSON), urls (the bench-only URLconf
with the bare view), pages (in-process server time and query counts), saves (answer saves per second against
gunicorn), reports (the PDF), collection (evidence collection against a local AWS emulator).
"""
