"""Settings from the environment: defaults, parsing, and errors that name the variable."""

from __future__ import annotations

import pytest

from config import ENV_VARS, ConfigError, settings_from_env


def test_defaults_are_unconfigured_and_local():
    settings = settings_from_env({})
    assert settings.tokens == ()
    assert settings.host == "api.mist.com"
    assert settings.port == 5000
    assert settings.configured is False


def test_tokens_are_split_on_commas_and_trimmed():
    settings = settings_from_env({"MIST_APITOKEN": " tokA , tokB,, "})
    assert settings.tokens == ("tokA", "tokB")
    assert settings.configured is True


def test_demo_flag_configures_without_a_token():
    settings = settings_from_env({"MIST_DEMO": "1", "MIST_DEMO_GATEWAYS": "250"})
    assert settings.demo and settings.configured and settings.demo_gateways == 250


@pytest.mark.parametrize(
    "name, value",
    [
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("MIST_DEMO", "maybe"),
        ("MIST_DEMO_FAULT_RATE", "1.5"),
        ("MIST_DEMO_GATEWAYS", "0"),
        ("LOG_LEVEL", "LOUD"),
        ("CACHE_TTL_SECONDS", "-1"),
    ],
)
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(ConfigError) as raised:
        settings_from_env({name: value})
    assert name in str(raised.value)


def test_every_variable_has_a_default_and_a_meaning():
    for name, (default, meaning) in ENV_VARS.items():
        assert name.isupper() and isinstance(default, str) and len(meaning) > 10
