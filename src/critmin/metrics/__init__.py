"""Vulnerability metrics: pure functions over a Network returning DataFrames.

- :func:`concentration`, :func:`reserves_concentration`, :func:`chokepoints` - HHI and shares
- :func:`import_dependence` - net import reliance, supplier concentration, restricted share
- :func:`eu_supply_risk`, :func:`us_supply_risk` - criticality by two published methods
- :func:`criticality`, :func:`rankings` - ranks, drivers and sensitivity
- :func:`assess` - all of the above, as behind ``critmin assess``
"""

from critmin.metrics.assessment import Assessment, assess
from critmin.metrics.concentration import (
    chain_stages,
    chokepoints,
    concentration,
    hhi,
    reserves_concentration,
)
from critmin.metrics.criticality import eu_supply_risk, governance_scores, us_supply_risk
from critmin.metrics.rankings import criticality, rankings
from critmin.metrics.trade import import_dependence, net_import_reliance, restricting_exporters

__all__ = [
    "Assessment", "assess", "chain_stages", "chokepoints", "concentration", "criticality",
    "eu_supply_risk", "governance_scores", "hhi", "import_dependence", "net_import_reliance",
    "rankings", "reserves_concentration", "restricting_exporters", "us_supply_risk",
]
