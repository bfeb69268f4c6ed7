from bot.postback import Postback, PostbackSigner

USER, OTHER = "U" + "a" * 32, "U" + "b" * 32


def test_signed_postback_round_trips_for_its_user() -> None:
    signer = PostbackSigner("secret")
    data = signer.sign(USER, "choose", "childcare-nursery-apply-period")
    assert len(data) <= 300
    assert signer.verify(USER, data) == Postback("choose", "childcare-nursery-apply-period")


def test_postback_for_another_user_is_refused() -> None:
    signer = PostbackSigner("secret")
    assert signer.verify(OTHER, signer.sign(USER, "handoff", "yes")) is None


def test_tampered_or_foreign_postbacks_are_refused() -> None:
    signer = PostbackSigner("secret")
    data = signer.sign(USER, "choose", "faq-a")
    assert signer.verify(USER, data.replace("faq-a", "faq-b")) is None
    assert signer.verify(USER, PostbackSigner("other-secret").sign(USER, "choose", "faq-a")) is None
    for junk in ["", "v1|choose|x", "v2|choose|x|sig", "v1|delete|x|sig", "|||", "v1|choose|x|" + "A" * 22]:
        assert signer.verify(USER, junk) is None
