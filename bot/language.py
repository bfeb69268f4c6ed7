"""Questions in a language the bot does not speak: which language it is, and a short reply in it.

The bot answers in Japanese and English (English = Latin-script questions). A question in Chinese, Vietnamese,
Portuguese... gets a short reply in that language, with one English line, offering to send the question to city
staff. ``unsupported_language`` returns the ISO 639-1 code of such a question, ``None`` otherwise: Japanese,
English, and anything too short or unclear to tell goes the usual way (a wrong "English" costs a normal answer
attempt; a wrong foreign reply would keep a citizen from the answer).

How the language is decided, cheapest and surest signal first:

* any hiragana or katakana: Japanese. Hangul: Korean. Thai script: Thai. Devanagari: Nepali (Hindi when it uses
  Hindi-only function words). Myanmar, Arabic, Greek, Bengali... scripts: their main language (which gets the
  English reply). These need no model. Cyrillic: Ukrainian or Mongolian by their own letters, else lingua
  between Russian, Ukrainian and Mongolian.
* kanji/hanzi only: Japanese unless it uses a character Japanese does not write (not in cp932: 们, 这, 吗, 说...)
  or a Chinese function word (什么, 怎么, 请问, 我...). A statistical model cannot tell 「住民票申請」 from Chinese
  (lingua says Chinese with confidence 1.0), so it is not asked. Traditional vs simplified: characters only Big5
  has against characters only GB2312 has (the stdlib codecs, no table of our own).
* Latin script, at least three words: romaji Japanese (「gomi no dashikata oshiete」) and text with an English
  function word (「tell me a joke」) go the English way. Otherwise lingua (``lingua-language-detector``) weighs
  English against the Latin-script languages common among foreign residents; when it finds another language and
  gives English at most 0.25, the language is the one whose function words the text uses (lingua's confidence
  breaks ties), and None when it uses none: English keyword queries (「pension exemption application」, which
  lingua's low accuracy mode calls French at 0.99) stay English, and Portuguese and Spanish, which it confuses,
  are told apart.

Memory and speed (RSS before and after building, then 2,000 calls on one Portuguese question)::

    .venv/bin/python -c "import psutil,time;from bot import language as l;p=psutil.Process();\\
    r=p.memory_info().rss;t=time.perf_counter();l.detector();print('build s',round(time.perf_counter()-t,2),\\
    'RSS MiB',round((p.memory_info().rss-r)/2**20,1));q='Como faço para matricular meu filho na creche?';\\
    t=time.perf_counter();[l.unsupported_language(q) for _ in range(2000)];\\
    print('ms/call',round((time.perf_counter()-t)/2000*1e3,3))"

On the 2-core dev machine (shared, load 3-8), six runs: building takes 0.26-0.34 s and adds 24-31 MiB of RSS;
a call takes 0.15-0.31 ms. That is lingua's low accuracy mode (trigram models only) with the eleven
Latin and Cyrillic languages below. Its high accuracy mode (1- to 5-gram models) added 324 MiB
(with Italian as a twelfth language) and, with the same rules, got 50 of 51 other hand-written questions in 8
Latin-script languages and English right against 49 for this mode, so it is not worth its memory. Known misses:
Vietnamese typed without diacritics, French with English-looking words (they go the English way). Japanese,
Chinese, Korean, Thai and Devanagari are told by script, so their models are not loaded (they would only cost
memory).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrieval.normalize import has_meaningful_text

if TYPE_CHECKING:
    from lingua import LanguageDetector

KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
THAI = re.compile(r"[\u0e00-\u0e7f]")
DEVANAGARI = re.compile(r"[\u0900-\u097f]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# Letters that only Vietnamese writes among the languages we tell apart (ơ, ư, đ and the stacked tone marks).
VIETNAMESE_LETTER = re.compile(r"[ơưđƠƯĐ\u1ea0-\u1ef9]")
# One Hepburn/kunrei romaji word: syllables of an optional (doubled) consonant onset and a vowel, or a syllabic n.
ROMAJI_WORD = re.compile(
    r"(?:(?:[kstpc](?=[kstpc]))?(?:ky|gy|sh|sy|ch|ts|ny|hy|by|py|my|ry|j|[kgsztdnhbpmyrwfv])?[aiueoāīūēôō]|n)+"
)
# Particles and endings that mark a romaji sentence (「gomi no dashikata oshiete」, 「jumin hyo wa doko」).
ROMAJI_MARKERS = frozenset("wa ga wo ni de no ka desu masu desuka masuka kudasai onegai doko itsu nani dou".split())
ROMAJI_ENDINGS = ("masu", "masen", "desu", "tai", "shite", "oshiete", "mashita")
MIN_ROMAJI_SHARE = 0.8
# English words that the other Latin-script languages here do not write as words of their own ("a", "do", "no",
# "me", "on", "at", "in" are left out: Portuguese, Spanish, French, Tagalog or German have them). lingua's low
# accuracy mode reads short English as German or Vietnamese with confidence; one of these words keeps it English.
ENGLISH_WORDS = frozenset(
    "the is are were what which where when how who why can could would should does did have has my your our "
    "their there this that these those with from for of and to it i you he she they we get want need please tell "
    "about any much many".split()
)
MIN_ENGLISH_WORDS = 1
# A few function words of each Latin-script language: lingua's pick counts only when the text has one of them.
# English keyword queries (「kindergarten lunch menu」, 「pension exemption application」) have none, and lingua's
# low accuracy mode reads them as German or French with confidence 0.97-0.99.
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    code: frozenset(words.split())
    for code, words in {
        "pt": "o os a as de do da dos das em no na um uma meu minha eu é está onde como qual quando que para com "
        "não você posso preciso quero tem sobre",
        "es": "el la los las de del en un una mi yo es está dónde donde cómo como qué que cuál cuándo para con no "
        "puedo quiero necesito hay por sobre",
        "tl": "ang ng mga sa ko po ako ka ba na ano saan paano kailan bakit may wala ito yung namin ninyo natin pong "
        "akong",
        "id": "saya aku anda di ke dari yang dan ini itu apa bagaimana berapa kapan mana tidak bisa ada untuk dengan "
        "mau ingin harus sudah tolong",
        "vi": "tôi toi bạn ban của cua là có co không khong gì ở đâu dau cho và được duoc làm lam nào nao",
        "fr": "le la les de des du un une je j mon ma mes est où comment quand quel quelle pour avec pas ne puis dois "
        "il y a au aux en",
        "de": "der die das den dem des ein eine einen ich mein meine ist wo wie wann was für mit nicht kann muss und "
        "zu im am bei",
    }.items()
}
UKRAINIAN_LETTER = re.compile(r"[іїєґІЇЄҐ]")
MONGOLIAN_LETTER = re.compile(r"[өүӨҮ]")
# Chinese grammar words that a Japanese kanji-only phrase does not contain (的, 了, 想, 需要 do occur in Japanese
# compounds such as 目的, 完了, 感想, 需要, so they are left out).
CHINESE_FUNCTION_WORDS = (
    "什么", "什麼", "怎么", "怎麼", "怎样", "怎樣", "哪里", "哪裡", "哪裏", "在哪", "请问", "請問", "可以", "是否",
    "没有", "沒有", "吗", "嗎", "呢", "吧", "么", "麼", "我", "你", "您", "们", "們", "这", "這", "那个", "那個",
)  # fmt: skip
# Hindi function words Nepali does not use (Nepali: छ, हो, मा, को, गर्न...).
HINDI_WORDS = re.compile(r"(?:^|\s)(?:है|हैं|में|क्या|नहीं|और|का|की)(?:\s|$|[?.!।])")
MIN_HAN = 2
MIN_SCRIPT_LETTERS = 2
MIN_LATIN_WORDS = 3
# lingua's confidence (0..1, summing to 1 over the languages) that a Latin text is English, above which it goes
# the English way even when another language scores higher. Chosen on hand-written sentences (see the report).
MAX_ENGLISH_CONFIDENCE = 0.25

LATIN_LANGUAGES = (
    "ENGLISH",
    "VIETNAMESE",
    "PORTUGUESE",
    "SPANISH",
    "TAGALOG",
    "INDONESIAN",
    "FRENCH",
    "GERMAN",
)
CYRILLIC_LANGUAGES = ("RUSSIAN", "UKRAINIAN", "MONGOLIAN")
# Scripts that write one main language, by the first word of their letters' Unicode names. The bot reads none of
# them; those without a reply of their own get the English one (Arabic script stands for Urdu and Persian too).
SCRIPT_LANGUAGES = {
    "MYANMAR": "my", "ARABIC": "ar", "GREEK": "el", "HEBREW": "he", "BENGALI": "bn", "SINHALA": "si",
    "TAMIL": "ta", "KHMER": "km", "LAO": "lo", "GEORGIAN": "ka", "ARMENIAN": "hy", "ETHIOPIC": "am",
    "GUJARATI": "gu", "GURMUKHI": "pa", "TELUGU": "te", "KANNADA": "kn", "MALAYALAM": "ml", "TIBETAN": "bo",
}  # fmt: skip


def unsupported_language(text: str) -> str | None:
    """ISO 639-1 code when ``text`` is written in a language the bot does not speak (not Japanese, not English);
    None for Japanese, English, and for text too short or unclear to tell (those go the usual way)."""
    text = unicodedata.normalize("NFKC", text).strip()
    if not has_meaningful_text(text) or KANA.search(text):
        return None
    for script, code in ((HANGUL, "ko"), (THAI, "th")):
        if len(script.findall(text)) >= MIN_SCRIPT_LETTERS:
            return code
    if len(DEVANAGARI.findall(text)) >= MIN_SCRIPT_LETTERS:
        return "hi" if HINDI_WORDS.search(text) else "ne"
    if len(CYRILLIC.findall(text)) >= MIN_SCRIPT_LETTERS:
        return _cyrillic_language(text)
    if HAN.search(text):
        return _han_language(text)
    return _other_script_language(text) or _latin_language(text)


def _other_script_language(text: str) -> str | None:
    """The language of a script in ``SCRIPT_LANGUAGES`` when at least two letters are written in it."""
    counts = Counter(SCRIPT_LANGUAGES.get(unicodedata.name(char, "").split(" ")[0])
                     for char in text if unicodedata.category(char).startswith("L"))
    del counts[None]
    code = max(counts, key=lambda c: counts[c], default=None)
    return code if code is not None and counts[code] >= MIN_SCRIPT_LETTERS else None


def _cyrillic_language(text: str) -> str:
    """Ukrainian or Mongolian by the letters only they write, else lingua between them and Russian."""
    if UKRAINIAN_LETTER.search(text):
        return "uk"
    if MONGOLIAN_LETTER.search(text):
        return "mn"
    found = detector().detect_language_of(text)
    return _iso_code(found.name) if found is not None and found.name in CYRILLIC_LANGUAGES else "ru"


def _han_language(text: str) -> str | None:
    """``zh``/``zh-TW`` for Chinese, None for Japanese written in kanji only (the default when in doubt)."""
    hanzi = HAN.findall(text)
    if len(hanzi) < MIN_HAN:
        return None
    if not any(_not_japanese(ch) for ch in hanzi) and not any(word in text for word in CHINESE_FUNCTION_WORDS):
        return None
    traditional = sum(_encodable(ch, "big5") and not _encodable(ch, "gb2312") for ch in hanzi)
    simplified = sum(_encodable(ch, "gb2312") and not _encodable(ch, "big5") for ch in hanzi)
    return "zh-TW" if traditional > simplified else "zh"


def _not_japanese(char: str) -> bool:
    """True for a Han character outside Japanese's character set (cp932), such as 们, 这, 说."""
    return not _encodable(char, "cp932")


