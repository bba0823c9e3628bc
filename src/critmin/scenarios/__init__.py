"""Disruption scenarios: specs (pydantic), presets, generated N-1 stress tests."""

from critmin.scenarios.presets import get_scenario, n1_scenarios, presets, scenario_catalogue
from critmin.scenarios.spec import Scenario, ScenarioError, load_scenario_file, parse_scenario

__all__ = ["Scenario", "ScenarioError", "get_scenario", "load_scenario_file", "n1_scenarios",
           "parse_scenario", "presets", "scenario_catalogue"]
