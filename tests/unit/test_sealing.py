"""The consenting person sealed at intake (services/common/sealing.py): opens only with the intake key it names,
for the enterprise it was sealed for, unaltered; rotation keeps persons sealed to the former key readable."""

import pytest

from services.common import sealing

PERSON = b'{"name":"Griet Vermeulen","email":"griet.vermeulen@example.be","role":"zaakvoerder"}'


def test_a_sealed_person_opens_with_its_intake_key_only() -> None:
    private, public = sealing.generate()
    keys = sealing.private_keys(private)
    sealed = sealing.seal(sealing.public_key(public), "0428759497", PERSON)
    assert b"Griet" not in sealed.model_dump_json().encode()
    assert sealing.open_sealed(keys, "0428759497", sealed) == PERSON
    with pytest.raises(sealing.SealError, match="altered data"):
        sealing.open_sealed(keys, "0403019261", sealed)  # moved to another business
    other_private, _ = sealing.generate()
    with pytest.raises(sealing.SealError, match="does not hold"):
        sealing.open_sealed(sealing.private_keys(other_private), "0428759497", sealed)
    tampered = sealed.model_copy(update={"ciphertext": sealed.ciphertext[:-4] + "AAA="})
    with pytest.raises(sealing.SealError, match="altered data"):
        sealing.open_sealed(keys, "0428759497", tampered)


def test_after_rotation_the_worker_opens_persons_sealed_to_either_key() -> None:
    old_private, old_public = sealing.generate()
    new_private, new_public = sealing.generate()
    before = sealing.seal(sealing.public_key(old_public), "0428759497", PERSON)
    after = sealing.seal(sealing.public_key(new_public), "0428759497", PERSON)
    keys = sealing.private_keys(f"{new_private},{old_private}")  # newest first
    assert before.key_id != after.key_id
    assert sealing.open_sealed(keys, "0428759497", before) == sealing.open_sealed(keys, "0428759497", after) == PERSON
    with pytest.raises(sealing.SealError):  # the former key retired once nothing sealed to it is left to decide
        sealing.open_sealed(sealing.private_keys(new_private), "0428759497", before)
