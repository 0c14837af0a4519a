"""REST API v1 under /api/v1/, its OpenAPI schema at /api/schema/ and interactive docs at /api/docs/."""

from __future__ import annotations

from django.urls import include, path

from . import (
    acceptances,
    answers,
    audit,
    docs,
    evidence,
    evidence_files,
    evidence_imports,
    items,
    jira,
    lenses,
    milestones,
    portfolio,
    profiles,
    reports,
    review_import,
    reviews,
    sharing,
    teams,
    templates,
    tokens,
    watool,
    workloads,
)

v1 = [
    path("audit/", audit.AuditList.as_view(), name="api_audit_list"),
    path("teams/", teams.TeamList.as_view(), name="api_team_list"),
    path("templates/", templates.TemplateList.as_view(), name="api_template_list"),
    path(
        "workloads/<uuid:workload_id>/profile/",
        profiles.WorkloadProfileView.as_view(),
        name="api_workload_profile",
    ),
    path("templates/<uuid:template_id>/", templates.TemplateDetail.as_view(), name="api_template_detail"),
    path(
        "reviews/<uuid:review_id>/template/",
        templates.ReviewTemplateApply.as_view(),
        name="api_review_template",
    ),
    path("teams/<uuid:team_id>/", teams.TeamDetail.as_view(), name="api_team_detail"),
    path(
        "teams/<uuid:team_id>/review-import/",
        review_import.ReviewImport.as_view(),
        name="api_team_review_import",
    ),
    path("workloads/", workloads.WorkloadList.as_view(), name="api_workload_list"),
    path("workloads/<uuid:workload_id>/", workloads.WorkloadDetail.as_view(), name="api_workload_detail"),
    path(
        "workloads/<uuid:workload_id>/archive/",
        workloads.WorkloadArchive.as_view(),
        name="api_workload_archive",
    ),
    path("workloads/<uuid:workload_id>/shares/", sharing.ShareList.as_view(), name="api_share_list"),
    path(
        "workloads/<uuid:workload_id>/shares/<uuid:share_id>/",
        sharing.ShareDetail.as_view(),
        name="api_share_detail",
    ),
    path("workloads/<uuid:workload_id>/reviews/", reviews.ReviewList.as_view(), name="api_review_list"),
    path("reviews/<uuid:review_id>/", reviews.ReviewDetail.as_view(), name="api_review_detail"),
    path("reviews/<uuid:review_id>/answers/", answers.AnswerList.as_view(), name="api_answer_list"),
    path(
        "reviews/<uuid:review_id>/files/",
        evidence_files.EvidenceFileList.as_view(),
        name="api_evidence_file_list",
    ),
    path(
        "reviews/<uuid:review_id>/files/<uuid:file_id>/",
        evidence_files.EvidenceFileDetail.as_view(),
        name="api_evidence_file_detail",
    ),
    path(
        "reviews/<uuid:review_id>/files/<uuid:file_id>/content/",
        evidence_files.EvidenceFileContent.as_view(),
        name="api_evidence_file_content",
    ),
    path(
        "reviews/<uuid:review_id>/answers/<str:question_code>/",
        answers.AnswerDetail.as_view(),
        name="api_answer_detail",
    ),
    path(
        "reviews/<uuid:review_id>/wa-tool/import/", watool.WaToolImport.as_view(), name="api_wa_tool_import"
    ),
    path(
        "reviews/<uuid:review_id>/wa-tool/export/", watool.WaToolExport.as_view(), name="api_wa_tool_export"
    ),
    path("reviews/<uuid:review_id>/wa-tool/link/", watool.WaToolLinkView.as_view(), name="api_wa_tool_link"),
    path(
        "reviews/<uuid:review_id>/wa-tool/create/", watool.WaToolCreate.as_view(), name="api_wa_tool_create"
    ),
    path(
        "reviews/<uuid:review_id>/wa-tool/upgrade/",
        watool.WaToolUpgrade.as_view(),
        name="api_wa_tool_upgrade",
    ),
    path("improvement-items/", items.ItemList.as_view(), name="api_item_list"),
    path("improvement-items/bulk/", items.ItemBulkUpdate.as_view(), name="api_item_bulk_update"),
    path("improvement-items/<uuid:item_id>/", items.ItemDetail.as_view(), name="api_item_detail"),
    path(
        "improvement-items/<uuid:item_id>/acceptances/",
        acceptances.ItemAcceptanceList.as_view(),
        name="api_acceptance_list",
    ),
    path(
        "acceptances/<uuid:acceptance_id>/",
        acceptances.AcceptanceDetail.as_view(),
        name="api_acceptance_detail",
    ),
    path(
        "acceptances/<uuid:acceptance_id>/decision/",
        acceptances.AcceptanceDecision.as_view(),
        name="api_acceptance_decide",
    ),
    path(
        "acceptances/<uuid:acceptance_id>/revoke/",
        acceptances.AcceptanceRevoke.as_view(),
        name="api_acceptance_revoke",
    ),
    path("tokens/", tokens.TokenList.as_view(), name="api_token_list"),
    path("tokens/<uuid:token_id>/", tokens.TokenDetail.as_view(), name="api_token_detail"),
    path(
        "workloads/<uuid:workload_id>/improvement-items/",
        items.WorkloadItemList.as_view(),
        name="api_workload_item_list",
    ),
    path(
        "workloads/<uuid:workload_id>/milestones/",
        milestones.MilestoneList.as_view(),
        name="api_milestone_list",
    ),
    path(
        "milestones/<uuid:milestone_id>/", milestones.MilestoneDetail.as_view(), name="api_milestone_detail"
    ),
    path(
        "milestones/<uuid:milestone_id>/compare/",
        milestones.MilestoneCompare.as_view(),
        name="api_milestone_compare",
    ),
    path("workloads/<uuid:workload_id>/evidence-runs/", evidence.RunList.as_view(), name="api_run_list"),
    path("evidence-runs/<uuid:run_id>/", evidence.RunDetail.as_view(), name="api_run_detail"),
    path("evidence-runs/<uuid:run_id>/cancel/", evidence.RunCancel.as_view(), name="api_run_cancel"),
    path("evidence-runs/<uuid:run_id>/findings/", evidence.RunFindings.as_view(), name="api_run_findings"),
    path(
        "workloads/<uuid:workload_id>/evidence-imports/",
        evidence_imports.ImportList.as_view(),
        name="api_import_list",
    ),
    path(
        "evidence-imports/<uuid:import_id>/",
        evidence_imports.ImportDetail.as_view(),
        name="api_import_detail",
    ),
    path(
        "evidence-imports/<uuid:import_id>/findings/",
        evidence_imports.ImportFindings.as_view(),
        name="api_import_findings",
    ),
    path("reviews/<uuid:review_id>/reports/", reports.ReportList.as_view(), name="api_report_list"),
    path("reports/<uuid:job_id>/", reports.ReportDetail.as_view(), name="api_report_detail"),
    path("reports/<uuid:job_id>/download/", reports.ReportDownload.as_view(), name="api_report_download"),
    path(
        "consolidated-reports/",
        portfolio.ConsolidatedReportList.as_view(),
        name="api_consolidated_report_list",
    ),
    path("dashboard-filters/", portfolio.SavedFilterList.as_view(), name="api_saved_filter_list"),
    path("dashboard/totals/", portfolio.DashboardTotals.as_view(), name="api_dashboard_totals"),
    path(
        "dashboard-filters/<uuid:filter_id>/",
        portfolio.SavedFilterDetail.as_view(),
        name="api_saved_filter_detail",
    ),
    path("teams/<uuid:team_id>/jira/", jira.TeamJira.as_view(), name="api_team_jira"),
    path("teams/<uuid:team_id>/jira/test/", jira.TeamJiraTest.as_view(), name="api_team_jira_test"),
    path("improvement-items/<uuid:item_id>/jira/", jira.ItemJira.as_view(), name="api_item_jira"),
    *(
        path(
            f"improvement-items/<uuid:item_id>/jira/{name}/",
            jira.ItemJiraAction.as_view(action_name=name),
            name=f"api_item_jira_{name}",
        )
        for name in ("sync", "confirm", "dismiss")
    ),
    path(
        "workloads/<uuid:workload_id>/jira/issues/",
        jira.WorkloadJiraIssues.as_view(),
        name="api_workload_jira_issues",
    ),
    path(
        "workloads/<uuid:workload_id>/jira/sync/",
        jira.WorkloadJiraSync.as_view(),
        name="api_workload_jira_sync",
    ),
    path("lenses/", lenses.LensList.as_view(), name="api_lens_list"),
    path("lens-imports/", lenses.LensImport.as_view(), name="api_lens_import"),
    path("lens-imports/preview/", lenses.LensImportPreview.as_view(), name="api_lens_import_preview"),
    path("lenses/<slug:slug>/", lenses.LensDetail.as_view(), name="api_lens_detail"),
    path("lenses/<slug:slug>/export/", lenses.LensExport.as_view(), name="api_lens_export"),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", docs.SchemaView.as_view(), name="api_schema"),
    path("docs/", docs.api_docs, name="api_docs"),
]
