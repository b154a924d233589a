"""Projections' routes, one module per resource, each exporting `router`.

- `closure.py`: 完成率 (`/v1/stats/closure-rates`, `/v1/stats/closure-trend`) and the cases behind them
- `accountability.py`: 问责统计 (`/v1/stats/accountability`)
- `enforcement.py`: 执法统计 (`/v1/stats/enforcement`)
- `cases.py`: the overdue list and case timelines (`/v1/cases`)
- `reports.py`: the work report and the ledger (`/v1/reports`, `/v1/exports`)
- `documents.py`: the Word documents: the work report (`/v1/reports/work-summary.docx`) and a case's 交办函
  (`/v1/cases/{id}/assignment-letter.docx`), written by `services/projections/documents/`
- `work_documents.py`: the documents of the work (`/v1/stats/documents`, `/v1/documents/…`: 交办函, 联合督查, 督查通报,
  集体约谈会, 工作会议) and a bulletin's draft
- `read_models.py`: the generations of the read models and their positions (`/v1/read-models`)
- `public.py`: 信息公开, the public page (`/public/`) and its JSON (`/v1/public/…`), no token
- `dashboard.py`: the dashboard's page and assets (`/`, `/dashboard/…`), served from `dashboard/`

Every figure's answer says up to which offset of each topic partition it includes events (`positions`)
and which generation of the read models answered (`read_model`).
"""
