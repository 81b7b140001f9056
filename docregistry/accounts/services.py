"""Every write to a physician's account: sign-up, SMS codes, activation, profile, password recovery.

SMS codes are 6 digits, stored only as an HMAC keyed with ``SECRET_KEY``, valid for
``CODE_TTL``; ``MAX_ATTEMPTS`` wrong tries burn a code; a number may ask again only
after ``RESEND_COOLDOWN`` and at most ``HOURLY_CAP`` times an hour. The message is an
outbox row (``notification_queue``) that Celery sends after the transaction commits.

Checking a code is deliberately *not* one atomic block around the caller: a wrong try
must be counted even though the caller then fails, so ``sms_code_verify`` commits the
attempt in its own small transaction and raises afterwards.
"""

import logging
import secrets
import unicodedata
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from docregistry.registrations.notifications import notification_queue
from docregistry.validators import (
    normalize_id_number,
    normalize_mobile,
    normalize_real_name,
    validate_id_number,
    validate_mobile,
    validate_real_name,
)
from qualifications.selectors import qualification_match

from . import sms_limits
from .models import Role, SmsCode, User

logger = logging.getLogger("docregistry.audit")

CODE_LENGTH = 6
CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_COOLDOWN = timedelta(seconds=60)
HOURLY_CAP = 5

MSG_CODE_COOLDOWN = _("A code was sent to this number less than a minute ago. Please wait %(seconds)s seconds.")
MSG_CODE_HOURLY_CAP = _("Too many codes were sent to this number in the last hour. Please try again later.")
MSG_CODE_FORMAT = _("The code has 6 digits.")
MSG_CODE_WRONG = _("The code is not correct. Tries left: %(left)s.")
MSG_CODE_BURNT = _("Too many wrong tries: this code no longer works. Please ask for a new one.")
MSG_CODE_EXPIRED = _("This code has expired or was never sent. Please ask for a new one.")
MSG_ID_TAKEN = _("An account with this ID number already exists. If it is yours, recover its password.")
MSG_USERNAME_TAKEN = _("This username is taken. Please choose another.")
MSG_USERNAME_IS_NAME = _("The username is your login name, not your real name; please choose another.")
MSG_MOBILE_SAME = _("This is already your mobile number.")
MSG_IDENTITY_MATCHED = _(
    "Your name and ID number already match a qualification record; they can no longer be changed here."
)
MSG_RESET_CODE = _("The code is not correct or no longer valid. Please check it, or ask for a new one.")
MSG_ALREADY_ACTIVE = _("Your mobile number is already verified.")

CODE_MESSAGES = {
    SmsCode.Purpose.ACTIVATE: _("Your activation code is %(code)s. It is valid for 10 minutes. Do not tell anyone."),
    SmsCode.Purpose.RESET_PASSWORD: _(
        "Your password recovery code is %(code)s. It is valid for 10 minutes. If you did not ask for it, ignore this message."
    ),
    SmsCode.Purpose.CHANGE_MOBILE: _(
        "Your code to confirm this new mobile number is %(code)s. It is valid for 10 minutes."
    ),
}


def _code_hash(*, mobile: str, purpose: str, code: str) -> str:
    return salted_hmac("docregistry.accounts.sms-code", f"{mobile}:{purpose}:{code}", algorithm="sha256").hexdigest()


def normalize_code(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value or "").split())


# ---- SMS codes ---------------------------------------------------------------


