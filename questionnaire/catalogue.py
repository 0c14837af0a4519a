"""Reading and writing lens versions through one neutral shape.

Both our own lens files (`lenses/*.json`) and AWS custom-lens JSON are turned into a `LensDoc` first; this module
alone stores a LensDoc as a LensVersion (idempotently: the same content is the same version) and reads one back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Max, Prefetch

from .models import BestPractice, Lens, LensVersion, Pillar, Question, RiskRule
from .profiles import rule_problems

LENS_DIR = Path(__file__).resolve().parent / "lenses"
OWN_FORMAT = "reviewapp-lens/1"


@dataclass
class BestPracticeDoc:
    code: str
    choice_id: str
    title: str
    level: str = ""
    description: str = ""
    guidance: str = ""
    verification: str = ""
    improvement: str = ""
    doc_url: str = ""
    improvement_url: str = ""
    # Other WA Tool choice ids known for this practice (renamed ids, other published mappings).
    choice_aliases: list[str] = field(default_factory=list)
    # A custom lens's additionalResources: [{"type": HELPFUL_RESOURCE | IMPROVEMENT_PLAN, "text", "url"}].
    resources: list[dict[str, str]] = field(default_factory=list)


@dataclass
class RiskRuleDoc:
    condition: str
    risk: str


@dataclass
class QuestionDoc:
    code: str
    wa_id: str
    title: str
    description: str = ""
    area: str = ""
    helpful_url: str = ""
    helpful_text: str = ""
    best_practices: list[BestPracticeDoc] = field(default_factory=list)
    risk_rules: list[RiskRuleDoc] = field(default_factory=list)


@dataclass
class PillarDoc:
    code: str
    name: str
    questions: list[QuestionDoc] = field(default_factory=list)
    notes: str = ""


@dataclass
class LensDoc:
    slug: str
    name: str
    label: str
    kind: str
    risk_model: str
    description: str = ""
    pillars: list[PillarDoc] = field(default_factory=list)
    tool_lens_versions: list[str] = field(default_factory=list)
    # Profile rules (questionnaire/profiles.py): priorities, not content, so they never make a new version.
    profile_rules: list[dict] = field(default_factory=list)

    def content_sha256(self) -> str:
        """Hash of everything a review depends on; the slug and kind identify the lens, not its content.

        Choice-id aliases are mapping data, not content (see lens_version_store), and fields added after the
        first release count only when set, so a lens stored before them keeps its hash (exports refer to it).
        """
        content = asdict(self)
        del content["slug"], content["kind"], content["tool_lens_versions"], content["profile_rules"]
        for pillar in content["pillars"]:
            _drop_empty(pillar, "notes")
            for question in pillar["questions"]:
                _drop_empty(question, "helpful_text")
                for practice in question["best_practices"]:
                    del practice["choice_aliases"]
                    _drop_empty(practice, "resources")
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def questions(self) -> list[QuestionDoc]:
        return [question for pillar in self.pillars for question in pillar.questions]


def _drop_empty(content: dict, key: str) -> None:
    if not content[key]:
        del content[key]


def own_lens_doc(data: dict) -> LensDoc:
    """Our own lens file format (see lenses/security-pillar.json) as a LensDoc."""
    if data.get("format") != OWN_FORMAT:
        raise ValueError(f"not a {OWN_FORMAT} file (format={data.get('format')!r})")
    base = data["doc_base_url"]
    pillars = []
    for pillar in data["pillars"]:
        questions = []
        for question in pillar["questions"]:
            practices = [
                BestPracticeDoc(
                    code=bp["id"],
                    choice_id=bp["choice_id"],
                    title=bp["title"],
                    level=bp["risk"],
                    guidance=bp["guidance"],
                    verification=bp["verification"],
                    improvement=bp["improvement"],
                    # The AWS page's slug and the tool's choice id are separate facts that may differ.
                    doc_url=f"{base}{bp['doc_slug']}.html",
                    choice_aliases=list(bp.get("choice_aliases", [])),
                )
                for bp in question["best_practices"]
            ]
            questions.append(
                QuestionDoc(
                    code=question["id"],
                    wa_id=question["wa_id"],
                    title=question["title"],
                    description=question["description"],
                    area=question["area"],
                    best_practices=practices,
                )
            )
        pillars.append(PillarDoc(code=pillar["id"], name=pillar["name"], questions=questions))
    return LensDoc(
        slug=data["slug"],
        name=data["name"],
        label=data["version"],
        kind=Lens.Kind.BUILTIN,
        risk_model=LensVersion.RiskModel.LEVELS,
        description=data["description"],
        pillars=pillars,
        tool_lens_versions=list(data.get("wa_tool_lens_versions", [])),
    )


RULES_SUFFIX = ".profile-rules.json"


def read_own_lens_file(path: Path) -> LensDoc:
    """A lens file, with the profile rules kept beside it (`<name>.profile-rules.json`) when there are some."""
    doc = own_lens_doc(json.loads(path.read_text(encoding="utf-8")))
    rules_path = path.with_name(path.name.removesuffix(".json") + RULES_SUFFIX)
    if rules_path.exists():
        rules = json.loads(rules_path.read_text(encoding="utf-8")).get("profileRules")
        catalogue = {q.code: {bp.code for bp in q.best_practices} for q in doc.questions()}
        problems = rule_problems(rules, catalogue, "$.profileRules")
        if problems:
            raise ValueError(f"{rules_path.name}: " + "; ".join(f"{at}: {why}" for at, why in problems))
        doc.profile_rules = rules
    return doc


@transaction.atomic
def lens_version_store(doc: LensDoc) -> tuple[LensVersion, bool]:
    """Store `doc` as a new version of its lens, or return the version that already holds this content.

    Existing versions are never modified: a review pins its version, so changed content is a new version.
    """
    digest = doc.content_sha256()
    lens, _ = Lens.objects.select_for_update().get_or_create(
        slug=doc.slug, defaults={"name": doc.name, "description": doc.description, "kind": doc.kind}
    )
    existing = lens.versions.filter(content_sha256=digest).first()
    if existing is not None:
        _aliases_refresh(existing, doc)
        if (existing.tool_lens_versions, existing.profile_rules) != (
            doc.tool_lens_versions,
            doc.profile_rules,
        ):
            existing.tool_lens_versions = doc.tool_lens_versions
            existing.profile_rules = doc.profile_rules
            existing.save(update_fields=["tool_lens_versions", "profile_rules"])
        return existing, False
    if lens.name != doc.name or lens.description != doc.description:
        lens.name, lens.description = doc.name, doc.description
        lens.save(update_fields=["name", "description"])
    number = (lens.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = LensVersion.objects.create(
        lens=lens,
        number=number,
        label=doc.label,
        name=doc.name,
        description=doc.description,
        risk_model=doc.risk_model,
        content_sha256=digest,
        tool_lens_versions=doc.tool_lens_versions,
        profile_rules=doc.profile_rules,
    )
    question_order = 0
    for pillar_order, pillar_doc in enumerate(doc.pillars, start=1):
        pillar = Pillar.objects.create(
            lens_version=version,
            code=pillar_doc.code,
            name=pillar_doc.name,
            notes=pillar_doc.notes,
            order=pillar_order,
        )
        for question_doc in pillar_doc.questions:
            question_order += 1
            question = Question.objects.create(
                lens_version=version,
                pillar=pillar,
                code=question_doc.code,
                wa_id=question_doc.wa_id,
                title=question_doc.title,
                description=question_doc.description,
                area=question_doc.area,
                helpful_url=question_doc.helpful_url,
                helpful_text=question_doc.helpful_text,
                order=question_order,
            )
            BestPractice.objects.bulk_create(
                BestPractice(question=question, order=order, **asdict(bp))
                for order, bp in enumerate(question_doc.best_practices, start=1)
            )
            RiskRule.objects.bulk_create(
                RiskRule(question=question, order=order, condition=rule.condition, risk=rule.risk)
                for order, rule in enumerate(question_doc.risk_rules, start=1)
            )
    return version, True


def _aliases_refresh(version: LensVersion, doc: LensDoc) -> None:
    """Bring the stored choice-id aliases of `version` in line with `doc`.

    Aliases only say which WA Tool ids name a practice; they change no answer or risk, so learning one is not
    a new lens version: the version reviews already pin learns it.
    """
    wanted = {
        (question.code, practice.code): practice.choice_aliases
        for question in doc.questions()
        for practice in question.best_practices
    }
    practices = BestPractice.objects.filter(question__lens_version=version).select_related("question")
    changed = []
    for practice in practices:
        aliases = wanted.get((practice.question.code, practice.code), [])
        if practice.choice_aliases != aliases:
            practice.choice_aliases = aliases
            changed.append(practice)
    BestPractice.objects.bulk_update(changed, ["choice_aliases"])


def lens_version_doc(version: LensVersion) -> LensDoc:
    """Read a stored version back into the neutral shape (for export)."""
    questions = Question.objects.filter(lens_version=version).prefetch_related(
        Prefetch("best_practices", queryset=BestPractice.objects.order_by("order")),
        Prefetch("risk_rules", queryset=RiskRule.objects.order_by("order")),
    )
    by_pillar: dict[int, list[QuestionDoc]] = {}
    for question in questions.order_by("order"):
        by_pillar.setdefault(question.pillar_id, []).append(
            QuestionDoc(
                code=question.code,
                wa_id=question.wa_id,
                title=question.title,
                description=question.description,
                area=question.area,
                helpful_url=question.helpful_url,
                helpful_text=question.helpful_text,
                best_practices=[
                    BestPracticeDoc(
                        code=bp.code,
                        choice_id=bp.choice_id,
                        title=bp.title,
                        level=bp.level,
                        description=bp.description,
                        guidance=bp.guidance,
                        verification=bp.verification,
                        improvement=bp.improvement,
                        doc_url=bp.doc_url,
                        improvement_url=bp.improvement_url,
                        choice_aliases=list(bp.choice_aliases),
                        resources=list(bp.resources),
                    )
                    for bp in question.best_practices.all()
                ],
                risk_rules=[RiskRuleDoc(rule.condition, rule.risk) for rule in question.risk_rules.all()],
            )
        )
    return LensDoc(
        slug=version.lens.slug,
        name=version.name,
        label=version.label,
        kind=version.lens.kind,
        risk_model=version.risk_model,
        description=version.description,
        pillars=[
            PillarDoc(
                code=pillar.code, name=pillar.name, notes=pillar.notes, questions=by_pillar.get(pillar.id, [])
            )
            for pillar in version.pillars.order_by("order")
        ],
        tool_lens_versions=list(version.tool_lens_versions),
    )
