"""Survival tests (issue #14, item 6): Liaison loses or half-writes nothing when a process dies, a disk fills,
or the database restarts.

- A feedback import killed with SIGKILL half-way and run again has every row exactly once:
  liaison/feedback/tests/test_imports.py::test_an_import_killed_half_way_and_run_again_has_each_row_exactly_once
  and liaison/feedback/tests/test_import_lease.py (the web import's lease and resume).
- A worker killed in the middle of a task: test_worker_killed.py (and the recovery rules: test_task_recovery.py).
- A full disk or a read-only database during a save: test_database_full_or_read_only.py.
- PostgreSQL restarted under load: test_postgres_restart.py.
"""