@transaction.atomic
def sms_code_send(*, mobile: str, purpose: str, user: User | None = None, ip: str | None = None) -> SmsCode:
    """Create a code for ``mobile`` and queue the SMS; refuse inside the cool-down, over the number's hourly
    cap, or over the client address's, the account's or the site's limit (``sms_limits``)."""
    sms_limits.number_lock(mobile)  # concurrent sends to this number wait here until this one commits
    now = timezone.now()
    recent = SmsCode.objects.select_for_update().filter(mobile=mobile, created_at__gte=now - timedelta(hours=1))
    recent = list(recent.order_by("-created_at").values("purpose", "created_at"))
    last_same = next((row for row in recent if row["purpose"] == purpose), None)
    if last_same is not None and now - last_same["created_at"] < RESEND_COOLDOWN:
        wait = RESEND_COOLDOWN - (now - last_same["created_at"])
        raise ValidationError(MSG_CODE_COOLDOWN % {"seconds": max(1, int(wait.total_seconds()))}, code="cooldown")
    if len(recent) >= HOURLY_CAP:
        raise ValidationError(MSG_CODE_HOURLY_CAP, code="hourly_cap")
    sms_limits.budget_take(user=user, ip=ip)
    # Only the newest code of a number and purpose works.
    SmsCode.objects.filter(mobile=mobile, purpose=purpose, used_at__isnull=True).update(used_at=now)
    code = f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"
    sms_code = SmsCode.objects.create(
        user=user,
        mobile=mobile,
        purpose=purpose,
        code_hash=_code_hash(mobile=mobile, purpose=purpose, code=code),
        expires_at=now + CODE_TTL,
    )
    with translation.override("zh-hans"):
        body = gettext(CODE_MESSAGES[purpose]) % {"code": code}
    notification_queue(channel="sms", recipient=mobile, body=body, sealed=True)
    return sms_code


def sms_code_cooldown_left(*, mobile: str, purpose: str) -> int:
    """Seconds until a new code may be sent (0 when it may be sent now)."""
    last = SmsCode.objects.filter(mobile=mobile, purpose=purpose).order_by("-created_at").first()
    if last is None:
        return 0
    left = RESEND_COOLDOWN - (timezone.now() - last.created_at)
    return max(0, int(left.total_seconds()))


def sms_code_verify(*, mobile: str, purpose: str, code: str, user: User | None = None) -> SmsCode:
    """Use the newest code of ``mobile`` and ``purpose``; a wrong try is counted and kept even though we raise."""
    code = normalize_code(code)
    if len(code) != CODE_LENGTH or not code.isdigit():
        raise ValidationError(MSG_CODE_FORMAT, code="code_format")
    error = None
    with transaction.atomic():
        qs = SmsCode.objects.select_for_update().filter(mobile=mobile, purpose=purpose, used_at__isnull=True)
        if user is not None:
            qs = qs.filter(user=user)
        sms_code = qs.order_by("-created_at").first()
        now = timezone.now()
        if sms_code is None or sms_code.expires_at <= now:
            error = ValidationError(MSG_CODE_EXPIRED, code="code_expired")
        elif sms_code.attempts >= MAX_ATTEMPTS:
            error = ValidationError(MSG_CODE_BURNT, code="code_burnt")
        elif not constant_time_compare(sms_code.code_hash, _code_hash(mobile=mobile, purpose=purpose, code=code)):
            sms_code.attempts += 1
            sms_code.save(update_fields=["attempts"])
            left = MAX_ATTEMPTS - sms_code.attempts
            if left <= 0:
                error = ValidationError(MSG_CODE_BURNT, code="code_burnt")
            else:
                error = ValidationError(MSG_CODE_WRONG % {"left": left}, code="code_wrong")
        else:
            sms_code.used_at = now
            sms_code.save(update_fields=["used_at"])
    if error is not None:
        raise error
    return sms_code


# ---- Sign-up and activation --------------------------------------------------


def _clean_identity(*, real_name: str, id_number: str, errors: dict) -> tuple[str, str]:
    real_name = normalize_real_name(real_name)
    id_number = normalize_id_number(id_number)
    for field, value, validator in (
        ("real_name", real_name, validate_real_name),
        ("id_number", id_number, validate_id_number),
    ):
        try:
            validator(value)
        except ValidationError as exc:
            errors[field] = exc.messages
    return real_name, id_number


def _id_number_taken(id_number: str, *, excluding: User | None = None) -> bool:
    qs = User.objects.filter(role=Role.PHYSICIAN, id_number=id_number)
    if excluding is not None:
        qs = qs.exclude(pk=excluding.pk)
    return qs.exists()


