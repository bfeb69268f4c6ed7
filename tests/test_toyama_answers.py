"""End to end on the real sample pack and the real default embedder (slow: embeds the whole pack once)."""

import pytest

from knowledge.packs import read_pack
from retrieval.cache import MemoryVectorStore
from retrieval.decision import DecisionKind
from retrieval.engine import Retriever
from retrieval.factory import make_retriever
from tests.conftest import TOYAMA_PACK
from tsunagu.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def toyama() -> Retriever:
    pack = read_pack(TOYAMA_PACK)
    retriever = make_retriever(Settings(), synonyms=pack.synonyms, store=MemoryVectorStore())
    retriever.build(pack.entries)
    return retriever


def test_readme_question_is_answered_from_the_pack(toyama: Retriever) -> None:
    decision = toyama.decide("保育園の申し込みはいつから？")
    assert decision.kind is DecisionKind.ANSWER
    assert decision.faq_id == "childcare-nursery-apply-period"


def test_out_of_scope_chit_chat_is_not_answered(toyama: Retriever) -> None:
    assert toyama.decide("今日の晩ごはん何にしようかな").kind is not DecisionKind.ANSWER
