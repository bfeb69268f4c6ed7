"""bot.language: which questions are in a language the bot does not speak, and the reply they get.

The sentences are hand-written for this test (none come from eval/datasets/).
"""

from __future__ import annotations

import threading

import pytest

from bot import language
from bot.language import REPLIES, language_reply, unsupported_language

CITY_QUESTIONS = {
    "zh": [
        "我想申请儿童补贴，需要带什么材料？",
        "保育园入园手续怎么办",
        "垃圾应该怎么分类？",
        "请问在哪里办理住民票",
    ],
    "zh-TW": [
        "請問如何申請居留證明？",
        "我想知道兒童津貼怎麼申請",
        "垃圾要怎麼分類呢？",
    ],
    "ko": [
        "아이 예방접종은 어디서 받을 수 있나요?",
        "쓰레기 분리수거 방법을 알려주세요",
        "주민표를 발급받고 싶어요",
    ],
    "vi": [
        "Tôi muốn hỏi về thủ tục đăng ký nhà trẻ cho con",
        "Làm thế nào để chuyển địa chỉ?",
        "Xin cho biết cách phân loại rác",
    ],
    "pt": [
        "Como faço para matricular meu filho na creche?",
        "Onde posso pegar o atestado de residência?",
        "Quero saber sobre a vacinação das crianças",
        "Quero saber sobre a creche",  # lingua's low accuracy mode: Spanish
        "Como pagar o imposto de residente?",  # lingua: Tagalog
    ],
    "es": [
        "¿Dónde puedo solicitar el certificado de residencia?",
        "Quiero inscribir a mi hijo en la guardería",
        "¿Cómo se separa la basura en esta ciudad?",
        "Necesito renovar mi visa",  # lingua: Portuguese
        "¿Dónde tiro la basura grande?",  # lingua: Tagalog 0.39, English 0.20
    ],
    "tl": [
        "Paano po mag-apply ng allowance para sa anak ko?",
        "Saan po ako pwedeng kumuha ng sertipiko ng paninirahan?",
        "Kailan po ang koleksyon ng basura sa aming lugar?",
        "Buntis po ang asawa ko, saan kukuha ng handbook?",
    ],
    "id": [
        "Saya ingin bertanya tentang pendaftaran sekolah anak saya",
        "Bagaimana cara membuang sampah besar?",
        "Di mana saya bisa mendapatkan surat keterangan domisili?",
    ],
    "th": [
        "อยากสอบถามเรื่องการฉีดวัคซีนของลูก",
        "ต้องทิ้งขยะวันไหนคะ",
    ],
    "ne": [
        "मेरो बच्चालाई नर्सरीमा भर्ना गर्न के गर्नुपर्छ?",
        "फोहोर कहिले फाल्ने हो?",
    ],
    "fr": [
        "Comment inscrire mon enfant à la crèche ?",
        "Où puis-je obtenir un certificat de résidence ?",
    ],
    "de": [
        "Wie melde ich mein Kind im Kindergarten an?",
        "Wo bekomme ich eine Meldebescheinigung?",
    ],
    "ru": [
        "Как записать ребёнка в детский сад?",
        "Где можно получить справку о месте жительства?",
    ],
    "uk": ["Як записати дитину до дитячого садка?"],
}

JAPANESE = [
    "住民票の写しはどこでとれますか",  # kana and kanji
    "住民票申請",  # kanji only, short
    "児童手当",
    "保育園入園申込",
    "粗大ごみ収集日",
    "じどうてあて　しんせい",  # hiragana only
    "ほいくえん見学できる？",
    "マイナンバーカード",  # katakana only
    "子どもが熱😢どうしたらいい？",  # with emoji
    "予防接種の予約🙏",
    "市民課の受付時間",  # kanji only with 時間 (a word Chinese also writes)
]

