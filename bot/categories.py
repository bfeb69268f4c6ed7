"""The three topics the bot covers, and which of their questions a category tap shows first.

"Most asked" here is an explicit editorial order, not usage counts: Tsunagu stores no per-entry answer log
(the outbox holds opaque LINE messages, deleted with a user's 「データ削除」), so counting would mean inventing
numbers. ``FEATURED`` lists, for the sample Toyama pack, the topics a city's front desk is asked about most
(nursery places, child allowance, certificates, moving, garbage, getting around); ids a pack does not have are
skipped, and the rest of the category follows in id order so every pack gets a stable list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from knowledge.schema import FaqEntryData


@dataclass(frozen=True)
class Category:
    slug: str  # the pack's category slug
    label: str  # button label
    scope: str  # one line on what the bot can answer in it


CATEGORIES = (
    Category("childcare", "子育て",
             "保育園・児童手当・健診や予防接種・こども医療費・妊娠や出産の手続きなどにお答えします。"),
    Category("tourism", "観光", "富山市への行き方・路面電車・観光スポット・名物やおみやげなどにお答えします。"),
    Category("procedures", "手続き",
             "住民票などの証明書・引っ越し・マイナンバーカード・ごみの出し方・国民健康保険・市税などにお答えします。"),
)
BY_SLUG = {category.slug: category for category in CATEGORIES}

FEATURED: dict[str, tuple[str, ...]] = {
    "childcare": (
        "childcare-nursery-apply-period", "childcare-nursery-documents", "childcare-allowance-apply-birth",
        "childcare-allowance-payment-month", "childcare-allowance-amount", "childcare-medical-overview",
        "childcare-emergency-8000", "childcare-checkup-overview", "childcare-vaccine-schedule",
        "childcare-pregnancy-notification-where", "childcare-afterschool-apply", "childcare-tempcare-what",
    ),
    "procedures": (
        "procedures-cert-juminhyo-how", "procedures-cert-convenience", "procedures-moving-transfer-in-documents",
        "procedures-moving-transfer-out", "procedures-garbage-collection-day", "procedures-garbage-oversized",
        "procedures-mynumber-apply", "procedures-mynumber-lost", "procedures-cert-seal-register",
        "procedures-tax-income-certificate", "procedures-nhi-join", "procedures-tax-resident-tax-payment",
    ),
    "tourism": (
        "tourism-access-from-tokyo", "tourism-tram-how-to-ride", "tourism-tram-fare", "tourism-spot-kansui-park",
        "tourism-spot-starbucks", "tourism-spot-glass-museum", "tourism-spot-alpen-route-access",
        "tourism-spot-owara", "tourism-spot-food-black-ramen", "tourism-spot-souvenir", "tourism-spot-with-kids",
        "tourism-spot-tourist-info",
    ),
}


def top_entries(entries: Mapping[str, FaqEntryData], slug: str, limit: int) -> list[str]:
    """Up to ``limit`` entry ids of category ``slug``: the featured ones first, then the rest by id."""
    in_category = {faq_id for faq_id, entry in entries.items() if entry.category == slug}
    featured = [faq_id for faq_id in FEATURED.get(slug, ()) if faq_id in in_category]
    rest = sorted(in_category - set(featured))
    return [*featured, *rest][:limit]