@transaction.atomic
def physician_signup(
    *, username: str, password: str, real_name: str, id_number: str, mobile: str, email: str, ip: str | None = None
) -> User:
    """Create an inactive physician account (one per ID number) and send the activation code."""
    errors: dict = {}
    username = (username or "").strip()
    real_name, id_number = _clean_identity(real_name=real_name, id_number=id_number, errors=errors)
    mobile = normalize_mobile(mobile)
    email = (email or "").strip()
    try:
        validate_mobile(mobile)
    except ValidationError as exc:
        errors["mobile"] = exc.messages
    try:
        validate_email(email)
    except ValidationError as exc:
        errors["email"] = exc.messages
    if not username:
        errors["username"] = [str(_("This field is required."))]
    elif username == real_name:
        errors["username"] = [str(MSG_USERNAME_IS_NAME)]
    else:
        try:
            User.username_validator(username)
        except ValidationError as exc:
            errors["username"] = exc.messages
        if User.objects.filter(username__iexact=username).exists():
            errors["username"] = [str(MSG_USERNAME_TAKEN)]
    if "id_number" not in errors and _id_number_taken(id_number):
        errors["id_number"] = ValidationError(MSG_ID_TAKEN, code="id_taken")
    candidate = User(username=username, real_name=real_name, id_number=id_number, email=email, role=Role.PHYSICIAN)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username,
                password=password,
                email=email,
                role=Role.PHYSICIAN,
                real_name=real_name,
                id_number=id_number,
                mobile=mobile,
            )
    except IntegrityError:  # someone signed up with the same ID number or username a moment ago
        raise ValidationError({"id_number": ValidationError(MSG_ID_TAKEN, code="id_taken")}) from None
    logger.info("physician signup user=%s id=%s", user.pk, id_number[:6] + "********" + id_number[-4:])
    sms_code_send(mobile=mobile, purpose=SmsCode.Purpose.ACTIVATE, user=user, ip=ip)
    return user


def activation_code_send(*, user: User, ip: str | None = None) -> SmsCode:
    if user.mobile_verified_at is not None:
        raise ValidationError(MSG_ALREADY_ACTIVE, code="already_active")
    return sms_code_send(mobile=user.mobile, purpose=SmsCode.Purpose.ACTIVATE, user=user, ip=ip)


def physician_activate(*, user: User, code: str) -> User:
    """Verify the mobile number with the activation code; the account is then active."""
    sms_code_verify(mobile=user.mobile, purpose=SmsCode.Purpose.ACTIVATE, code=code, user=user)
    return _mobile_mark_verified(user=user, mobile=user.mobile)


@transaction.atomic
def _mobile_mark_verified(*, user: User, mobile: str) -> User:
    user.mobile = mobile
    user.mobile_verified_at = timezone.now()
    user.save(update_fields=["mobile", "mobile_verified_at"])
    return user


# ---- Identity correction (qualification page) ---------------------------------


@transaction.atomic
def physician_identity_correct(*, user: User, real_name: str, id_number: str, ip: str | None = None) -> User:
    """Correct a typo in name or ID number; only while nothing matches, and audited."""
    if qualification_match(name=user.real_name, id_number=user.id_number).exists():
        raise ValidationError(MSG_IDENTITY_MATCHED, code="identity_matched")
    errors: dict = {}
    real_name, id_number = _clean_identity(real_name=real_name, id_number=id_number, errors=errors)
    if "id_number" not in errors and _id_number_taken(id_number, excluding=user):
        errors["id_number"] = ValidationError(MSG_ID_TAKEN, code="id_taken")
    if errors:
        raise ValidationError(errors)
    old_name, old_id = user.real_name, user.id_number
    user.real_name = real_name
    user.id_number = id_number
    try:
        with transaction.atomic():
            user.save(update_fields=["real_name", "id_number"])
    except IntegrityError:
        raise ValidationError({"id_number": ValidationError(MSG_ID_TAKEN, code="id_taken")}) from None
    logger.info(
        "identity corrected user=%s ip=%s name: %s -> %s id_number: %s -> %s",
        user.pk,
        ip or "-",
        old_name,
        real_name,
        old_id,
        id_number,
    )
    return user


