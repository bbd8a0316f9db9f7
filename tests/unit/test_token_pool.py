"""The token pool: rotation, cool-downs honouring Retry-After, masking, and the all-limited state."""

from __future__ import annotations

import pytest

from mist_connection import MemoryCooldowns, MistConfigError, MistRateLimited, TokenPool, mask_token, token_id


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def test_round_robin_over_tokens():
    pool = TokenPool(["aaaa-1111-xxxx", "bbbb-2222-yyyy"], clock=Clock())
    assert [pool.acquire() for _ in range(4)] == ["aaaa-1111-xxxx", "bbbb-2222-yyyy"] * 2


def test_duplicate_tokens_are_used_once():
    assert TokenPool(["t1-abcdefghij", "t1-abcdefghij", "t2-abcdefghij"]).tokens == [
        "t1-abcdefghij",
        "t2-abcdefghij",
    ]


def test_cooling_token_is_skipped_until_retry_after_passes():
    clock = Clock()
    pool = TokenPool(["aaaa-1111-xxxx", "bbbb-2222-yyyy"], clock=clock)
    pool.cool_down("aaaa-1111-xxxx", "30")
    assert {pool.acquire() for _ in range(3)} == {"bbbb-2222-yyyy"}
    clock.now += 31
    assert "aaaa-1111-xxxx" in {pool.acquire() for _ in range(2)}


def test_missing_or_garbage_retry_after_uses_the_default():
    clock = Clock()
    pool = TokenPool(["aaaa-1111-xxxx"], clock=clock)
    assert pool.cool_down("aaaa-1111-xxxx", None) == clock.now + TokenPool.DEFAULT_COOLDOWN
    assert pool.cool_down("aaaa-1111-xxxx", "soon") == clock.now + TokenPool.DEFAULT_COOLDOWN


def test_all_tokens_cooling_raises_with_the_earliest_recovery():
    clock = Clock()
    pool = TokenPool(["aaaa-1111-xxxx", "bbbb-2222-yyyy"], clock=clock)
    pool.cool_down("aaaa-1111-xxxx", "120")
    pool.cool_down("bbbb-2222-yyyy", "60")
    with pytest.raises(MistRateLimited) as raised:
        pool.acquire()
    assert raised.value.until == clock.now + 60
    assert pool.rate_limited_until() == clock.now + 60
    assert "rate-limited until" in str(raised.value)


def test_cooldowns_in_a_shared_store_are_seen_by_another_pool():
    store = MemoryCooldowns()
    clock = Clock()
    first = TokenPool(["aaaa-1111-xxxx", "bbbb-2222-yyyy"], store=store, clock=clock)
    second = TokenPool(["aaaa-1111-xxxx", "bbbb-2222-yyyy"], store=store, clock=clock)
    first.cool_down("aaaa-1111-xxxx", "60")
    assert {second.acquire() for _ in range(3)} == {"bbbb-2222-yyyy"}
    assert token_id("aaaa-1111-xxxx") in store._until


def test_status_masks_tokens_and_counts_calls():
    pool = TokenPool(["supersecret-token-1234"], clock=Clock())
    pool.record_call("supersecret-token-1234")
    status = pool.status()
    assert status == [{"token": "supe…1234", "calls": 1, "cooling_until": None}]
    assert "supersecret" not in str(status)


def test_mask_never_reveals_short_tokens():
    assert mask_token("abc") == "****"
    assert "secret" not in mask_token("secret")


def test_no_token_is_a_config_error():
    with pytest.raises(MistConfigError):
        TokenPool([])
