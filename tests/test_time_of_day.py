"""Rush-hour factors slow driving on arterials and leave walking alone."""

import numpy as np
import pytest

from rescuecircle.errors import InvalidInput
from rescuecircle.settings import Settings
from routing.time_of_day import SpeedFactors, speed_factors_from_json
from services.context import speed_factors
from tests.test_routing_network import toy_network


def test_default_profile_slows_arterials_at_rush_hour_only():
    factors = SpeedFactors()
    assert factors.factor("primary", 8) == 1.6
    assert factors.factor("primary", 3) == 1.0
    assert factors.factor("footway", 8) == 1.0


def test_driving_costs_follow_the_hour_and_walking_does_not():
    network = toy_network(SpeedFactors(by_class={"residential": (2.0,) * 24}))
    free, _ = network.costs("drive")
    rush, _ = network.costs("drive", hour=8)
    assert rush == pytest.approx(free * 2)
    walk_free, _ = network.costs("walk")
    walk_rush, _ = network.costs("walk", hour=8)
    assert np.array_equal(walk_free, walk_rush)
    at_a, at_c = network.snap(0.0, 0.0, "drive"), network.snap(0.002, 0.0, "drive")
    assert network.route(at_a, at_c, "drive", hour=8).time_s == pytest.approx(40.0)


def test_factor_files_are_checked(tmp_path):
    assert speed_factors_from_json({"primary": [1.5] * 24}).factor("primary", 0) == 1.5
    with pytest.raises(ValueError, match="24 hourly factors"):
        speed_factors_from_json({"primary": [1.5] * 23})
    with pytest.raises(ValueError, match="between 0.2 and 10"):
        speed_factors_from_json({"primary": [0.0] * 24})
    broken = tmp_path / "factors.json"
    broken.write_text("{oops")
    with pytest.raises(InvalidInput, match="RC_SPEED_FACTORS_FILE"):
        speed_factors(Settings(speed_factors_file=broken))
