"""Reports of a review: the PDF summary, the plan as CSV/XLSX, the review as JSON (export and import).

Entry points: pdf.render_review_pdf, review_json.export_review_json / import_review_json,
spreadsheets.plan_export, and jobs.report_request for reports made in the background (web and API). The CLI is
export_review / import_review.
"""