def _encodable(char: str, codec: str) -> bool:
    try:
        char.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def _latin_language(text: str) -> str | None:
    """A Latin-script language other than English when both lingua and the function words say so; else None."""
    words = LATIN_WORD.findall(text)
    if len(words) < MIN_LATIN_WORDS:
        return None
    if VIETNAMESE_LETTER.search(text):
        return "vi"
    if _is_romaji(words) or _looks_english(words):
        return None
    values = {c.language.name: c.value for c in detector().compute_language_confidence_values(text)}
    best = max(values, key=lambda name: values[name], default="ENGLISH")
    if best == "ENGLISH" or values.get("ENGLISH", 0.0) > MAX_ENGLISH_CONFIDENCE:
        return None
    return _by_function_words(words, values)


def _by_function_words(words: list[str], values: dict[str, float]) -> str | None:
    """The language with the most function words in ``words`` (lingua's confidence breaks ties), None for none.

    lingua's low accuracy mode confuses Portuguese and Spanish (「Necesito renovar mi visa」 reads as Portuguese);
    their function words tell them apart.
    """
    lowered = [word.lower() for word in words]
    hits = {code: sum(word in function_words for word in lowered) for code, function_words in FUNCTION_WORDS.items()}
    code = max(hits, key=lambda c: (hits[c], values.get(_lingua_name(c), 0.0)))
    return code if hits[code] > 0 else None


