"""The office's reports: one module per report, each a ``KIND`` that builds a :class:`~.base.Report` once.

- ``board``: the monthly board report (any site; fit for wide circulation)
- ``ko41a``: England's yearly KO41a return of written complaints
- ``annual``: England's annual complaints report (RULES.md UK-9)
- ``grievance_log``: the US grievance log for CMS surveys
- ``cqc``: England's regulation 16 summary for the CQC (UK-11)

``base`` holds what a report is made of, ``parts`` the blocks several reports share, ``render`` the PDF, CSV
and XLSX writers and ``produce`` the one path that checks, builds, renders and audits, for the pages and the
``liaison report`` command alike. To add a report, copy a module, give it a ``KIND`` and list it below.
"""

from __future__ import annotations

from liaison.insights.reports import annual, board, cqc, grievance_log, ko41a
from liaison.insights.reports.base import ReportKind

KINDS: dict[str, ReportKind] = {module.KIND.key: module.KIND for module in (board, ko41a, annual, grievance_log, cqc)}
