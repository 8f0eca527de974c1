"""Aggregation and reports (báo cáo): periods, areas, summaries, targets
(chỉ tiêu), completeness, charts and XLSX/CSV exports. See docs/reports.md."""