def _is_romaji(words: list[str]) -> bool:
    """Japanese typed in Latin letters: nearly every word is romaji syllables, with a particle or verb ending.

    lingua reads romaji as Indonesian or German with full confidence; the bot searches romaji as it is (the
    English path), as it did before this module.
    """
    lowered = [word.lower() for word in words]
    romaji = sum(bool(ROMAJI_WORD.fullmatch(word)) for word in lowered)
    marked = any(word in ROMAJI_MARKERS or word.endswith(ROMAJI_ENDINGS) for word in lowered)
    return marked and romaji >= MIN_ROMAJI_SHARE * len(lowered)


def _looks_english(words: list[str]) -> bool:
    """At least one English function word (「Is there an infant CPR class in English?」, 「tell me a joke」)."""
    return sum(word.lower() in ENGLISH_WORDS for word in words) >= MIN_ENGLISH_WORDS


def _lingua_name(code: str) -> str:
    from lingua import IsoCode639_1, Language

    return str(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())).name)


def _iso_code(language_name: str) -> str:
    from lingua import Language

    return str(Language.from_str(language_name).iso_code_639_1.name).lower()


_detector: LanguageDetector | None = None
_detector_lock = threading.Lock()


def detector() -> LanguageDetector:
    """The one lingua detector of the process, built on first use (about 25 MiB; see the module doc)."""
    global _detector
    if _detector is None:
        with _detector_lock:
            if _detector is None:
                _detector = _build_detector()
    return _detector


