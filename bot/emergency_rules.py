"""Emergencies recognised from the situation a message describes, not from a list of whole phrases.

A situation is a combination: a substance or object with an ingestion verb (any tense, uncertain or dialect
form), a body state with a negation (息しとらん, 意識がない), an actor with a violence verb (夫に殴られた), a
wish to die. Each rule is a regular expression run over two views of the message:

* the *surface*: NFKC-folded, without spaces (kanji and katakana patterns match here);
* the *reading*: the hiragana reading of every word (fugashi + unidic-lite), so that 飲んだ, のんだ, 呑んだ and
  ノンダ are one spelling, and 息子 (むすこ) is not 息 (いき).

Hiragana patterns match both views, kanji and katakana patterns only the surface. English patterns run on the
folded text with its spaces.

Context then decides how sure the bot is. A question about rules, procedures or prevention (「〜できますか」,
「預かってもらえる?」, 「捨て方」, 「〜ないように」) is a strong sign of an ordinary question; a sign of present
danger (「どうしよう」, 「今」, 「かもしれん」, 「しもた」, 「!」) wins over it. A strong rule without ordinary
context is sure; weak evidence, or a strong rule with both ordinary context and present danger, is unsure (the
bot sends the guidance AND answers the question). No model and one parse: well under a millisecond a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.emergency_kinds import Emergency
from retrieval.normalize import Normalizer, fold

SMALL_VOWELS = str.maketrans("ぁぃぅぇぉァィゥェォ", "あいうえおアイウエオ")
KATAKANA_TO_HIRAGANA = {cp: cp - 0x60 for cp in range(ord("ァ"), ord("ヶ") + 1)}
SPACES = re.compile(r"\s+")


def _compile(pattern: str) -> re.Pattern[str]:
    """A pattern for the views, whose small vowels are made full size (じぇる is matched as じえる)."""
    return re.compile(pattern.translate(SMALL_VOWELS))



# -- building blocks -------------------------------------------------------------------------------------------
# Negation at the end of a verb, standard and dialect: ない なか ねぇ らん せん へん ひん ません ず.
NEG = r"(?:な[いかくさ]|無い|ねえ|ねー|ね$|らん|らへん|せん|へん|ひん|ません|ず(?!っ))"
# What may sit between a verb's stem and its negation: て い と よ ちょ ら お (してない しとらん しよらん …).
FILL = r"[てでとよちょらいおへっー]{0,4}"
BREATH = r"(?:息|いき|呼吸|こきゅう)"
HEAD = r"(?:頭|あたま|後頭部|こうとうぶ|おでこ|額|ひたい)"
# Signs that something is wrong after a knock on the head.
AFTER_HEAD = (r"(?:はい[たてとちよ]|吐|もど[しす]|戻し|嘔吐|おうと|げろ|意識|いしき|ぼーっ|ぼんやり|反応|はんのう|"
              r"ねむ|眠|泣かな|なかな|けいれん|ひきつけ|おかし|変|ふらふら|ふらつ|血|出血|しゅっけつ|"
              r"ぐったり|目が(?:うつろ|あわ|合わ)|めが(?:うつろ|あわ))")
# A burn: 火傷, or やけど used as a noun (「〜やけど」 after a verb or noun is Kansai and Toyama for 「〜けど」).
BURN = (r"(?:火傷|熱傷|(?:大|おお)やけど|(?<![んがなだやぶ])やけど(?=を|し|が|して|した|させ|で(?!も)|っぽ|みたい|"
        r"の(?:ところ|部分|ぶぶん)|[、。\s]?(?:水|みず|冷や|ひや|ひど|赤|あか|皮|かわ|水ぶくれ|みずぶくれ)))")
WATER = r"(?:ふろ|風呂|湯船|ゆぶね|浴槽|よくそう|ぷーる|プール|かわ|川|うみ|海|いけ|池|みず|水|用水|ようすい)"
SEIZURE = (r"(?:けいれん|痙攣|けーれん|ひきつけ|引きつけ|引き付け|ひきつっ|引きつっ|ひきつり|引きつり|(?:白目|"
           r"しろめ)(?:を|に)?(?:むい|剥い|向い|なっ)|"
           r"泡をふ|あわをふ|泡ふ|あわふ|泡を吹|ふるえが(?:とまら|止まら)|震えが(?:とまら|止まら))")
SUBSTANCE = (
    r"(?:洗剤|せんざい|漂白|ひょうはく|はいたー|かびきらー|かびとり|カビ取り|電池|でんち|たばこ|煙草|すいがら|吸い殻|"
    r"吸殻|灯油|とうゆ|ガソリン|がそりん|磁石|じしゃく|まぐねっと|硬貨|お金|おかね|小銭|こぜに|こいん|円玉|えんだま|"
    r"びーだま|ビー玉|びーず|画鋲|がびょう|針|ぴん|化粧|けしょう|除光液|じょこうえき|乾燥剤|かんそうざい|保冷剤|"
    r"ほれいざい|防虫剤|ぼうちゅうざい|なふたりん|殺虫|さっちゅう|虫よけ|虫除け|むしよけ|農薬|のうやく|除草|じょそう|"
    r"消毒|しょうどく|柔軟剤|じゅうなんざい|じぇるぼーる|芳香剤|"
    r"ほうこうざい|消臭|しょうしゅう|入浴剤|にゅうよくざい|石鹸|石けん|せっけん|しゃんぷー|そーぷ|ぱいぷ|口紅|くちべに|"
    r"まにきゅあ|香水|こうすい|水銀|すいぎん|体温計|おもちゃ|部品|ぶひん|ねじ|ぼたん|しーる|接着剤|せっちゃくざい|"
    r"蚊取り|かとり|日焼け止め|ひやけどめ|軟膏|なんこう|洗濯|せんたく|食器用|えきたい|液体|じぇる|くりーむ|ろーしょん|"
    r"絵の具|えのぐ|ねんど|粘土|くれよん|りちうむ|おいる|あろま|らいたー|まっち|塩素|えんそ|ぺん|きゃっぷ|ぱーつ|"
    r"ぶろっく|れご|すーぱーぼーる|ごむ|へあぴん|ぴあす|指輪|ゆびわ|いやりんぐ|鍵|釘|くぎ|ほうさん|ホウ酸|毒|劇薬|"
    r"殺鼠|さっそ|観葉植物|球根|きゅうこん|すいせん|水仙|あじさい|紫陽花|きのこ|毒きのこ|葉っぱ|はっぱ|"
    r"しりかげる|しりかゲル|シリカゲル|おむつ|紙おむつ|ほうれいざい|除湿|じょしつ|漂白剤|溶剤|ようざい|液(?!晶)|"
    r"へあからー|からー剤|毛染め|けぞめ|白髪染め|しらがぞめ|"
    r"(?<!ご)ざい(?=を|が|も|の|、|飲|の|食|なめ|舐))"
)
MEDICINE = (r"(?:薬|くすり|ぐすり|錠剤|じょうざい|錠|かぷせる|カプセル|しろっぷ|シロップ|さぷり|サプリ|"
            r"睡眠薬|すいみんやく|"
            r"鎮痛剤|ちんつうざい|解熱剤|げねつざい|頭痛薬|ずつうやく|便秘薬|降圧剤|抗うつ|精神薬|安定剤|あんていざい|"
            r"ぴる|避妊|鉄剤|てつざい|びたみん|目薬|めぐすり|ざやく|座薬|塗り薬|ぬりぐすり|眠剤|睡眠導入剤)")
ALCOHOL = (r"(?:お酒|おさけ|酒|泡盛|あわもり|焼酎|しょうちゅう|びーる|ビール|わいん|ワイン|ちゅーはい|チューハイ|"
           r"酎ハイ|梅酒|うめしゅ|日本酒|ういすきー|ウイスキー|はいぼーる|あるこーる)")
# Someone else's medicine, too much of it, or some missing: an accident whoever took it.
OVERDOSE = _compile(
    r"大人の|おとなの|親の|おやの|じいちゃん|ばあちゃん|じーちゃん|ばーちゃん|祖母|祖父|[母父夫妻姉兄]の|ままの|ぱぱの|"
    r"ぜんぶ|全部|大量|たいりょう|まとめて|一気|いっき|(?:いっぱい|たくさん|山ほど|やまほど)(?:の|飲|呑)[んみ]|一箱|"
    r"ひとはこ|ひと箱|一本|いっぽん|一瓶|ひとびん|しーと|箱ごと|"
    r"はこごと|瓶ごと|びんごと|何錠|なんじょう|何粒|なんつぶ|(?:[2-9]|[1-9][0-9])(?:錠|粒|つぶ|じょう)|空っぽ|からっぽ|"
    r"空に|からに|足りな|たりな|見当たら|みあたら|減って|へって|間違|まちが|まちご|誤って|あやまって|勝手に|かってに"
)
# Someone seems to have taken something (a medicine 「飲んだみたい」 is an accident nobody saw).
UNCERTAIN = _compile(r"かも|(?<=[だたるい])みたい|っぽい|ごたる|らしい|(?:わから|分から|わかん|分かん)")
# A child in the message (medicine and alcohol are an emergency only when a child took them by accident).
CHILD = (r"(?:子|こども|娘|むすめ|息子|むすこ|赤ちゃん|あかちゃん|赤ん坊|あかんぼう|乳児|幼児|[0-9一二三四五]"
         r"(?:歳|才|さい|ヶ月|か月|カ月)|孫|まご|わらし|坊|ぼうや|園児|児|ちび|長男|次男|長女|次女|甥|姪|\bchild|"
         r"\bkid|\bbaby|\btoddler|\bson\b|\bdaughter)")
UNKNOWN_OBJECT = r"(?:何か|なにか|何を|なにを|何が|なにが|何やら|なんか(?:を|の|が)?(?:口|くち|飲|のみ|の[んみ]))"
# Swallowing, eating, putting in the mouth, licking, biting, inhaling: every tense and dialect.
INGEST = (r"(?:(?:の|飲|呑)(?:ん[だでじどたて]|みこ|み込|みよ|みちょ|みほ|み干|まれ|みまし)|"
          r"(?:た|食)べ(?:た|て|ちゃ|まし|よ[るっ]|と[るっら]|"
          r"ちょ[るっ]|しも|てもう|てしも)|くった|食った|(?:くち|口)に(?:いれ|入れ|ふく|含|つっこ|突っ込|入っ|はいっ)|"
          r"くわえ|咥え|(?:な|舐|嘗)め(?:た|て|ちゃ|まし|と[るっ]|よ[るっ]|ちょ[るっ])|(?:かじ|齧)(?:った|って|"
          r"っちゃ|りまし)|"
          r"しゃぶ(?:った|って|っちゃ)|(?:すす|啜)(?:った|って)|(?:噛|咬)ん[でだ]|(?<=[をばもが])かん[でだ]|すいこ|"
          r"吸い込|吸いこ|ごっくん|ごくん|誤飲|ごいん|誤嚥|ごえん|飲み下)")
# What may follow an ingestion verb and make it not an accident: refusal, negation, ease, hypothesis, giving.
NOT_ACCIDENT_TAIL = _compile(
    r"(?:(?<=た)(?:い|く|が[るっ])|(?:(?<=誤飲)|(?<=誤嚥)|(?<=ごいん)|(?<=ごえん))(?:の|防止|予防|事故|対策|について|"
    r"に(?:つ|注意|気)|し?(?:やす|にく|そう|な[いく]|たら|た(?:時|とき|場合)))|"
    r"く(?:れ|ん|れへ)|" + FILL + NEG + r"|たがら|たく(?:な|ね)|やす|にく|づら|ほう|方|かた|ても(?:いい|大丈夫|"
    r"だいじょうぶ|平気|へいき|問題|もんだい)|でも(?:いい|大丈夫|だいじょうぶ|平気|へいき)|もいい|も大丈夫|"
    r"させ|そう|[んみまめれり]{0,2}(?:だら|たら)(?!.{0,3}(?:吐|はい))|(?<![てでとどよちょ])(?:る|む)(?![!！])|"
    r"ちゃだめ|ちゃいけ|ちゃ駄目|"
    r"ないよう|る前|る時|るとき|ると|"
    r"る場合|だ場合|た場合|だ時|た時|だとき|たとき|でくれ|てくれ)"
)
# Signs that taking a medicine was an accident (a child, too much, the wrong one).
ACCIDENT = _compile(
    r"勝手に|かってに|間違|まちが|まちご|誤って|あやまって|大人の|おとなの|親の|おやの|じいちゃん|ばあちゃん|祖母|祖父|"
    r"[私僕俺母父夫妻姉兄]の|わたしの|ままの|ぱぱの|ママの|パパの|ぜんぶ|全部|大量|たいりょう|たくさん|いっぱい|"
    r"まとめて|一気|いっき|一箱|ひとはこ|ひと箱|しーと|箱ごと|はこごと|瓶ごと|びんごと|目を離|めをはな|すきに|隙に|"
    r"いつのまにか|いつの間|知らないうちに|しらないうちに|かも|(?<=[だたるい])みたい|っぽい|ごたる|ごと(?:ある|です)|"
    r"らしい|わから|分から|わかん|分かん|しもた|しまった|しまい|ちゃった|ちゃっ|"
    r"じゃった|じゃっ|もうた|ちまった|空っぽ|からっぽ|なくなって|減って|へって|足りな|たりな|何錠|なんじょう|何粒|"
    r"(?:[2-9]|[1-9][0-9])(?:錠|粒|つぶ|個|こ)|[2２]回分|二回分|[2２]倍|多く|おおく|多め|余分|届くところ|とどくところ|"
    r"手の届く|てのとどく|誤飲|ごいん|くすりばこ|薬箱|ぴるけーす|飲み込|のみこ|見当たら|みあたら|ない(?=[。!！]|$)|"
    r"開いて|あいて|ふたが|蓋が|ちょっと|少し|すこし|なめ|舐め|口の(?:中|まわり|周り)|くちのまわり|におい|匂い|臭い"
)

NEIGHBOUR = r"(?:となり|隣|近所|きんじょ|上の階|下の階|向かい|むかい|あぱーと|まんしょん|next door|neighbo)"
ACTOR = (r"(?:夫|おっと|旦那|だんな|主人|しゅじん|彼氏|かれし|元彼|もとかれ|恋人|こいびと|妻|つま|嫁|よめ|"
         r"ぱーとなー|同居|どうきょ|内縁|父|ちち|母|はは|親|おや|お父さん|おとうさん|お母さん|おかあさん|とうちゃん|"
         r"とーちゃん|かあちゃん|かーちゃん|おとん|おかん|ぱぱ|(?<![のがきその])まま|義父|義母|継父|継母|兄|あに|"
         r"にいちゃん|にーちゃん|姉|あね|祖父|祖母|じいちゃん|ばあちゃん|家族|かぞく|相手|あいて|あいつ|あの人|"
         r"あのひと|"
         r"男|おとこ|おじ|叔父|伯父|親戚|しんせき|彼|かれ|うちの人|うちのひと|同居人)")
VICTIM = (r"(?:子|こども|子ども|子供|こ|娘|むすめ|息子|むすこ|赤ちゃん|あかちゃん|赤ん坊|あかんぼう|わたし|私|僕|ぼく|"
          r"俺|おれ|うち|ママ|まま|母|はは|妻|つま|嫁|よめ|弟|おとうと|妹|いもうと|兄弟|きょうだい)")
# Passive violence: I (or someone) am hit, kicked, strangled, locked out.
BEATEN = (r"(?:(?:なぐ|殴)られ|(?<!肩を)(?<!かたを)(?:たた|叩)かれ|ぶたれ|しばかれ|(?<=[にをでらが])けられ|蹴られ|"
          r"(?:つ|突)き(?:とば|飛ば)され|(?:な|投)げ(?:つけ)?られ|(?:首|くび)を?(?:し|絞|締)められ|"
          r"ぼこ(?:ぼこ|ら)?れ|ぼこぼこに|ボコボコ|(?:け|蹴)り(?:とば|飛ば)され|(?:ひっぱた|引っぱた|引っ叩)かれ|"
          r"(?:つね|抓)られ|(?<=[にをがらも])(?:くらさ|どつか|はたか)れ|(?:ころ|殺)され(?:る|そう|かけ|た)|(?:ころ|"
          r"殺)す(?:ぞ|って|"
          r"と言)|"
          r"(?:と|閉)じ(?:こ|込)められ|(?:し|閉|締)め(?:だ|出)され|(?:おど|脅)され|"
          r"(?:ひきず|引きず)られ|(?:髪|かみ)[をの]?(?:ひっぱ|引っ張)られ|(?:暴力|ぼうりょく)(?:を)?(?:ふる|振る)われ|"
          r"(?:手|て)を(?:あげ|上げ|挙げ)られ|(?:暴力|ぼうりょく)を?(?:受け|うけ))")
# Active violence verbs, used only with an actor or a child as their object.
HITS = (r"(?:なぐ[らりるっれ]|殴|くら[さしす](?!て)|どつ[いくか]|たた[かきくけい]|叩|ぶっ[たて]|"
        r"ぶ[たちつ](?:[。、!！]|$)|しば[かきくい]|蹴|けっ[たて]|"
        r"けりとば|首を|くびを|くびしめ|首絞|首締|暴力|ぼうりょく|暴れ|あばれ|ころ[すさしそ]|殺|つきとば|突き飛ば|"
        r"なげつけ|投げつけ|ひっぱた|引っぱた|引っ叩|つね[っらるり]|手をあげ|手を上げ|手を挙げ|てをあげ|手が出|てがで|"
        r"ゆさぶ|揺さぶ|閉じ込|とじこ|しめだ|閉め出|やけどさせ|火傷させ|押し付け|おしつけ|お湯をかけ|熱湯|"
        r"(?:物|もの|皿|さら|椅子|いす)を(?:投げ|なげ)|(?:物|もの|家具|かぐ|どあ|ドア|壁|かべ)を(?:壊|こわ|殴|なぐ|"
        r"蹴|けっ))")


@dataclass(frozen=True)
class Situation:
    """One rule: ``pattern`` found in a view of the message means ``kind``; ``strong``: enough on its own."""

    kind: Emergency
    pattern: re.Pattern[str]
    strong: bool = True
    event: bool = True  # tells of something happening (not only a topic word such as 虐待 or けいれん)
    alone: bool = True  # False: counts only beside another sign of the same kind (「起きない」, 「顔色が悪い」)


def _rule(kind: Emergency, pattern: str, *, strong: bool = True, event: bool = True, alone: bool = True) -> Situation:
    return Situation(kind, _compile(pattern), strong, event, alone)


LIFE, POISONING, ABUSE, SUICIDE = Emergency.LIFE, Emergency.POISONING, Emergency.ABUSE, Emergency.SUICIDE

SITUATIONS: tuple[Situation, ...] = (
    # -- life: breathing, consciousness, limpness, seizures, head injury, drowning, choking, bleeding ----------
    _rule(LIFE, BREATH + r"[をがもはばー]?(?:し" + FILL + NEG + r"|せん|せえへん|でき" + FILL + NEG + r"|できん|"
          r"出来" + FILL + NEG + r"|(?:とま|止ま)(?:っ|りそう|りかけ)|止っ|停止|ていし|が(?:" + NEG + r"|ない))"),
    _rule(LIFE, BREATH + r"[をがもはば]?(?:し|せ)[^。！？!?]{0,6}(?:わから|分から|わかん|分かん|確認でき|"
          r"かくにんでき)"),
    _rule(LIFE, BREATH + r"[がもは]?(?:しにく|しづら|しずら|できにく|"
          r"くるし|苦し|ぐるし|あら[いく]|荒|おかし|変で|へんで|よわ|弱|あさ[いく]|浅)|"
          r"いきぐるし|息苦し|ぜーぜー|ぜえぜえ|ひゅーひゅー|ひゅうひゅう|ぜいぜい|陥没呼吸|かんぼつこきゅう",
          strong=False),
    _rule(LIFE, r"(?:意識|いしき)[がもはー]?(?:" + NEG + r"|無|ありません|もど|戻|もうろう|朦朧|とお|遠|うす|薄|"
          r"おかし|へん|変|はっきりし" + FILL + NEG + r"|ふめい|不明|をうしな|を失)|(?:気|き)を(?:うしな|失)|失神|"
          r"きぜつ|気絶"),
    _rule(LIFE, r"(?:よん|呼ん|よびかけ|呼びかけ|ゆすっ|揺すっ|ゆさぶっ|揺さぶっ|たたい|叩い|こえ(?:を)?かけ|"
          r"声(?:を)?かけ|つねっ|ゆらし|揺らし)[てで]?も[^。！？!?]{0,8}?(?:おき|起き|おけ|め|目|はんのう|反応|"
          r"へんじ|返事|うごか|動か|なか|泣か|こたえ|答え)[^。！？!?]{0,4}?(?:" + NEG + r"|ん(?![で]))"),
    _rule(LIFE, r"(?:倒れ|たおれ)[^。！？!?]{0,8}?(?:起き|おき|うごか|動か|反応|はんのう|意識|いしき)[^。！？!?]{0,4}?"
          r"(?:" + NEG + r"|ん)|(?:うつぶせ|うつ伏せ)[^。！？!?]{0,6}?(?:うごか|動か)|(?:急に|きゅうに|突然|とつぜん)"
          r"[^。！？!?]{0,10}?(?:倒れ|たおれ|意識|いしき|けいれん|ひきつけ)"),
    _rule(LIFE, r"(?:呼びかけ|よびかけ|声かけ|こえかけ|呼ぶ声|よぶこえ)に(?:も)?(?:答え|こたえ|応え|反応|はんのう)"
          r"[^。！？!?]{0,4}?(?:" + NEG + r"|ん)"),
    _rule(LIFE, r"(?:くちびる|唇)[がもは]?(?:青|あお|白|しろ|紫|むらさき)", strong=False),
    _rule(LIFE, r"(?:変な|へんな|おかしな)(?:呼吸|こきゅう|息|いき)|(?:目|め)が(?:うつろ|虚ろ)", strong=False),
    _rule(LIFE, r"(?:顔色|かおいろ)[がもは]?(?:悪|わる)|(?:起き|おき)(?:ない|ん|へん|ねえ)|(?:うごか|動か)(?:ない|"
          r"なく|ん|へん)",
          strong=False, alone=False),
    _rule(LIFE, r"(?:反応|はんのう)[がもは]?(?:" + NEG + r"|し" + FILL + NEG + r"|せん|うす|薄|にぶ|鈍|ぜろ)"),
    _rule(LIFE, r"(?:め|目)[えをがも]*(?:さまさ|覚まさ|さめ|覚め|あけ|開け|あか|開か)" + FILL + r"(?:" + NEG + r"|ん)",
          strong=False),
    _rule(LIFE, r"(?:ぴくりとも|びくとも|ぴくとも)(?:うごか|動か|せ)"),
    _rule(LIFE, r"(?:ぐにゃっと|ぐにゃりと|ぐんにゃり|ぐったり|ぐてっ|ぐたっ|くったり|ぐでっ|ぐでん|ぐてー|ぐたー|"
          r"ぐったーり)(?!(?:し|と|は|も)?(?:し)?(?:て|と|よ)?(?:い|お)?(?:ない|なく|へん|ん|ません|ねえ)|"
          r"(?:は|も)?(?:して|しと)(?:い|お)?(?:ない|へん|ん|ません)|(?:と)?(?:疲|つか)れ|ではな|じゃな)",
          strong=False),
    _rule(LIFE, r"(?:熱|ねつ)[がもは]?(?:高|たか|[34][0-9]度|[34][0-9]℃|出|で[てた])|高熱|こうねつ|"
          r"[34][0-9](?:\.[0-9])?"
          r"(?:度|℃)", strong=False, alone=False),
    _rule(LIFE, SEIZURE, event=False),
    _rule(LIFE, SEIZURE + r"[をがもは]?(?:(?:起こ|おこ)(?:し|っ)|(?:起き|おき)[たてと]|して|しと|しよ|しちょ|しだ|"
          r"した|とまら|止まら|とまん|止まん|続|つづ|始ま|はじま|中|ちゅう|なっ|てる|とる|むい|剥い|吹い|ふい)"
          r"(?!し?(?:やす|にく|たら|そう)|し?た(?:こと|事))"),
    _rule(LIFE, r"(?:手足|てあし|体|からだ|全身|ぜんしん)[がもは]?(?:がくがく|ガクガク|ぴくぴく|ピクピク|びくびく|"
          r"つっぱ|突っ張|硬直|こうちょく|ふるえ|震え)", strong=False),
    _rule(LIFE, r"発作|ほっさ", strong=False, event=False),
    _rule(LIFE, HEAD + r"(?:から|を|が|に|も)?(?:うっ|打っ|うち|打ち|ぶつけ|ぶっつけ|強打|きょうだ|ごつん|ゴツン|おち|"
          r"落ち|切っ|きっ|ぱっくり|ざっくり)(?=.*" + AFTER_HEAD + r")"),
    _rule(LIFE, HEAD + r"(?:を|が|に|も)?(?:うっ|打っ|うち|打ち|ぶつけ|ぶっつけ|強打|きょうだ|ごつん|ゴツン)"
          r"(?!やす|にく|ないよう|そう)", strong=False),
    _rule(LIFE, r"(?:べらんだ|ベランダ|まど|窓|かいだん|階段|[2-9]階|にかい|二階|高い所|たかいところ|屋根|やね|遊具|"
          r"ゆうぐ|すべりだい|滑り台)から(?:おち|落ち|転落|てんらく|ころげ|転げ|ころが|転が)", strong=False),
    _rule(LIFE, r"(?:車|くるま)に(?:はね|ひか|轢か|ぶつけられ)"),
    _rule(LIFE, r"(?:ばけつ|バケツ|水|みず|風呂|ふろ|浴槽|よくそう|湯船|ゆぶね|ぷーる|"
          r"プール)[^。！？!?]{0,12}?(?:顔|かお)"
          r"(?:を|が)?(?:つけ|浸か|つか|沈|しず|うずめ|埋め)(?=.*(?:倒れ|たおれ|うごか|動か|意識|いしき|反応|はんのう|"
          r"ぐったり))"),
    _rule(LIFE, r"(?:ひも|紐|こーど|コード|ろーぷ|ロープ|袋|ふくろ|ぶらいんど|ブラインド|カーテン|"
          r"かーてん)[^。！？!?]{0,8}?"
          r"(?:首|くび|顔|かお)[^。！？!?]{0,4}?(?:絡|から[まみ]|巻|まき|かぶ|被|ひっかか|引っかか|しま|締ま)|"
          r"(?:首|くび)に[^。！？!?]{0,8}?(?:絡|から[まみ]|巻き|まき|ひっかか|引っかか)|(?:袋|ふくろ)を(?:かぶ|被)"
          r"[^。！？!?]{0,6}?(?:苦し|くるし|息|いき)"),
    _rule(LIFE, WATER + r"[^。！？!?]{0,10}?(?:うい|浮い|うか|浮か|しず|沈)(?:て|と|で|ん|た|ちょ|よ)", strong=False),
    _rule(LIFE, r"(?:熱湯|ねっとう|お湯|おゆ|みそしる|味噌汁|すーぷ|スープ|ぽっと|ポット|やかん|油|あぶら|鍋|なべ|"
          r"すとーぶ|ストーブ|あいろん|アイロン)[^。！？!?]{0,14}?(?:かぶ|被|かか|ひっくり返|ひっくりかえ|こぼ|浴び|"
          r"あび|倒れ|たおれ|さわ|触)[^。]{0,30}?(?:" + BURN + r"|赤|あか|皮|かわ|水ぶくれ|みずぶくれ|ただれ|泣)|"
          + BURN + r"[^。]{0,14}?(?:ひど|酷|広|ひろ|全身|大き|おおき|水ぶくれ|みずぶくれ|皮が|かわが|"
          r"皮むけ|かわむけ|ただれ)|(?:広|ひろ|大|おお|ひどい|酷い)[^。]{0,6}?" + BURN + r"|(?:皮|かわ)が?むけ"),
    _rule(LIFE, BURN, strong=False, event=False),
    _rule(LIFE, r"(?:熱湯|ねっとう|煮え湯|にえゆ|油|あぶら)[^。！？!?]{0,8}?(?:かぶ|被|かか|浴び|あび|"
          r"こぼ)(?!さないよう|"
          r"れないよう|ないよう)"),
    _rule(LIFE, r"(?:くちびる|唇|顔|かお|まぶた|瞼|のど|喉|全身|ぜんしん)[がもはじゅう]*(?:はれ|腫れ|むくん|"
          r"ぶつぶつ|じんましん|蕁麻疹)|(?:咳|せき)[がもは]?(?:とまら|止まら|とまん|止まん)", strong=False),
    _rule(LIFE, r"(?:おぼれ|溺れ)(?:た|て|かけ|ま(?:した|して)|と[るっ]|よ[るっ]|ちょ[るっ]|そうにな|そうだった|"
          r"る[!！])|溺水|できすい|"
          r"" + WATER + r"(?:で|に|から)(?:流され|ながされ|落ち|おち|はま|転落|てんらく)|"
          r"(?:うつぶせ|うつ伏せ)で(?:うい|浮い)"),
    _rule(LIFE, r"(?:のど|喉|気管|きかん)(?:[にでがを][^。！？!?]{0,8}?)?(?:つまら|詰まら|つまっ|詰まっ|つまり|"
          r"詰まり|つかえ|つっかえ|(?:詰|つ)め(?:た|て|ちゃ)|"
          r"ひっかか|引っかか|ふさが|塞が)(?!やす|にく|そう|ないよう)|窒息|ちっそく|(?:詰|つ)まらせ(?!ないよう|ない)"),
    _rule(LIFE, r"(?<!鼻)(?:血|ち)が(?:とまら|止まら|とまん|止まん|どくどく|ドクドク|だらだら|ダラダラ|噴き出|ふきだ|"
          r"吹き出|ぴゅー|大量|たくさん|いっぱい)|大量出血|(?:出血|しゅっけつ)[がもは]?(?:とまら|止まら|"
          r"ひど|酷|大量|たくさん)|血まみれ|ちまみれ"),
    _rule(LIFE, r"(?:顔色|かおいろ|くちびる|唇|顔|かお|からだ|体|手足|てあし)[がもは]?(?:まっさお|真っ青|むらさき|紫|"
          r"土気色|つちけいろ|青紫|あおむらさき|あおじろ|青白)|ちあのーぜ|チアノーゼ"),
    _rule(LIFE, r"(?:心臓|しんぞう|脈|みゃく|心肺)[がもは]?(?:とま|止ま|停止|ていし|" + NEG + r"|(?:ふれ|触れ|うって|"
          r"打って)" + FILL + NEG + r")|心肺停止|しんぱいていし|あなふぃらきしー|アナフィラキシー"),
    _rule(LIFE, r"(?:車|くるま)(?:の中|のなか|内|に)[^。！？!?]{0,14}?(?:置き去り|おきざり|閉じ込め|とじこめ|"
          r"置かれ|おかれ|残され|のこされ|放置|ほうち)"),
    _rule(ABUSE, r"(?:車|くるま)(?:の中|のなか|内|に)[^。！？!?]{0,14}?(?:置き去り|おきざり|閉じ込め|とじこめ|"
          r"置かれ|おかれ|残され|のこされ|放置|ほうち)"),
    _rule(LIFE, r"救急車(?:を)?(?:よ|呼)(?:ぶ|べ|ん|ば|び)|きゅうきゅうしゃ(?:を)?よ(?:ぶ|べ|ん|ば|び)", strong=False,
          event=False),
    # -- poisoning: a substance or object, then an ingestion verb (checked in ``_swallowed``) ----------------
    _rule(POISONING, r"(?:誤飲|ごいん|誤嚥)(?:し(?!やす|にく|な|そう|たら|た(?:時|とき|場合|ら))|かも|っぽ|みたい|"
          r"です|[!！。、]|$)"),
    _rule(POISONING, r"(?:" + SUBSTANCE + r"|" + MEDICINE + r")[^。！？!?]{0,10}?(?:数が|かずが)?(?:足りな|たりな|"
          r"見当たら|みあたら|なくなって|減って|へって|(?:一|ひと|1)(?:つ|個|こ|錠|粒)(?:ない|足りな|たりな))",
          strong=False),
    _rule(POISONING, r"(?:のま|飲ま)せ(?:すぎ|過ぎ|ちゃ|てしま|てしも|てもう|ちま)|"
          r"(?:まちが|間違|まちご)え?て[^。]{0,12}?"
          r"(?:のま|飲ま)せ|(?:薬|くすり)[^。]{0,6}?(?:2回|二回|にかい|2倍|二倍|倍)[^。]{0,4}?(?:のま|飲ま|あげ|与え)"),
    # -- abuse: an actor with a violence verb, a hit person, a child being hurt, neglect ------------------------
    _rule(ABUSE, BEATEN),
    _rule(ABUSE, ACTOR + r"(?:ちゃん|さん|くん)?(?:[がはもに]|から)[^。！？!?]{0,12}?" + HITS),
    _rule(ABUSE, VICTIM + r"(?:を|に)[^。！？!?]{0,10}?" + HITS),
    _rule(ABUSE, r"虐待|ぎゃくたい|(?<![a-z])dv(?![a-z])|でぃーぶい|どめすてぃっく|家庭内暴力|かていないぼうりょく|"
          r"育児放棄|いくじほうき|ねぐれくと|ネグレクト|もらはら|モラハラ", event=False),
    _rule(ABUSE, NEIGHBOUR + r".{0,40}?(?:泣き叫|なきさけ|悲鳴|ひめい|怒鳴|どなり|どなる|どなっ|怒っ|おこっ|"
          r"叩く音|たたくおと|たたく|叩く|殴る|なぐる|ごめんなさい|助けて|たすけて|(?:外|そと|べらんだ|ベランダ)"
          r"に(?:出|だ)され)"),
    _rule(ABUSE, NEIGHBOUR + r".{0,30}?(?:泣いて|ないて|泣い|ない)(?:い|お|と|よ)", strong=False),
    _rule(ABUSE, r"(?:包丁|ほうちょう|ないふ|ナイフ|刃物|はもの|凶器|きょうき|ばっと|バット)[^。！？!?]{0,10}?"
          r"(?:持|もっ|もち|むけ|向け|ふりまわ|振り回|つきつけ|突きつけ|突き付け|出し|だし)"),
    _rule(ABUSE, r"(?:外|そと|べらんだ|ベランダ|家の外|いえのそと|玄関|げんかん)に(?:出され|だされ|締め出|閉め出|"
          r"しめだ|放り出|ほうりだ|追い出|おいだ|立たされ|たたされ)"),
    _rule(ABUSE, r"(?:からだ|体|胸|むね|下着|したぎ|お尻|おしり|あそこ)[をにも]?[^。！？!?]{0,8}?(?:さわ|触)(?:られ|"
          r"って(?:く|き)|りに)|性的|せいてき|性被害|せいひがい|わいせつ|猥褻|れいぷ|レイプ|性暴力"),
    _rule(ABUSE, r"(?:たた|叩|なぐ|殴|投げ|なげ|ぶっ|つねっ|首を|くびを|揺さぶ|ゆさぶ|殺|ころ|放り|ほうり|蹴|落とし|"
          r"おとし)[^。！？!?]{0,5}?(?:しまいそう|しまう|しもう|しまった|しもた|ちゃいそう|ちゃう|ちゃった|そうで|"
          r"そうになる|そうになっ|そうなん|そうや|たくなる|たくなっ)(?=.*" + CHILD + r")|"
          + CHILD + r"[^。！？!?]{0,12}?(?:たた|叩|なぐ|殴|投げ|なげ|揺さぶ|ゆさぶ|殺|ころ)[^。！？!?]{0,5}?"
          r"(?:しまいそう|ちゃいそう|そうで|そうになる|そうになっ|たくなる)"),
    _rule(ABUSE, r"(?:ご飯|ごはん|食事|しょくじ|食べ物|たべもの)[^。！？!?]{0,6}?(?:食べさせてもら|たべさせてもら|"
          r"もらえ|"
          r"もらって|与えられ|あたえられ)[^。！？!?]{0,4}?(?:" + NEG + r"|ん(?!で))", strong=False),
    _rule(ABUSE, r"(?:待ち伏せ|まちぶせ|つきまと[わい]|付きまと[わい]|付け回|つけまわ)(?:され|して|しと|れ|てく|って)|"
          r"(?:外|そと)に(?:出させて|ださせて|出して|だして)(?:くれ|もらえ)(?:ない|ん|へん)"),
    _rule(ABUSE, r"すとーかー|ストーカー", event=False),
    _rule(ABUSE, ACTOR + r"(?:[にから]|から)[^。！？!?]{0,6}?(?:どな|怒鳴)られ", strong=False),
    _rule(ABUSE, r"(?:あざ|アザ|痣)(?:だらけ|が(?:たくさん|いっぱい|いくつも|絶えな|たえな|増え|ふえ))", strong=False),
    _rule(ABUSE, r"(?:子|こども|子ども|子供)[^。！？!?]{0,10}?(?:ずっと|何日も|なんにちも|夜まで|一晩|ひとばん)"
          r"[^。！？!?]{0,10}?(?:ひとり|一人|放置|ほうち|置き去り|おきざり)", strong=False),
    # -- suicide: a wish to die or disappear, a method, an end -------------------------------------------------
    _rule(SUICIDE, r"(?:死|し|たひ)に(?:たい|たか|てえ|てー|とう|たく)|(?:死|し)のう(?:かな|と|か|っ)|(?:死|し)んで"
          r"(?:しまいたい|しまえたら|しまえば|しまお|しもうたら|楽|らく)|(?:死|し)んだ(?:ほう|方)が|(?:死|し)ねたら|"
          r"(?:死|し)ねば"
          r"(?:楽|らく|いい)|(?:消|き)え(?:たい|たか|てしまいたい|てなくなりたい|てしまえたら|てしまお|ちゃいたい|"
          r"ちゃえば|たく)|いなくなりたい|居なくなりたい|(?:生|い)きて(?:い)?(?:たくな|る意味|"
          r"るいみ|いる意味|いけな|く意味|くいみ|く自信|くじしん)|(?:生|い)きる(?:意味|いみ|気力|きりょく|"
          r"のがつら|のが辛|のがしんど|のに疲|のにつか)|生きたくな|(?:楽|らく)になりたい|(?:終|お)わりにしたい|"
          r"(?:終|お)わらせたい|人生(?:を)?(?:終|お)わ|(?:とびお|飛び降)り(?:たい|よう|る(?:しか|つもり))|"
          r"(?:電車|でんしゃ|線路|せんろ)に(?:と|飛)び|(?:首|くび)を?(?:つ|吊)(?:ろう|った|りたい|る(?:しか|"
          r"つもり|(?:場所|ばしょ|ところ|とこ|ろーぷ|ロープ|ひも|紐)(?:を)?[^。]{0,4}?(?:さが|探|かっ|買)))|"
          r"(?:首吊|首つり|くびつり)(?:り)?(?:たい|しよう|する|自殺)|"
          r"りすか|りすとかっと|リスカ|リストカット|手首を(?:き|切)|(?:てくび|手首)(?:切|き)|"
          r"おーばーどーず|オーバードーズ|(?<!お)心中(?!お察|おさっ)|しんじゅう|道連れ|みちづれ|(?:一緒|"
          r"いっしょ)に(?:死|し)(?:の|ん|ぬ)|"
          r"(?:生|い)きと(?:う|お)な|(?:生|い)き(?:て|とって|てて|ていて)(?:も)?(?:しょうがな|仕方な|しかたな|"
          r"意味な|いみな)|この世から|このよから|生まれてこなければ|うまれてこなければ|(?:生|"
          r"い)[きぎ][てで][ぐく](?:ね|な)|"
          r"(?:終|お)わりにし(?:よう|たい|ます|ちゃ|よか)|(?:全部|ぜんぶ|人生|じんせい|何もかも|なにもかも)(?:を)?"
          r"(?:終|お)わりに|(?:楽|らく)になれ(?:る|たら)|遺書(?:を|が|も)|練炭|れんたん|"
          r"(?:ろーぷ|ロープ)(?!うぇい)[^。！？!?]{0,6}?(?:用意|よういし|準備|じゅんび|買|か[っうい]|かけ|吊)|"
          r"(?:さよなら|さようなら|今までありがとう|いままでありがとう)[^。]{0,20}?(?:送|おく|来|き|line|ライン|"
          r"らいん|連絡|れんらく|書|か[いき])|(?:線路|せんろ|ほーむ(?!ぺーじ)|ホーム(?!ページ)|屋上|おくじょう|橋|"
          r"踏切|ふみきり)[^。！？!?]{0,12}?(?:吸い込まれ|すいこまれ|飛び込|とびこ|飛び降|とびお|落ち(?:たい|よう)|"
          r"おちたい)|" + WATER + r"に(?:入ろ|はいろ|入って(?:しま|死)|飛び込|とびこ)[^。]{0,10}?(?:と思|とおも|"
          r"かと|しまい|たい|かな)|(?:私|わたし|僕|ぼく|俺|おれ|自分|じぶん|あたし|うち)(?:が|は|なんて|なんか)?"
          r"(?:いなくな|居なくな|いないほう|いない方|消え|きえ|死|し[んぬ])[^。！？!?]{0,10}?(?:ほうが|方が|ため|"
          r"いい|楽|らく)"),
    _rule(SUICIDE, r"(?:もう|もお|いっそ|今から|いまから|今日|きょう|本気で|ほんきで)[^。、]{0,4}?(?:死|し)ぬ"
          r"(?:[!！。…]|$|しか|つもり|気|き[でが])|(?:死|し)ぬ(?:しか|つもり)", strong=False),
    _rule(SUICIDE, r"自殺|じさつ|自死", event=False),
    _rule(SUICIDE, r"(?:自殺|じさつ|自死)(?:し(?!た(?:人|ひと|方|かた|者|もの))|を考|をかんが|未遂|みすい|する|"
          r"しよう)"),
    _rule(SUICIDE, r"(?:明日|あした|朝|あさ)が(?:来|こ)なければ|(?:目が覚め|めがさめ|目を覚まさ|めをさまさ)"
          r"(?:なければ|なきゃ|ないまま)|いつでも[^。！？!?]{0,6}?(?:終われ|おわれ|死ね|しね)|(?:死|し)ぬこと"
          r"(?:ばかり|ばっかり|ばっか|を|しか)?(?:考え|かんがえ)|(?:自分|じぶん)を(?:傷つけ|きずつけ)|"
          r"(?:死|し)に(?:ついて|方を|かたを)(?:考え|かんがえ|調べ|しらべ)"),
    _rule(SUICIDE, r"(?:薬|くすり)を?(?:ため|貯め|溜め|集め|あつめ)て(?:る|いる|ます|おく|ある)|(?:残して|のこして)逝",
          strong=False),
    _rule(SUICIDE, r"(?:もう|もお)(?:無理|むり)|(?:疲|つか)れ(?:た|ちゃった|果て)", strong=False, alone=False),
    _rule(SUICIDE, r"(?:もう|もお)(?:限界|げんかい)|(?:つら|辛)くて(?:たまら|耐えられ|たえられ)|"
          r"(?:生|い)きるのが(?:つら|辛|しんど|いや|嫌)", strong=False),
)

ENGLISH: tuple[Situation, ...] = (
    _rule(LIFE, r"\b(?:not|isn'?t|stopped|stop|can'?t|cannot|won'?t|no longer|hardly|trouble) ?breath|"
          r"\bunconscious|\bunresponsive|passed out|not waking|won'?t wake|can'?t wake|seizure|convuls|fitting|"
          r"choking|choked|drown|\blimp\b|floppy|turning blue|turned blue|not responding|no pulse|collapsed|"
          r"faint(?:ed|ing)|fell (?:in|into) (?:the |a )?(?:pond|pool|river|water|sea|bath|lake|canal)|"
          r"hit (?:his|her|their|the) head|fell (?:from|off|out)"),
    _rule(POISONING, r"\b(?:swallow\w*|ate|eaten|drank|drunk|licked|chewed|ingest\w*|put \w+ in (?:his|her) mouth)\b"
          r"[^.?!]{0,40}\b(?:detergent|bleach|battery|batteries|medicine|medication|pills?|tablets?|cigarettes?|"
          r"tobacco|magnets?|coins?|poison\w*|chemicals?|clean\w*|button|kerosene|alcohol|soap|pods?|liquid|shampoo|"
          r"perfume|lotion|laundry|dishwasher|paint|glue|nail polish|lighter fluid|gasoline|petrol|antifreeze|"
          r"pesticide|insecticide|mouthwash|sanitizer|vitamins?|cream)|"
          r"\b(?:detergent|bleach|battery|batteries|medicine|medication|pills?|tablets?|cigarettes?|tobacco|"
          r"magnets?|coins?|chemicals?|cleaner|pods?)\b[^.?!]{0,30}\b(?:swallow\w*|ate|eaten|drank|drunk)\b|"
          r"got into (?:the |my |our )?(?:medicine|pills|cleaning|cabinet|bleach|detergent)|(?:toddler|baby|kid|child|"
          r"son|daughter)\b[^.?!]{0,40}\b(?:took|ate|swallowed)\b[^.?!]{0,20}\b(?:pills?|tablets?|medicine)|"
          r"\bpoison(?:ed|ing)\b|\boverdose"),
    _rule(ABUSE, r"\b(?:hits?|hitting|beats?|beating|beaten|kicks?|kicked|kicking|punch\w*|slap\w*|chok(?:e|es|ed|ing)|"
          r"hurts?|hurting|strangl\w*) (?:me|my|him|her|us|the kids?|the children|the baby)\b|domestic violence|"
          r"\babus\w*|being hit|\bhit me\b|\bhits me\b|violent|threaten\w* to kill|(?:scream\w*|crying|"
          r"hitting|yelling|shouting)[^.?!]{0,60}(?:next door|neighbo)|(?:next door|neighbo)[^.?!]{0,60}(?:scream\w*|"
          r"hitting|yelling|shouting|hit)"),
    _rule(SUICIDE, r"\b(?:want(?:s)? to die|wanna die|kill (?:myself|me)|suicid\w*|end(?:ing)? (?:my life|it all)|"
          r"wish i (?:was|were) dead|(?:want|feel like|wanna) (?:to )?disappear\w*|"
          r"don'?t want to (?:live|be alive|be here)|better off dead|hurt myself|self[- ]harm|cut(?:ting)? myself|"
          r"(?:cut|cutting|slit|slitting) (?:my|her|his) wrists?|"
          r"no reason to live|disappear forever|jump\w* (?:in front of|off|from) (?:a |the |my )?"
          r"(?:train|bridge|building|roof|balcony)|not (?:want|wanting) to (?:live|wake up))"),
)

# -- context ---------------------------------------------------------------------------------------------------
# Ordinary context, three kinds. A hypothetical case or prevention (「飲み込んだらどうする?」, 「〜ないように」) and
# a past history (「2年前にけいれん」, 「既往」) make a message ordinary; a question about a procedure or rule
# (「預かってもらえますか」, 「窓口」) does too, unless the message also tells of an event (「飲んだ」, 「殴られた」).
HYPOTHETICAL = _compile(
    r"(?:^|[。、!?！？])(?:(?!どこ|どう|何|なに|誰|だれ|いつ)[^。、!?！？])*?(?<!どう)(?<!どし)たら[^。]{0,14}?"
    r"(?:どう|いい(?!のに)|ええ(?!のに)|よい|良い|ですか|ますか|べき|[?？]|大丈夫|だいじょうぶ|何を|なにを)|場合|"
    r"ばあい|"
    r"(?:時|とき)(?:は|の(?!こと)|って|に備え)|どんな(?:時|とき|場合|ばあい)|"
    r"ないよう|ないため|防止|予防|よぼう|対策|たいさく|防ぐ|ふせ[ぐげ]|気[をい]?つけ|(?<!ひ)き[をい]つけ|注意|ちゅうい|"
    r"(?:思|おも)ったら|(?:と|って)(?:言う|いう)(?:友人|友達|ともだち|知人|人|ひと|子|こ)(?:に|へ|を|への|と)|"
    r"[とば](?:危ない|あぶない|危険|きけん)|って(?:本当|ほんと)|のは(?:危険|きけん|だめ|ダメ)|"
    r"ては(?:いけ|だめ|ダメ)|対処法|たいしょほう|応急|おうきゅう|講習|講座|教室|きょうしつ|"
    r"いべんと|イベント|テレビ|ニュース|記事|\b(?:what should i do if|prevent\w*|what if|in the news)\b"
)
HISTORY = _compile(
    r"既往|きおう|(?:けいれん|痙攣|ひきつけ)(?:歴|もち|持ち|止め|どめ)|(?:止め|どめ)の(?:薬|くすり)|"
    r"た(?:ことが|事が|こと(?:ある|あり))|経験|けいけん|(?:^|[、。\s])前に|(?:^|[、。\s])まえに|"
    r"[0-9一二三四五六七八九十数何]+(?:年|ヶ月|か月|カ月)(?:前|まえ)|以前|(?<![たいし])いぜん|昔|むかし|一度だけ|いちどだけ|"
    r"子どもの頃|子供の頃|こどものころ|小さい頃|ちいさいころ|妊娠中|にんしんちゅう|授乳中|じゅにゅうちゅう|"
    r"影響|えいきょう|(?:治|なお|おさま|治ま|収ま|落ち着|おちつ)(?:った|りました|いた|きました|いて)|入院|にゅういん|"
    r"退院|たいいん|遺族|いぞく|"
    r"(?:去年|きょねん|昨年|さくねん|先月|せんげつ)(?!から|より|ぐらいから|くらいから)|"
    r"(?<!since )\blast (?:year|month)\b|\b(?:years|months) ago\b"
)
PROCEDURE = _compile(
    r"できます|出来ます|できる(?:の)?[？?]|でき(?:ます)?か[?？]?$|もらえ(?:ます|る)|預か|あずか|捨て|すて(?:る|かた|"
    r"方)|"
    r"出し方|だしかた|何時まで|なんじまで|いつまで|何時から|いつから|受付|うけつけ|窓口|まどぐち|予約|よやく|"
    r"申し込|もうしこみ|申請|しんせい(?!じ)|費用|ひよう|料金|りょうきん|無料|むりょう|補助|ほじょ|助成|制度|"
    r"せいど|手続|てつづき|方法|ほうほう|やり方|やりかた|こつ|コツ|教えて|おしえて|知りたい|しりたい|ありますか|"
    r"るーる|ルール|決まり|きまり|規則|きそく|持ち物|座薬|ざやく|だいあっぷ|ダイアップ|診断書|しんだんしょ|書類|"
    r"しょるい|証明|保険|ほけん|医療証|どうやって|について|どこ(?:に|で|へ|か)|ですか|ますか|でしょうか|"
    r"対応|たいおう|対処|たいしょ|"
    r"[とば](?:いい|よい)(?:です)?か|"
    r"(?:方|ほう)が(?:いい|よい|良い|ええ)(?:ですか|でしょうか|か|の)|"
    r"何歳|なんさい|\b(?:how (?:to|do|can)|can (?:the|i|we)|is it ok|where can)\b|"
    r"どういう意味|どういういみ|講演|こうえんかい|(?<=たい)ぼうし|(?:\s|　)(?:どこ|いつ|なんばん)[?？]?$"
)
# Present danger: panic, now, an accident that just happened, uncertainty about what happened.
URGENT = _compile(
    r"どうしよ|どしよ|どうしたら|どうすれば|どうすりゃ|どしたら|たすけて|助けて|いそいで|急いで|至急|しきゅう|"
    r"今(?![年度日月週回後朝晩夜すせしさまどいは]|の(?:うち|ところ))|(?:^|[、。!！?？\s])いま(?![すせしさまどいは])|"
    r"いま(?=すぐ|、)|さっき|たった今|早く|はやく|[!！]|怖く|こわく|"
    r"やば|ヤバ|救急|きゅうきゅう|119|大変|たいへん|こわい|怖い|しもた|しまった|ちゃった|じゃった|もうた|"
    r"ちまった|\b(?:now|help|right now|emergency|please)\b"
)
# Not a person in danger: a pet, a game or sport, a toddler hitting a parent (with no present danger, these drop).
PET = _compile(r"(?:猫|ねこ|犬|いぬ|ぺっと|ペット|うさぎ|はむすたー|ハムスター|いんこ|インコ|金魚|きんぎょ|めだか|"
               r"メダカ|"
               r"かぶとむし|カブトムシ|虫|むし|鳥)(?:が|は|の|ちゃん)")
HUMAN_CHILD = _compile(r"子ども|こども|子供|息子|むすこ|娘|むすめ|赤ちゃん|あかちゃん|赤ん坊|乳児|幼児|[0-9一二三四五]"
                       r"(?:歳|才|さい|ヶ月|か月)|孫|まご|わらし|\bchild|\bkid|\bbaby|\bson\b|\bdaughter")
PLAY = _compile(r"さっかー|サッカー|野球|やきゅう|試合|しあい|練習|れんしゅう|部活|ぶかつ|すぽーつ|スポーツ|ぼーる|"
                r"ボール|"
                r"空手|からて|柔道|じゅうどう|ぼくしんぐ|ボクシング|ごっこ|遊びで|あそびで|ふざけ|兄弟げんか|友達|"
                r"ともだち|同級生|どうきゅうせい|くらすめ|クラスメ|学校で|がっこうで|先輩|せんぱい|いじめ|"
                r"きょうだいげんか|"
                r"兄弟喧嘩|いやいや期|イヤイヤ期|癇癪|かんしゃく|(?:子ども|こども|子供|息子|むすこ|娘|むすめ|赤ちゃん|"
                r"あかちゃん|[0-9一二三四五](?:歳|才|さい)(?:児|の子)?)(?:が|は)[^。]{0,10}?(?:私|わたし|ママ|まま|"
                r"母|はは|"
                r"パパ|ぱぱ|僕|ぼく|友達|ともだち)を")
# Present danger denied: 「今は大丈夫です」, 「今すぐ危ないわけではない」.
CALM = _compile(r"わけ(?:では|じゃ)な|(?:今|いま)は(?:何も|なにも|大丈夫|だいじょうぶ|落ち着|おちつ|元気|げんき|"
                  r"普通|ふつう|平気|へいき|ない|なく|安全|あんぜん)|\bnot (?:in danger|right now|urgent)|"
                r"\b(?:i'?m|i am|we'?re|we are) safe now")
# Small, mild or reassured: with weak evidence only, an ordinary question (「小さなやけど」, 「たんこぶだけで元気」).
MILD = _compile(r"小さな|ちいさな|軽い|かるい|軽く|かるく|軽度|けいど|少しだけ|すこしだけ|元気|げんき|普段通り|"
                r"ふだんどおり|いつも通り|いつもどおり|機嫌(?:が)?(?:いい|良い|よい)|けろっと|ケロッと|夏ばて|夏バテ|"
                r"なつばて|寒いから|さむいから|寒くて|さむくて|寒さ|さむさ|ほど(?:では|じゃ)|ほどの(?:こと)?(?:では|"
                r"じゃ)|"
                r"様子見|ようすみ")
# A story, not the citizen's life: a scene of a drama, film or game, a character (「ゲームでキャラが溺れた」).
FICTION = _compile(r"(?:ドラマ|どらま|映画|えいが|アニメ|あにめ|漫画|まんが|マンガ|小説|しょうせつ)の|キャラ|きゃら|"
                   r"(?:ゲーム|げーむ)の中")
# A message that laughs at itself (「死んだ笑」, 「終わったw」): nobody in danger writes it.
LAUGH = _compile(r"(?:笑|w|ｗ|草)[。!！]?$")
# 「死にたいくらい眠い」: a wish to die used as an exaggeration of a small trouble.
EXAGGERATION = _compile(r"すぎて|過ぎて|(?:恥ずかし|はずかし|恥し)くて|"
                        r"(?:る|ぬ)かと(?:思|おも)(?:う|った|いました)|"
                        r"(?:くらい|ぐらい|ほど)(?:忙|いそが|眠|ねむ|暑|あつ|寒|さむ|疲|つかれ|"
                          r"痛|いた|恥|はず|"
                          r"退屈|たいくつ|ひま|暇)")


class Views:
    """The surface and reading views of one message (see the module docstring)."""

    def __init__(self, text: str, normalizer: Normalizer) -> None:
        folded = fold(text).translate(SMALL_VOWELS)
        self.latin = folded
        self.surface = SPACES.sub("", folded)
        words = normalizer.words(self.surface)
        self.reading = "".join((w.reading or w.surface).translate(KATAKANA_TO_HIRAGANA) for w in words)
        self.reading = self.reading.translate(SMALL_VOWELS)
        self.lemmas = tuple(w.lemma for w in words)

    def search(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        return pattern.search(self.surface) or pattern.search(self.reading) or pattern.search(self.latin)


@lru_cache(maxsize=1)
def _normalizer() -> Normalizer:
    return Normalizer(cache_size=256)


def views_of(text: str) -> Views:
    """The views of one message, from one parse with the shared tagger."""
    return Views(text, _normalizer())


def assess(text: str) -> tuple[tuple[Emergency, ...], bool]:
    """The kinds a message may be about (most urgent first) and whether it surely is one."""
    return assess_views(views_of(text))


def assess_views(views: Views, found: list[Situation] | None = None) -> tuple[tuple[Emergency, ...], bool]:
    """``assess`` of a message already parsed into its views (and its ``situations``, when already found)."""
    hits = _with_company(situations(views) if found is None else found)
    if views.search(EXAGGERATION) and not views.search(URGENT):  # 「死にたいくらい眠い」
        hits = [hit for hit in hits if hit.kind is not Emergency.SUICIDE]
    return _decide(views, hits)


def situations(views: Views) -> list[Situation]:
    """Every situation rule the message matches, before company and context decide."""
    hits = [situation for situation in SITUATIONS if views.search(situation.pattern)]
    hits += [situation for situation in ENGLISH if situation.pattern.search(views.latin)]
    swallowed = _swallowed(views)
    if swallowed is not None:
        hits.append(Situation(Emergency.POISONING, _INGEST, strong=swallowed))
    return hits


def _with_company(hits: list[Situation]) -> list[Situation]:
    """Signs that count only beside another of their kind, and two weak signs of one kind made one strong one."""
    kept = [hit for hit in hits if hit.alone or any(other.alone and other.kind is hit.kind for other in hits)]
    for kind in {hit.kind for hit in kept}:
        weak = [hit for hit in kept if hit.kind is kind and not hit.strong]
        if len(weak) >= 2 and not any(hit.kind is kind and hit.strong for hit in kept):
            kept.append(Situation(kind, weak[0].pattern, strong=True, event=any(hit.event for hit in weak)))
    return kept


def _decide(views: Views, hits: list[Situation]) -> tuple[tuple[Emergency, ...], bool]:
    """Context decides: ordinary questions stay quiet unless they also show present danger (see the docstring)."""
    if not hits:
        return (), True
    urgent = bool(views.search(URGENT)) and not views.search(CALM)
    if not urgent and views.search(PET) and not views.search(HUMAN_CHILD):
        return (), True
    if not urgent and (views.search(FICTION) or views.search(LAUGH)):
        return (), True
    if not urgent and views.search(PLAY):
        hits = [hit for hit in hits if hit.kind is not Emergency.ABUSE]
        if not hits:
            return (), True
    hypothetical = bool(views.search(HYPOTHETICAL) or views.search(HISTORY))
    procedure = bool(views.search(PROCEDURE))
    if not any(hit.strong for hit in hits) and views.search(MILD):
        return (), True
    if not urgent:
        if hypothetical:
            return (), True
        if procedure:
            hits = [hit for hit in hits if hit.event and hit.strong]
    kinds = {hit.kind for hit in hits}
    if not kinds:
        return (), True
    sure = any(hit.strong for hit in hits) and not (hypothetical or procedure)
    return tuple(kind for kind in Emergency if kind in kinds), sure


def _swallowed(views: Views) -> bool | None:
    """Whether something was swallowed: True sure, False maybe, None no.

    Sure: an ingestion verb (not refused, negated or hypothetical) and, anywhere in the message, a substance or
    object, an unknown object (「何か飲み込んだ」), or a medicine or alcohol that a child took by accident. Maybe:
    a child and an accident with an ingestion verb but nothing named (「息子が飲んだかもしれん」).
    """
    if not any(not NOT_ACCIDENT_TAIL.match(view, verb.end()) for view in (views.surface, views.reading)
               for verb in _INGEST.finditer(view)):
        return None
    if views.search(_SUBSTANCE) or views.search(_UNKNOWN_OBJECT):
        return True
    child_accident = bool(views.search(_CHILD) and views.search(ACCIDENT))
    adult_substance = bool(views.search(_ADULT_SUBSTANCE))
    if adult_substance and (child_accident or views.search(OVERDOSE)):
        return True
    return False if child_accident or adult_substance and views.search(UNCERTAIN) else None


_INGEST = _compile(INGEST)
_SUBSTANCE = _compile(SUBSTANCE)
_UNKNOWN_OBJECT = _compile(UNKNOWN_OBJECT)
_CHILD = _compile(CHILD)
_ADULT_SUBSTANCE = _compile(MEDICINE + "|" + ALCOHOL)


CONTEXT: dict[str, re.Pattern[str]] = {
    "urgent": URGENT, "calm": CALM, "hypothetical": HYPOTHETICAL, "history": HISTORY, "procedure": PROCEDURE,
    "pet": PET, "child": HUMAN_CHILD, "play": PLAY, "mild": MILD, "exaggeration": EXAGGERATION,
    "fiction": FICTION, "laugh": LAUGH,
}


ORDINARY_CONTEXT = ("calm", "hypothetical", "history", "procedure", "play", "mild", "exaggeration", "fiction",
                    "laugh")


def ordinary_context(found: set[str]) -> bool:
    """Whether the ``signals`` say the message is an ordinary one unless it shows present danger: a question
    about rules or prevention, a history, play, mildness or an exaggeration without 「今」「!」「どうしよう」; and
    a pet with no child (whatever the urgency: the vet, not 119)."""
    if "ctx:pet" in found and "ctx:child" not in found:
        return True
    urgent = "ctx:urgent" in found and "ctx:calm" not in found
    return not urgent and any(f"ctx:{name}" in found for name in ORDINARY_CONTEXT)


def signals(views: Views, hits: list[Situation] | None = None) -> set[str]:
    """The rules' evidence as words for the learned model: which context patterns and which situation rules
    (kind and strength) the message matches, before context decides (``ctx:urgent``, ``hit:life:weak`` …)."""
    found = {f"ctx:{name}" for name, pattern in CONTEXT.items() if views.search(pattern)}
    hits = situations(views) if hits is None else hits
    found.update(f"hit:{hit.kind}:{'strong' if hit.strong else 'weak'}" for hit in hits)
    return found
