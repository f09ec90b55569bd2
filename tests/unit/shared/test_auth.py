"""The identity the gateway vouches for is signed once per half minute and checked once per token, and still
never outlives its minute."""

import time

import pytest

from shared.auth import TOKEN_SECONDS, Identity, IdentitySigner, IdentityVerifier, generate_keypair
from shared.web import Problem


class Clock:
    """Starts at the real time, which PyJWT checks the token's times against."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def create_pair(clock: Clock) -> tuple[IdentitySigner, IdentityVerifier]:
    private, public = generate_keypair()
    return IdentitySigner(private, clock), IdentityVerifier(public, clock)


def test_the_same_citizen_within_half_a_minute_is_vouched_for_with_the_same_token() -> None:
    clock = Clock()
    signer, _ = create_pair(clock)
    citizen = Identity("12345678", "citizen")
    first = signer.sign(citizen)
    clock.now += TOKEN_SECONDS / 2 - 1
    assert signer.sign(citizen) == first
    assert signer.sign(Identity("87654321", "citizen")) != first
    clock.now += 2
    assert signer.sign(citizen) != first


def test_a_reused_token_always_arrives_with_at_least_half_its_life_left() -> None:
    clock = Clock()
    signer, verifier = create_pair(clock)
    citizen = Identity("12345678", "citizen", name="Bench")
    token = signer.sign(citizen)
    clock.now += TOKEN_SECONDS / 2 - 1
    assert signer.sign(citizen) == token
    assert verifier.verify(token) == citizen


def test_a_token_checked_once_is_refused_after_it_expires() -> None:
    clock = Clock()
    signer, verifier = create_pair(clock)
    token = signer.sign(Identity("12345678", "citizen"))
    assert verifier.verify(token).subject == "12345678"
    clock.now += TOKEN_SECONDS + 60
    with pytest.raises(Problem):
        verifier.verify(token)


def test_a_token_signed_by_another_key_is_refused_even_beside_a_good_one() -> None:
    clock = Clock()
    signer, verifier = create_pair(clock)
    stranger, _ = create_pair(clock)
    citizen = Identity("12345678", "citizen")
    assert verifier.verify(signer.sign(citizen)) == citizen
    with pytest.raises(Problem):
        verifier.verify(stranger.sign(citizen))
