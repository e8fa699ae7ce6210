from liaison.cases.tests.conftest import open_case  # noqa: F401  (shared fixture)
