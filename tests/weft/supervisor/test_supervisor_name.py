"""A supervisor is named by its config (what `SupervisorConfig.one_for_one("api")` says)."""

from __future__ import annotations

from weft.supervisor import Strategy, Supervisor, SupervisorConfig


def test_name_comes_from_the_config_unless_given() -> None:
    cfg = SupervisorConfig(strategy=Strategy.ONE_FOR_ALL, name="rest_api")
    assert Supervisor(cfg).name == "rest_api"
    assert Supervisor(cfg, name="other").name == "other"
    assert Supervisor().name == "supervisor"
