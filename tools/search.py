"""Product search terms, LIKE escaping, ranking, and matching what a caller names to an item."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from tools.errors import AmbiguousItem, ItemNotInOrder
from tools.models import Order, OrderItem, Product

MAX_TERMS = 6
MAX_TERM_CHARS = 40
MAX_RESULTS = 10
CANDIDATE_LIMIT = 200
LIKE_ESCAPE = "\\"
RELEVANCE_FLOOR = 0.6

_SPLIT = re.compile(r"[\s,.;:!?()\[\]{}\"/]+")
_STOPWORDS = frozenset(
    """a an and any are can could do does for from have how i in is it its me much my of on or
    please price cost costs sell the there this to what which with you your do we got about tell
    know looking want need buy get some stock available""".split()
)


def query_terms(query: str) -> list[str]:
    """Return up to MAX_TERMS lower-case search terms, singular where a plural 's' was said."""
    text = unicodedata.normalize("NFKC", query).lower()
    terms: list[str] = []
    for raw in _SPLIT.split(text[: MAX_TERMS * MAX_TERM_CHARS * 2]):
        term = raw.strip("'-*&+")[:MAX_TERM_CHARS]
        if len(term) < 2 or term in _STOPWORDS or not term.isprintable():
            continue
        if term.endswith("ies") and len(term) > 4:
            term = term[:-3] + "y"
        elif term.endswith("s") and not term.endswith("ss") and len(term) > 3:
            term = term[:-1]
        if term not in terms:
            terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return terms


def escape_like(term: str) -> str:
    """Escape LIKE wildcards so a term only ever matches itself (use with ESCAPE '\\')."""
    return (
        term.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def like_pattern(term: str) -> str:
    return f"%{escape_like(term)}%"


def rank_products(products: Iterable[Product], terms: list[str], *, limit: int) -> list[Product]:
    """Order products by how well they match the terms (name counts most), dropping misses."""
    scored: list[tuple[int, str, Product]] = []
    for product in products:
        name, category = product.name.lower(), product.category.lower()
        text = f"{product.description} {product.sku}".lower()
        score = 0
        for term in terms:
            if term in name:
                score += 4 if re.search(rf"\b{re.escape(term)}", name) else 3
            elif term in category:
                score += 3
            elif term in text:
                score += 1
        if score:
            scored.append((-score, product.name, product))
    scored.sort(key=lambda entry: (entry[0], entry[1]))
    if not scored:
        return []
    floor = -scored[0][0] * RELEVANCE_FLOOR  # drop weak matches when strong ones exist
    kept = [product for score, _, product in scored if -score >= floor]
    return kept[: max(1, min(limit, MAX_RESULTS))]


def match_order_item(order: Order, text: str) -> OrderItem:
    """Find the order line a caller means by SKU or product-name words."""
    lowered = text.lower()
    for line in order.items:
        if lowered in (line.sku.lower(), line.product_name.lower()):
            return line
    terms = query_terms(text)
    if not terms:
        if len(order.items) == 1:
            return order.items[0]
        names = tuple(line.product_name for line in order.items)
        raise AmbiguousItem(order_id=order.order_id, names=names)
    scored = [(sum(t in line.product_name.lower() for t in terms), line) for line in order.items]
    best = max(score for score, _ in scored)
    matches = [line for score, line in scored if score == best and score > 0]
    if not matches:
        raise ItemNotInOrder(order_id=order.order_id)
    if len(matches) > 1:
        raise AmbiguousItem(order_id=order.order_id, names=tuple(m.product_name for m in matches))
    return matches[0]
