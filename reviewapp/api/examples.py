"""Identifiers and values shared by the OpenAPI examples, so the examples agree with each other."""

from __future__ import annotations

TEAM_ID = "3f1c2b9e-6d1a-4c57-9a0e-2b7f0d4c8e11"
WORKLOAD_ID = "8a4e6f0c-1b2d-4e3f-9a8b-7c6d5e4f3a2b"
REVIEW_ID = "c2d4e6f8-0a1b-4c3d-8e5f-6a7b8c9d0e1f"
ITEM_ID = "5b7d9f1a-3c5e-4a7b-9d1f-2e4a6c8e0b3d"
MILESTONE_ID = "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b"
OTHER_MILESTONE_ID = "f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f"
RUN_ID = "9c8b7a6f-5e4d-4c3b-8a29-1f0e9d8c7b6a"
REPORT_ID = "7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928"
WHEN = "2025-03-14T09:26:53Z"
LATER = "2025-03-15T16:05:00Z"
USERNAME = "olivia_owner"
