"""Findings from the scanners teams already run (Prowler, AWS Security Hub CSPM), imported as evidence.

parsers.py reads the files as a stream and reports malformed input with a JSON path or a CSV line;
mapping.py maps scanner check ids and control ids to best practices from the data files in checks/data/;
service.py writes an import in one transaction, or nothing at all.
"""
