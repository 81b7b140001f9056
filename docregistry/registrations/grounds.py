"""The statutory grounds (SPEC section 9), loaded by migration into ``Ground``; the operator edits them in admin.

Each entry is (code, text, legal basis). The codes are what the code refers to
(``Ground.objects.get(kind=..., code=...)``); the texts are the law's words and are
shown, printed and sent as they are.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_BAN = "《医师执业注册管理办法》第十八条"
_LAW_17 = "《中华人民共和国医师法》第十七条"

GROUNDS = {
    "refusal": [
        ("no_capacity", "无民事行为能力或者限制民事行为能力", "《中华人民共和国医师法》第十六条第（一）项"),
        ("criminal", "受刑事处罚，刑罚执行完毕不满二年", "《中华人民共和国医师法》第十六条第（二）项"),
        ("ban", "被依法禁止从事医师职业的期限未满", "《中华人民共和国医师法》第十六条第（二）项"),
        ("revoked", "被吊销医师执业证书不满二年", "《中华人民共和国医师法》第十六条第（三）项"),
        (
            "assessment_cancelled",
            "因医师定期考核不合格被注销注册不满一年",
            "《中华人民共和国医师法》第十六条第（四）项",
        ),
        ("health", "身体健康状况不适宜继续执业", "《医师执业注册管理办法》第六条"),
        ("assessment", "重新申请注册，经考核不合格", "《医师执业注册管理办法》第六条"),
        ("cheating", "在医师资格考试中参与有组织作弊", "《医师执业注册管理办法》第六条"),
        ("forged", "以伪造、变造或者借用他人医师资格证书等不正当手段申请注册", "《医师执业注册管理办法》第六条"),
        (
            "other",
            "法律、行政法规规定不得从事医疗卫生服务的其他情形",
            "《中华人民共和国医师法》第十六条第（五）项",
        ),
    ],
    "suspension": [
        ("assessment_failed", "医师定期考核不合格，责令暂停执业活动", "《中华人民共和国医师法》第四十四条"),
        ("penalty", "违法执业，责令暂停执业活动", "《中华人民共和国医师法》第五十五条至第五十八条"),
    ],
    "cancellation": [
        ("death", "死亡或者被宣告失踪", f"{_BAN}第（一）项；{_LAW_17}第（一）项"),
        ("criminal", "受刑事处罚", f"{_BAN}第（二）项；{_LAW_17}第（二）项"),
        ("revoked", "被吊销医师执业证书", f"{_BAN}第（三）项；{_LAW_17}第（三）项"),
        ("assessment_twice", "定期考核不合格，暂停执业活动期满，再次考核仍不合格", f"{_BAN}第（四）项"),
        ("assessment_missed", "连续两个考核周期未参加医师定期考核", f"{_BAN}第（五）项"),
        ("suspended_two_years", "中止医师执业活动满二年", f"{_BAN}第（六）项；{_LAW_17}第（五）项"),
        ("departure_two_years", "离开执业机构满二年未重新注册执业", f"{_BAN}第（六）项、第十九条"),
        ("health", "身体健康状况不适宜继续执业", f"{_BAN}第（七）项"),
        ("certificate_misuse", "出借、出租、抵押、转让、涂改《医师执业证书》", f"{_BAN}第（八）项"),
        ("cheating", "在医师资格考试中参与有组织作弊", f"{_BAN}第（九）项"),
        ("own_request", "本人主动申请", f"{_BAN}第（十）项"),
        ("other", "国家卫生健康委规定不宜从事医疗、预防、保健业务的其他情形", f"{_BAN}第（十一）项"),
    ],
    "revocation": [
        ("improper_means", "以不正当手段取得医师执业证书", "《中华人民共和国医师法》第五十四条"),
        ("serious_violation", "违法执业，情节严重", "《中华人民共和国医师法》第五十五条至第五十八条"),
    ],
}

MSG_GROUND_UNKNOWN = _("Choose the legal ground.")


def load_grounds(Ground) -> None:  # noqa: N803 - a model class, possibly historical
    """Insert or update the grounds above; safe to run again (the migration and tests use it)."""
    for kind, rows in GROUNDS.items():
        for position, (code, text, basis) in enumerate(rows):
            Ground.objects.update_or_create(
                kind=kind, code=code, defaults={"text": text, "legal_basis": basis, "position": position}
            )


def ground_get(*, kind: str, code: str):
    """The active ground of ``kind`` named ``code``, or a ValidationError on the ``ground`` field."""
    from .register_models import Ground

    ground = Ground.objects.filter(kind=kind, code=code or "", is_active=True).first()
    if ground is None:
        raise ValidationError({"ground": MSG_GROUND_UNKNOWN})
    return ground


def ground_choices(kind: str) -> list[tuple[str, str]]:
    """``(code, text)`` for a form's choices, in the law's order."""
    from .register_models import Ground

    return [(g.code, str(g)) for g in Ground.objects.filter(kind=kind, is_active=True)]


# What a physician may do against a refusal or a cancellation (行政复议法 art. 20, 行政诉讼法 art. 46).
RIGHTS_NOTICE = _(
    "If you disagree with this decision you may apply for administrative reconsideration (行政复议) within "
    "60 days of receiving it, or bring an administrative lawsuit (行政诉讼) before a people's court within 6 months."
)