def _build_detector() -> LanguageDetector:
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in LATIN_LANGUAGES + CYRILLIC_LANGUAGES]
    return (
        LanguageDetectorBuilder.from_languages(*languages)
        .with_low_accuracy_mode()
        .with_preloaded_language_models()
        .build()
    )


@dataclass(frozen=True)
class LanguageReply:
    """The reply to a question in a language the bot does not speak, with the staff offer's two button labels."""

    code: str  # ISO 639-1 (zh-TW for Traditional Chinese)
    text: str  # the offer in that language, the same in English, where to find the consultation for foreign residents
    yes_label: str  # "Yes, ask staff" (LINE quick reply: at most 20 characters)
    no_label: str  # "No"


ENGLISH_OFFER = (
    "This service answers in Japanese and English only. Shall we send your question to city staff? "
    "(Staff reply in Japanese during office hours.)"
)
# code: (offer, where to find the consultation for foreign residents, yes label, no label). No phone numbers:
# the city's website keeps the current desk and hours.
REPLIES: dict[str, tuple[str, str, str, str]] = {
    "en": (
        ENGLISH_OFFER,
        "For consultation in other languages, please see the consultation service for foreign residents on the "
        "Toyama City website.",
        "Yes, ask staff",
        "No",
    ),
    "zh": (
        "您好。本服务仅用日语和英语回答。要把您的问题转给市政府工作人员吗？（工作人员将在办公时间内用日语回复）",
        "如需用其他语言咨询，请查看富山市官网上的外国居民咨询窗口。",
        "是，转给工作人员",
        "不用了",
    ),
    "zh-TW": (
        "您好。本服務僅以日語和英語回答。要將您的問題轉給市政府職員嗎？（職員將於上班時間以日語回覆）",
        "如需以其他語言諮詢，請參閱富山市官網上的外國居民諮詢窗口。",
        "是，轉給職員",
        "不用了",
    ),
    "ko": (
        "안녕하세요. 이 서비스는 일본어와 영어로만 답변합니다. 질문을 시 직원에게 전달할까요? "
        "(직원은 업무 시간에 일본어로 답변합니다)",
        "다른 언어로 상담하시려면 도야마시 홈페이지의 외국인 주민 상담 창구를 확인해 주세요.",
        "네, 직원에게 문의",
        "아니요",
    ),
    "vi": (
        "Xin chào. Dịch vụ này chỉ trả lời bằng tiếng Nhật và tiếng Anh. Bạn có muốn chuyển câu hỏi cho nhân viên "
        "thành phố không? (Nhân viên sẽ trả lời bằng tiếng Nhật trong giờ làm việc.)",
        "Để được tư vấn bằng ngôn ngữ khác, vui lòng xem quầy tư vấn dành cho cư dân nước ngoài trên trang web "
        "của thành phố Toyama.",
        "Có, hỏi nhân viên",
        "Không",
    ),
    "pt": (
        "Olá. Este serviço responde apenas em japonês e inglês. Deseja enviar sua pergunta aos funcionários da "
        "prefeitura? (Os funcionários respondem em japonês, no horário de expediente.)",
        "Para atendimento em outros idiomas, consulte o serviço de consulta para residentes estrangeiros no site "
        "da Prefeitura de Toyama.",
        "Sim, enviar",
        "Não",
    ),
    "es": (
        "Hola. Este servicio solo responde en japonés e inglés. ¿Desea enviar su pregunta al personal del "
        "ayuntamiento? (El personal responde en japonés en horario de oficina.)",
        "Para consultas en otros idiomas, vea el servicio de consulta para residentes extranjeros en el sitio web "
        "de la ciudad de Toyama.",
        "Sí, enviar",
        "No",
    ),
    "tl": (
        "Kumusta po. Sa wikang Hapon at Ingles lamang sumasagot ang serbisyong ito. Nais po ba ninyong ipadala "
        "ang inyong tanong sa kawani ng lungsod? (Sasagot ang kawani sa wikang Hapon sa oras ng opisina.)",
        "Para sa konsultasyon sa ibang wika, tingnan po ang serbisyo ng konsultasyon para sa mga dayuhang "
        "residente sa website ng Lungsod ng Toyama.",
        "Oo, ipadala",
        "Hindi",
    ),
    "id": (
        "Halo. Layanan ini hanya menjawab dalam bahasa Jepang dan bahasa Inggris. Apakah pertanyaan Anda ingin "
        "kami teruskan ke petugas kota? (Petugas menjawab dalam bahasa Jepang pada jam kerja.)",
        "Untuk konsultasi dalam bahasa lain, silakan lihat layanan konsultasi untuk warga asing di situs web "
        "Kota Toyama.",
        "Ya, kirim ke petugas",
        "Tidak",
    ),
    "th": (
        "สวัสดี บริการนี้ตอบเป็นภาษาญี่ปุ่นและภาษาอังกฤษเท่านั้น ต้องการส่งคำถามของคุณไปยังเจ้าหน้าที่ของเมืองหรือไม่ "
        "(เจ้าหน้าที่จะตอบเป็นภาษาญี่ปุ่นในเวลาทำการ)",
        "หากต้องการปรึกษาเป็นภาษาอื่น โปรดดูบริการให้คำปรึกษาสำหรับชาวต่างชาติบนเว็บไซต์ของเมืองโทยามะ",
        "ใช่ ส่งคำถาม",
        "ไม่",
    ),
    "ne": (
        "नमस्ते। यो सेवाले जापानी र अंग्रेजी भाषामा मात्र जवाफ दिन्छ। के तपाईंको प्रश्न सहरका कर्मचारीलाई पठाऔं? "
        "(कर्मचारीले कार्यालय समयमा जापानी भाषामा जवाफ दिनुहुनेछ।)",
        "अन्य भाषामा परामर्शका लागि तोयामा सहरको वेबसाइटमा विदेशी बासिन्दाका लागि परामर्श सेवा हेर्नुहोस्।",
        "हो, पठाउनुहोस्",
        "होइन",
    ),
    "hi": (
        "नमस्ते। यह सेवा केवल जापानी और अंग्रेज़ी में जवाब देती है। क्या आप अपना प्रश्न शहर के कर्मचारियों को "
        "भेजना चाहेंगे? (कर्मचारी कार्यालय समय में जापानी में जवाब देंगे।)",
        "अन्य भाषाओं में परामर्श के लिए तोयामा शहर की वेबसाइट पर विदेशी निवासियों के लिए परामर्श सेवा देखें।",
        "हाँ, भेजें",
        "नहीं",
    ),
    "fr": (
        "Bonjour. Ce service répond uniquement en japonais et en anglais. Souhaitez-vous transmettre votre "
        "question au personnel de la mairie ? (Le personnel répond en japonais pendant les heures d'ouverture.)",
        "Pour une consultation dans d'autres langues, voir le service de consultation pour les résidents "
        "étrangers sur le site de la ville de Toyama.",
        "Oui, transmettre",
        "Non",
    ),
    "de": (
        "Guten Tag. Dieser Dienst antwortet nur auf Japanisch und Englisch. Möchten Sie Ihre Frage an die "
        "Mitarbeiter der Stadtverwaltung weiterleiten? (Sie antworten während der Öffnungszeiten auf Japanisch.)",
        "Beratung in anderen Sprachen: siehe die Beratungsstelle für ausländische Einwohner auf der Website der "
        "Stadt Toyama.",
        "Ja, weiterleiten",
        "Nein",
    ),
    "ru": (
        "Здравствуйте. Этот сервис отвечает только на японском и английском языках. Передать ваш вопрос "
        "сотрудникам мэрии? (Сотрудники отвечают на японском языке в рабочее время.)",
        "Для консультации на других языках см. службу консультаций для иностранных жителей на сайте города Тояма.",
        "Да, передать",
        "Нет",
    ),
    "uk": (
        "Вітаємо. Цей сервіс відповідає лише японською та англійською мовами. Передати ваше запитання "
        "працівникам міської ради? (Працівники відповідають японською мовою в робочий час.)",
        "Для консультації іншими мовами дивіться службу консультацій для іноземних мешканців на сайті міста Тояма.",
        "Так, передати",
        "Ні",
    ),
}


def language_reply(code: str) -> LanguageReply:
    """The reply for ``code``; a language without its own text gets the English one."""
    if code not in REPLIES:
        code = "en"
    offer, consultation, yes_label, no_label = REPLIES[code]
    lines = [offer, consultation] if code == "en" else [offer, ENGLISH_OFFER, consultation]
    return LanguageReply(code=code, text="\n".join(lines), yes_label=yes_label, no_label=no_label)