# ---- Profile -----------------------------------------------------------------


def mobile_change_request(*, user: User, mobile: str, ip: str | None = None) -> str:
    """Send a code to the new number; returns the normalised number."""
    mobile = normalize_mobile(mobile)
    validate_mobile(mobile)
    if mobile == user.mobile:
        raise ValidationError(MSG_MOBILE_SAME, code="mobile_same")
    sms_code_send(mobile=mobile, purpose=SmsCode.Purpose.CHANGE_MOBILE, user=user, ip=ip)
    return mobile


def mobile_change_confirm(*, user: User, mobile: str, code: str) -> User:
    """The new number is taken only once the code sent to it comes back."""
    mobile = normalize_mobile(mobile)
    sms_code_verify(mobile=mobile, purpose=SmsCode.Purpose.CHANGE_MOBILE, code=code, user=user)
    old = user.mobile
    user = _mobile_mark_verified(user=user, mobile=mobile)
    logger.info("mobile changed user=%s %s -> %s", user.pk, old, mobile)
    return user


@transaction.atomic
def email_change(*, user: User, email: str) -> User:
    email = (email or "").strip()
    validate_email(email)
    user.email = email
    user.save(update_fields=["email"])
    return user


# ---- Password recovery by SMS ----------------------------------------------------


def _physician_by_id_and_mobile(*, id_number: str, mobile: str) -> User | None:
    return User.objects.filter(
        role=Role.PHYSICIAN,
        id_number=normalize_id_number(id_number),
        mobile=normalize_mobile(mobile),
        is_active=True,
    ).first()


def password_reset_code_send(*, id_number: str, mobile: str, ip: str | None = None) -> bool:
    """Send a recovery code if ``id_number`` and ``mobile`` belong to one account; whether one was sent.

    Never raises and the caller's answer must not depend on the result: a matching pair and a wrong
    one look the same from outside (a refused send — cool-down, a cap — is logged, not shown).
    """
    user = _physician_by_id_and_mobile(id_number=id_number, mobile=mobile)
    if user is None:
        logger.info("password recovery: no account for the pair given ip=%s", ip or "-")
        return False
    try:
        sms_code_send(mobile=user.mobile, purpose=SmsCode.Purpose.RESET_PASSWORD, user=user, ip=ip)
    except ValidationError as exc:
        logger.info(
            "password recovery code not sent user=%s: %s", user.pk, ", ".join(e.code or "" for e in exc.error_list)
        )
        return False
    return True


def password_reset_by_sms(*, id_number: str, mobile: str, code: str, new_password: str) -> User:
    """Set the new password if the code sent for this pair comes back; a wrong pair reads like a wrong code."""
    user = _physician_by_id_and_mobile(id_number=id_number, mobile=mobile)
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.messages}) from None
    if user is None:
        if len(normalize_code(code)) != CODE_LENGTH or not normalize_code(code).isdigit():
            raise ValidationError(MSG_CODE_FORMAT, code="code_format")
        raise ValidationError(MSG_RESET_CODE, code="code_wrong")
    try:
        sms_code_verify(mobile=user.mobile, purpose=SmsCode.Purpose.RESET_PASSWORD, code=code, user=user)
    except ValidationError as exc:
        if exc.code == "code_format":
            raise
        raise ValidationError(MSG_RESET_CODE, code="code_wrong") from None
    return _password_set(user=user, password=new_password)


@transaction.atomic
def _password_set(*, user: User, password: str) -> User:
    user.set_password(password)
    fields = ["password"]
    if user.mobile_verified_at is None:  # the code reached the phone: the number is verified too
        user.mobile_verified_at = timezone.now()
        fields.append("mobile_verified_at")
    user.save(update_fields=fields)
    logger.info("password reset by SMS user=%s", user.pk)
    return user
