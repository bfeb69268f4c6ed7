from retrieval.normalize import Normalizer, SynonymMap, fold, fold_kana, has_meaningful_text


def test_fold_applies_nfkc_width_and_case() -> None:
    assert fold("ＡＢＣ　ｶﾀｶﾅ １２３") == "abc カタカナ 123"


def test_fold_kana_reads_katakana_as_hiragana_after_folding() -> None:
    assert fold_kana("ﾎｲｸｴﾝ　ホイクエン") == "ほいくえん ほいくえん"
    assert fold_kana("ABC ゴミ") == "abc ごみ"


def test_fold_removes_control_characters() -> None:
    assert fold("保育\u0000園\u200b\u0007") == "保育園"


def test_tokens_unify_spelling_variants() -> None:
    normalizer = Normalizer()
    assert normalizer.tokens("子ども")[0] == normalizer.tokens("子供")[0]
    assert normalizer.tokens("申し込み")[0] == normalizer.tokens("申込み")[0]


def test_tokens_drop_particles_and_stop_words() -> None:
    tokens = Normalizer().tokens("保育園の申し込みはいつからですか？")
    assert "の" not in tokens and "は" not in tokens and "？" not in tokens
    assert "申し込み" in tokens


def test_tokens_let_hiragana_meet_kanji_through_readings() -> None:
    normalizer = Normalizer()
    kanji = set(normalizer.tokens("児童手当"))
    hiragana = set(normalizer.tokens("じどうてあて"))
    assert {"じどう", "てあて"} <= kanji & hiragana


def test_synonyms_rewrite_to_canonical_form() -> None:
    normalizer = Normalizer([["保育所", "保育園"]])
    assert normalizer.tokens("保育園") == normalizer.tokens("保育所")


def test_synonym_inside_canonical_word_is_not_rewritten_twice() -> None:
    synonyms = SynonymMap([["申込み", "申込", "申し込み"]])
    assert synonyms.apply("申込みと申込と申し込み") == "申込みと申込みと申込み"
    assert len(synonyms) == 2


def test_has_meaningful_text_rejects_emoji_and_symbols() -> None:
    assert not has_meaningful_text("😭🙏!!")
    assert has_meaningful_text("😭 保育園")
    assert has_meaningful_text("help")


def test_is_latin_script_tells_english_from_japanese() -> None:
    from retrieval.normalize import is_latin_script

    assert is_latin_script("How do I ride the tram?")
    assert is_latin_script("hoikuen moushikomi")
    assert not is_latin_script("保育園のapplication")
    assert not is_latin_script("12345 !!")


def test_place_names_are_found_by_reading() -> None:
    normalizer = Normalizer()
    assert normalizer.place_names("金沢市の保育園の申し込み") == {"カナザワ"}
    assert normalizer.place_names("保育園の申し込み") == set()
