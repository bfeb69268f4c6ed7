"""The bot's fixed Japanese texts for citizens (reviewed in code review; never generated).

Kept apart from the logic that picks them, so a reviewer can read every sentence the bot may send in one place.
Texts with ``{…}`` fields are formatted by the caller.
"""

from __future__ import annotations

TEXT = {
    "greeting": "こんにちは。富山市の子育て・手続き・観光についての質問に、市の公開情報からお答えします。"
    "知りたいことを文章で送ってください。",
    "thanks": "どういたしまして。ほかにも知りたいことがあれば、いつでも送ってください。",
    "too_long": "メッセージが長すぎるため読み取れませんでした。"
    "お手数ですが、1,000文字以内で、知りたいことを短く送ってください。",
    "empty": "質問の内容を文章で送ってください。",
    "no_text": "ごめんなさい、スタンプや絵文字だけでは内容が分かりませんでした。"
    "知りたいことを文章で送ってください。",
    "suggest": "もしかして、次のどれかについてのご質問ですか？当てはまるものを選んでください。",
    "suggest_other_place": "富山市以外の地域についてのご質問かもしれません。"
    "富山市の情報でよければ、次から選んでください。",
    "suggest_topic": "どの内容について知りたいですか？次から選ぶか、知りたいことを文章で送ってください。",
    "suggest_uncovered": "ご質問にぴったり当てはまる情報は見つかりませんでした。近い内容はこちらです。"
    "当てはまらないときは、市の職員に聞くこともできます。",
    "one_at_a_time": "いくつか質問があるときは、1つずつ送っていただくと、より正確にお答えできます。",
    "handoff_offer": "ごめんなさい、お答えできる情報が見つかりませんでした。市の職員に質問を送りますか？"
    "職員からの返信は、開庁時間内に順番にお送りします。",
    "out_of_scope": "ごめんなさい、このご質問にはお答えできません。\n"
    "つなぐは、富山市の子育て・手続き・観光についてお答えしています。"
    "市のことでしたら、言葉を変えて送るか、下の分野から選んでください。"
    "市の職員に聞きたいときは「職員に聞く」を押してください。",
    "follow_up_noted": "このメッセージも職員に伝えました（受付番号 {ticket_id}）。",
    "solved": "解決してよかったです。ほかにも知りたいことがあれば、いつでも送ってください。",
    "non_text": "ごめんなさい、このアカウントでは文章での質問にお答えしています。知りたいことを文章で送ってください。",
    "feedback_thanks": "ご意見ありがとうございます。今後の改善に役立てます。",
    "feedback_down": "お役に立てず、ごめんなさい。ご意見は今後の改善に役立てます。\n"
    "言葉を変えてもう一度質問するか、市の職員に聞くことができます。",
    "feedback_down_no_question": "お役に立てず、ごめんなさい。ご意見は今後の改善に役立てます。\n"
    "言葉を変えて、もう一度質問を送ってください。",
    "rephrase": "言葉を変えて、もう一度質問を送ってください。"
    "「いつ」「どこで」「何が必要か」など、知りたいことを具体的に書くと見つかりやすくなります。",
    "unknown_postback": "この操作は有効期限が切れたか、正しくありません。もう一度質問を送ってください。",
    "follow": "友だち追加ありがとうございます。つなぐ（富山市の問い合わせ窓口）です。\n"
    "子育て・手続き・観光について、市が公開している情報から24時間お答えします。"
    "お答えできないときは、市の職員につなぎます。",
    "privacy": "【個人情報の取り扱い】\n"
    "・保存するもの：あなたのLINEのユーザーIDと、送られたメッセージ・回答の記録\n"
    "・目的：質問への回答、職員による対応、サービスの改善\n"
    "・保存期間：最後のやり取りから{retention_days}日\n"
    "・削除：「データ削除」と送ると、あなたの記録を削除できます。\n"
    "緊急のときは119番、子どもの急病の相談は #8000 へお電話ください。",
    "category": "【{label}】{scope}\nよくある質問から選ぶか、知りたいことを文章で送ってください。",
    "category_empty": "【{label}】{scope}\n知りたいことを文章で送ってください。",
    "staff_offer": "直前のご質問「{question}」を市の職員に送りますか？\n{expectation}",
    "staff_how": "市の職員に相談するときは、まず知りたいことを文章で送ってください。"
    "つなぐがお答えできないときは、職員に質問を送るかお尋ねします。\n"
    "職員の対応は開庁時間（{hours}）内です。{expectation}",
    "staff_open": "職員への質問（受付番号 {ticket_id}）を受け付けています。"
    "付け加えたいことは、そのまま送ってください。職員に伝わります。",
    "emergency_menu": "【緊急のとき】\n{guidance}",
    "help": "【つなぐの使い方】\n"
    "・富山市の子育て・手続き・観光について、市が公開している情報からお答えします。\n"
    "・知りたいことを文章で送ってください（例：「保育園の申し込みはいつから？」）。\n"
    "・答えが見つからないときは、市の職員に質問を送れます。\n"
    "・「キャンセル」：職員への質問を取り消します。\n"
    "・「データ削除」：あなたの記録を削除します。\n"
    "【個人情報】LINEのユーザーIDとやり取りの記録を、回答・職員の対応・改善のためだけに使い、"
    "最後のやり取りから{retention_days}日で削除します。\n"
    "緊急のときは119番、子どもの急病の相談は #8000 へ。",
}

LABELS = {
    "handoff_yes": "はい（職員に送る）",
    "handoff_none_fit": "どれも違う（職員に聞く）",
    "no": "いいえ",
    "rephrase": "言い換えて質問する",
    "ask_staff": "職員に聞く",
    "menu_staff": "職員に相談する",
}

# For users who write in English (Latin script): the texts of the search flow. Hand-off, ticket and privacy
# texts stay Japanese; staff answer in Japanese.
TEXT_EN = {
    "suggest": "Did you mean one of these? Please choose the one that fits.",
    "suggest_other_place": "Your question may be about a place outside Toyama City. If Toyama City's "
    "information helps, please choose below.",
    "suggest_topic": "Which of these would you like to know about? Choose one, or send your question.",
    "suggest_uncovered": "I could not find information that exactly fits your question. These are close; if "
    "none fits, you can ask city staff.",
    "one_at_a_time": "If you have several questions, sending them one at a time helps me answer more precisely.",
    "handoff_offer": "Sorry, I could not find an answer. Shall I send your question to city staff? They answer "
    "in Japanese during office hours.",
    "out_of_scope": "Sorry, I cannot answer this question.\nTsunagu answers questions about childcare, "
    "procedures and tourism in Toyama City. Please rephrase, or choose a topic below. To ask city staff, tap "
    "\"Ask city staff\".",
    "solved": "Glad it helped. Send another question any time.",
}

LABELS_EN = {
    "handoff_yes": "Yes, ask staff",
    "handoff_none_fit": "None (ask staff)",
    "no": "No",
    "ask_staff": "Ask city staff",
}
