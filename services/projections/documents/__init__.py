"""The documents projections writes as Word files (.docx, python-docx), one module and one function per kind:

- `work_summary.render_work_summary`: 工作汇报, the county's report with its tables and charts
- `assignment_letter.render_assignment_letter`: 交办函, the 五定 of one 交办
- `bulletin.render_bulletin`: 督查通报 第N期, the period's overdue cases and poorly performing units

Each takes plain dataclasses (no database, no request) and returns the document's bytes: the routes
(`api/documents.py`) read the figures, build the data and call them in a worker thread. `writing.py` holds the page,
fonts and tables they share, `charts.py` the charts (PNG, Pillow, a CJK font).
"""