ENGLISH_OR_UNCLEAR = [
    "hello",
    "My Number card",
    "Where can I get a residence certificate?",
    "How do I apply for child allowance?",
    "garbage collection schedule please",
    "ok",
    "Hola",  # too short to tell
    "Obrigado!",
    "???",
    "🙏🙏",
    "",
    "12345",
    "中",  # one character
    "jumin hyo wa doko de moraemasu ka",  # romaji Japanese (lingua says Indonesian)
    "gomi no dashikata oshiete",  # romaji Japanese (lingua says German)
    "Jidou teate no shinsei houhou wo oshiete kudasai",
    "pls help my son has fever",
    "lost my zairyu card what do i do",
    "Can I pay my tax at konbini?",
    # English keyword queries that lingua's low accuracy mode reads as German or French with confidence 0.97-0.99
    "kindergarten lunch menu",
    "pension exemption application",
    "Toyama Bay sushi recommendation",
]


@pytest.mark.parametrize(("code", "text"), [(c, t) for c, texts in CITY_QUESTIONS.items() for t in texts])
def test_city_questions_in_other_languages_are_recognised(code: str, text: str) -> None:
    assert unsupported_language(text) == code


@pytest.mark.parametrize("text", JAPANESE)
def test_japanese_goes_the_usual_way(text: str) -> None:
    assert unsupported_language(text) is None


@pytest.mark.parametrize("text", ENGLISH_OR_UNCLEAR)
def test_english_and_short_latin_text_go_the_usual_way(text: str) -> None:
    assert unsupported_language(text) is None


def test_kanji_only_text_is_japanese_unless_a_character_is_simplified_only() -> None:
    """申請 is written in both languages; 申请 (请 is not in Japanese's character set) only in Chinese."""
    assert unsupported_language("住民票申請") is None
    assert unsupported_language("住民票申请") == "zh"


def test_kanji_only_text_with_chinese_function_word_is_chinese() -> None:
    """No simplified-only character, but 請問 and 我 are Chinese grammar: Chinese (Traditional)."""
    assert unsupported_language("請問我要去哪個窗口") == "zh-TW"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("မင်္ဂလာပါ ကလေးကျောင်း အကြောင်း မေးချင်ပါတယ်", "my"),
        ("أين يمكنني تسجيل طفلي في الحضانة؟", "ar"),
        ("আমার সন্তানের স্কুল", "bn"),
    ],
)
def test_other_scripts_are_recognised_and_get_the_english_reply(text: str, code: str) -> None:
    assert unsupported_language(text) == code
    assert language_reply(code) == language_reply("en")


def test_hindi_is_told_from_nepali() -> None:
    assert unsupported_language("मुझे अपने बच्चे के लिए स्कूल में दाखिला चाहिए, क्या करना है?") == "hi"


@pytest.mark.parametrize("code", sorted(REPLIES))
def test_every_reply_offers_staff_with_short_labels(code: str) -> None:
    reply = language_reply(code)
    assert reply.code == code
    assert "staff" in reply.text  # the English line is always there
    assert len(reply.text.splitlines()) == (2 if code == "en" else 3)  # offer, English offer, consultation
    for label in (reply.yes_label, reply.no_label):
        assert 0 < len(label.encode("utf-16-le")) // 2 <= 20  # LINE counts UTF-16 units
    assert len(reply.text) < 1000
    assert not any(ch.isdigit() for ch in reply.text), "no invented phone number"


def test_replies_are_in_their_own_language() -> None:
    """Each reply's first line is detected as its own language (the Latin ones) or written in its script."""
    for code in ("vi", "pt", "es", "fr", "de", "id", "tl", "ko", "th", "ru", "uk", "ne", "zh", "zh-TW"):
        first_line = language_reply(code).text.splitlines()[0]
        assert unsupported_language(first_line) == code, code


def test_every_detected_language_has_its_own_reply() -> None:
    for code in CITY_QUESTIONS:
        assert language_reply(code).code == code


@pytest.mark.parametrize("code", ["xx", "my", "ar", "it", ""])
def test_a_language_without_its_own_text_gets_the_english_reply(code: str) -> None:
    reply = language_reply(code)
    assert reply == language_reply("en")
    assert reply.yes_label == "Yes, ask staff"
    assert reply.text.startswith("This service answers in Japanese and English")


def test_detector_is_built_once_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    builds: list[int] = []
    real_build = language._build_detector

    def counting_build() -> object:
        builds.append(1)
        return real_build()

    monkeypatch.setattr(language, "_detector", None)
    monkeypatch.setattr(language, "_build_detector", counting_build)
    threads = [threading.Thread(target=language.detector) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1
    assert language.detector() is language.detector()
