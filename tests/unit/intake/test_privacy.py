"""举报人信息: checking, sealing and key rotation."""

import pytest
from cryptography.fernet import Fernet, InvalidToken

from services.intake.privacy import ContactVault, ReporterContact, contact_from
from services.intake.settings import DEVELOPMENT_CONTACT_KEY, IntakeSettings
from shared.errors import InvalidCommand


def test_a_mobile_number_is_normalised_from_what_people_type() -> None:
    contact = contact_from(" 李四 ", "+86 138 0013 8000")
    assert contact is not None and (contact.name, contact.phone) == ("李四", "13800138000")


def test_a_landline_with_area_code_is_accepted() -> None:
    contact = contact_from(None, "0710-3123456")
    assert contact is not None and contact.phone == "0710-3123456"


def test_no_name_and_no_phone_is_no_contact() -> None:
    assert contact_from("  ", "") is None


def test_a_wrong_phone_is_refused_without_repeating_it() -> None:
    with pytest.raises(InvalidCommand) as caught:
        contact_from("王五", "12345", field_prefix="reporter.")
    assert caught.value.field == "reporter.phone"
    assert "12345" not in str(caught.value) and "王五" not in str(caught.value)


def test_a_contact_never_shows_its_name_or_phone_in_a_repr() -> None:
    text = repr(ReporterContact(name="赵六", phone="13900139000"))
    assert "赵六" not in text and "13900139000" not in text


def test_a_sealed_value_opens_and_does_not_contain_the_plain_text() -> None:
    vault = ContactVault(Fernet.generate_key().decode())
    token = vault.seal("13800138000")
    assert token is not None and b"13800138000" not in token
    assert vault.open(token) == "13800138000"
    assert vault.seal(None) is None


def test_after_rotation_only_the_new_key_is_needed() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = ContactVault(old).seal("孙七")
    rotated = ContactVault(f"{new},{old}").rotate(token)
    assert ContactVault(new).open(rotated) == "孙七"
    with pytest.raises(InvalidToken):
        ContactVault(new).open(token)


def test_the_development_key_is_refused_outside_development() -> None:
    with pytest.raises(ValueError, match="CONTACT_KEYS"):
        IntakeSettings(environment="production", contact_keys=DEVELOPMENT_CONTACT_KEY)
    own = Fernet.generate_key().decode()
    assert IntakeSettings(environment="production", contact_keys=own).contact_keys == own
    assert DEVELOPMENT_CONTACT_KEY not in repr(IntakeSettings())


def test_a_mobile_typed_with_hyphens_or_a_country_code_is_its_eleven_digits() -> None:
    for typed in ("139-1234-5602", "+86 139-1234-5602", "0086 13912345602", "（139）1234 5602"):
        contact = contact_from(None, typed)
        assert contact is not None and contact.phone == "13912345602", typed


def test_each_report_gets_its_own_data_key_wrapped_by_the_service_key_and_never_shown() -> None:
    vault = ContactVault(Fernet.generate_key().decode())
    (key, wrapped), (other, _) = vault.new_data_key(), vault.new_data_key()
    token = key.seal("13800138000")
    assert token is not None and key.open(token) == "13800138000"
    with pytest.raises(InvalidToken):  # another report's key, or the service key itself, opens nothing
        other.open(token)
    with pytest.raises(InvalidToken):
        vault.open(token)
    assert vault.unwrap(wrapped).open(token) == "13800138000"
    assert repr(key) == "DataKey(…)"


def test_rotation_rewraps_a_data_key_and_the_contact_stays_as_it_was_sealed() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    key, wrapped = ContactVault(old).new_data_key()
    token = key.seal("孙七")
    rewrapped = ContactVault(f"{new},{old}").rotate(wrapped)
    assert rewrapped is not None
    assert ContactVault(new).unwrap(rewrapped).open(token) == "孙七"
    with pytest.raises(InvalidToken):  # the retired key no longer unwraps what it wrapped
        ContactVault(new).unwrap(wrapped)
