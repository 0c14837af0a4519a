"""Facts of the AWS custom-lens format (schemaVersion "2021-11-01") and what the reader reports about a file.

From the AWS Well-Architected Tool user guide ("Lens format specification") and the WA Tool API reference:

* a lens file is at most 500 KB; the lens has `schemaVersion`, `name` (<= 128 characters), `description`
  (<= 2048) and `pillars` (the tool allows 10), each with `id`, `name` (<= 128) and `questions` (at most 20);
* ids are 3+ letters, digits or "_"; the guide allows 128 for pillar, question and choice ids, the API caps
  PillarId and ChoiceId at 64, and our `code` columns hold 64, so we accept at most 64 everywhere;
* a question has `id`, `title` (<= 128), optional `description` (<= 2048) and `helpfulResource`
  {`displayText` (<= 2048, needed when `url` is given), `url` (http:// or https://)}, `choices`, `riskRules`;
* a choice has `id` (unique in its question), `title` (<= 128), optional `helpfulResource`, an
  `improvementPlan` {`displayText` (<= 2048), optional `url`} and optional `additionalResources` [{`type`:
  HELPFUL_RESOURCE or IMPROVEMENT_PLAN, `content`: [{displayText, url}]}], at most five of each type;
  at most 15 choices;
* a choice whose id ends in `_no` is the question's "None of these" choice (it needs no improvement plan);
* `riskRules`: at most three, one per risk (HIGH_RISK, MEDIUM_RISK, NO_RISK), each a `condition` over the
  question's choice ids (`&&`, `||`, `!`, parentheses) or `default`; the first condition that holds sets the
  risk, so `default` only makes sense last.

Published lenses do not always keep to this (trailing spaces in URLs, `NaN` titles, no `default` rule, more
pillars than the tool's ten): the reader repairs what has one clear meaning and reports every repair as a
`LensWarning`; what it cannot read with certainty is a `Problem`, and any problem refuses the whole file.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Lens, LensVersion, RiskRule, RuleRisk, max_length

SCHEMA_VERSION = "2021-11-01"
MAX_FILE_CHARS = 500_000
TOOL_MAX_PILLARS = 10  # the tool's own limit: more is imported here, with a warning
MAX_QUESTIONS_PER_PILLAR = 20
MAX_CHOICES = 15
MAX_RULES = 3
MAX_ADDITIONAL_PER_TYPE = 5
MAX_NAME = 128  # lens and pillar names, question and choice titles
MAX_TEXT = 2048  # descriptions and displayText
MAX_URL = 2048
MIN_ID, MAX_ID = 3, 64
MAX_LABEL = max_length(LensVersion, "label")
MAX_CONDITION = max_length(RiskRule, "condition")
MAX_SLUG = max_length(Lens, "slug")
DEFAULT_LABEL = "1"
NONE_SUFFIX = "_no"
NONE_TITLE = "None of these"
QUESTION_HELP_TEXT = "More about this question"
RESOURCE_TYPES = ("HELPFUL_RESOURCE", "IMPROVEMENT_PLAN")

IMPORT_RISK = {"HIGH_RISK": RuleRisk.HIGH, "MEDIUM_RISK": RuleRisk.MEDIUM, "NO_RISK": RuleRisk.NONE}
EXPORT_RISK = {str(risk): name for name, risk in IMPORT_RISK.items()}


@dataclass(frozen=True)
class _AtPath:
    path: str  # a JSON path such as `$.pillars[0].questions[2].id`
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Problem(_AtPath):
    """One thing wrong with a lens file: any problem refuses the whole file."""


@dataclass(frozen=True)
class LensWarning(_AtPath):
    """Something the reader repaired, skipped or left out: imported, but never silently."""


class LensFormatError(ValueError):
    """A lens file that cannot be imported, with every problem found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


class LensExportError(ValueError):
    """A lens that cannot be written as a valid custom lens (e.g. too many best practices in a question)."""
