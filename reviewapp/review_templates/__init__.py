"""Review templates: answers a team (or the organisation) keeps to pre-fill reviews. Models only; the writes are in
services/templates.py and the reads in selectors/templates.py, like every other area."""
