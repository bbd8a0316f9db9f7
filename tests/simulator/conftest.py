"""Fixtures for the simulator tests: small orgs (normal and adversarial) on a fixed clock."""

from __future__ import annotations

import pytest
import requests

from mist_simulator import MistSimulator

NOW = 1_760_000_000  # fixed simulated clock: answers are reproducible byte for byte
TOKEN = "tok-a"
OTHER = "tok-b"
USER = "user-tok"


def make_sim(**kwargs) -> MistSimulator:
    options = {
        "gateways": 60,
        "seed": 7,
        "tokens": (TOKEN, OTHER),
        "extra_orgs": 2,
        "user_tokens": (USER,),
        "now": NOW,
    }
    options.update(kwargs)
    return MistSimulator(**options)


class Client:
    """requests.Session with the adapter mounted and the token header set."""

    def __init__(self, sim: MistSimulator, token: str | None = TOKEN, host: str = "api.mist.com") -> None:
        self.sim = sim
        self.session = requests.Session()
        sim.mount(self.session)
        if token:
            self.session.headers["Authorization"] = f"Token {token}"
        self.base = f"https://{host}"

    def get(self, path: str, **params) -> requests.Response:
        return self.session.get(self.base + path, params=params or None, timeout=(3.05, 5))


@pytest.fixture(scope="module")
def sim() -> MistSimulator:
    return make_sim()


@pytest.fixture(scope="module")
def adversarial_sim() -> MistSimulator:
    return make_sim(adversarial=True, seed=11)


@pytest.fixture
def client(sim) -> Client:
    return Client(sim)
