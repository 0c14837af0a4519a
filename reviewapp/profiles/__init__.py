"""Workload profiles: the business context that tells which questions and practices come first. Models only; the
writes are in services/profiles.py, the rules' vocabulary in questionnaire/profiles.py."""
