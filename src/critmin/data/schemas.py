"""One declaration per shipped table: columns, dtype, unit, allowed values, description.

Validation (:mod:`critmin.data.validate`), error messages and the data documentation
(``critmin data schema``) are all derived from these declarations, in the spirit of
PyPSA's ``component_attrs``.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, Field

DType = Literal["str", "int", "float", "bool", "date"]

Stage = Literal["mine", "refining", "metal", "product"]
STAGES: tuple[Stage, ...] = get_args(Stage)
"""Supply-chain stages, upstream to downstream: ore/concentrate, separated oxide or
refined chemical/metal, metal or alloy, derivative product (magnet, cathode, anode, cell)."""

SPECIAL_COUNTRIES = {"WORLD": "World total", "OTHER": "Other countries (rest of world)",
                     "EU": "European Union, 27 member states (trade with non-members only)"}
"""Codes allowed beside ISO 3166-1 alpha-3 in country columns."""

QUANTITY_UNITS = ("t", "t REO", "GWh", "million m3")
"""Units of physical quantities: tonnes of contained content (the commodity's basis),
tonnes of rare-earth oxide equivalent, gigawatt-hours of battery cells, million cubic
metres (helium)."""

USGS_QUALIFIERS = ("e", ">", "<", ">e", "<e", "--")
"""USGS cell qualifiers kept beside a value: e estimated, > lower bound, < upper bound,
-- zero (an em dash in the publication). W/NA cells carry no number: they are gaps rows."""


def _qualifier() -> Column:
    return Column(name="qualifier", dtype="str", required=False, allowed=USGS_QUALIFIERS,
                  description="USGS qualifier of the published cell: e estimated, '>'/'<' "
                              "the value is a lower/upper bound, '--' zero")

PRICE_UNITS = ("USD/kg", "USD/t")
SOURCE_KINDS = ("official", "company", "pra", "press", "academic", "secondary")
"""Kinds of source; official, company and pra count as primary."""
INTENSITY_UNITS = ("kg/t", "kg/kWh")
COMMODITY_ID = r"[a-z0-9][a-z0-9_]{0,39}"
"""Pattern of commodity ids (validated on the commodities table)."""
CONTROL_MEASURES = ("licence_required", "destination_ban", "quota", "export_ban")
"""Kinds of export control, shared by the data and the scenario specs."""


class Column(BaseModel):
    """One column of a table: name, type, unit, constraints and meaning."""

    name: str
    dtype: DType
    description: str
    unit: str | None = None
    required: bool = True
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    country: bool = False
    references: tuple[str, str] | None = None  # (table, column) foreign key
    pattern: str | None = None  # regular expression every value must match in full


class TableSchema(BaseModel):
    """A shipped table: its columns, primary key and meaning."""

    name: str
    description: str
    columns: list[Column]
    key: tuple[str, ...]
    quantity_unit_of: str | None = Field(
        default=None,
        description="column naming a commodity whose declared unit the `unit` column must match",
    )
    share_groups: tuple[tuple[str, ...], str] | None = Field(
        default=None, description="(group-by columns, share column): shares must sum to <= 1"
    )

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _source() -> Column:
    return Column(
        name="source_id",
        dtype="str",
        description="id of the row's source in the `sources` table",
        references=("sources", "source_id"),
    )


def _estimated() -> list[Column]:
    return [
        Column(
            name="estimated",
            dtype="bool",
            description="true when the value is an estimate (by the publisher or by critmin)",
        ),
        Column(
            name="method",
            dtype="str",
            required=False,
            description="how an estimate was made; required when `estimated` is true",
        ),
    ]


def _note() -> Column:
    return Column(name="note", dtype="str", required=False, description="free-text remark")


def _commodity(name: str = "commodity") -> Column:
    return Column(
        name=name,
        dtype="str",
        description="commodity id",
        references=("commodities", "commodity"),
    )


def _year() -> Column:
    return Column(name="year", dtype="int", unit="year", minimum=1990, maximum=2100,
                  description="calendar year the value refers to")


SOURCES = TableSchema(
    name="sources",
    description="Every publication a shipped number comes from.",
    key=("source_id",),
    columns=[
        Column(name="source_id", dtype="str", description="short unique id"),
        Column(name="publisher", dtype="str", description="publishing organisation"),
        Column(name="title", dtype="str", description="title of the publication or dataset"),
        Column(name="table", dtype="str", required=False,
               description="table, page or file within the publication"),
        Column(name="year", dtype="int", unit="year", minimum=1990, maximum=2100,
               description="publication year"),
        Column(name="url", dtype="str", description="URL or DOI"),
        Column(name="licence", dtype="str", required=False, description="licence of the data"),
        Column(name="primary", dtype="bool", required=False,
               description="true: the publisher's own document (agency, company, price "
                           "reporter); false: a copy, quotation or summary elsewhere"),
        _note(),
        Column(name="kind", dtype="str", required=False, allowed=SOURCE_KINDS,
               description="official statistics, company filing or release, pra (price-"
                           "reporting agency or market-intelligence firm), press, academic, "
                           "or secondary (a copy, quotation or summary)"),
    ],
)

COMMODITIES = TableSchema(
    name="commodities",
    description="Minerals, their rare-earth split and derivative products, with units.",
    key=("commodity",),
    columns=[
        Column(name="commodity", dtype="str", pattern=COMMODITY_ID,
               description="id: 1-40 lower-case letters, digits or _, starting with a letter"
                           " or digit (safe in file names, URLs, scenario ids, spreadsheets)"),
        Column(name="name", dtype="str", description="readable name"),
        Column(name="group", dtype="str", description="family of the commodity",
               allowed=("rare_earths", "battery", "minor_metal", "pgm", "alloying", "product",
                        "base_metal", "precious", "industrial", "energy")),
        Column(name="unit", dtype="str", allowed=QUANTITY_UNITS,
               description="unit of every quantity of this commodity"),
        Column(name="basis", dtype="str", description="what the unit counts (contained content)"),
        Column(name="parent", dtype="str", required=False,
               description="commodity this one is a part of (NdPr of rare earths)"),
        Column(name="hs_codes", dtype="str", required=False,
               description="HS 2017 six-digit codes, space separated"),
        _source(),
    ],
)

PRODUCTION = TableSchema(
    name="production",
    description="Production by commodity, stage, country and year.",
    key=("commodity", "stage", "country", "year"),
    quantity_unit_of="commodity",
    columns=[
        _commodity(),
        Column(name="stage", dtype="str", allowed=STAGES, description="supply-chain stage"),
        Column(name="country", dtype="str", country=True,
               description="ISO 3166-1 alpha-3 producer, OTHER or WORLD"),
        _year(),
        Column(name="value", dtype="float", minimum=0, description="quantity produced per year"),
        Column(name="unit", dtype="str", allowed=QUANTITY_UNITS,
               description="must equal the commodity's unit"),
        _qualifier(),
        *_estimated(),
        _source(),
        _note(),
    ],
)

RESERVES = TableSchema(
    name="reserves",
    description="Reserves by commodity and country (USGS definitions).",
    key=("commodity", "country", "year"),
    quantity_unit_of="commodity",
    columns=[
        _commodity(),
        Column(name="country", dtype="str", country=True,
               description="ISO 3166-1 alpha-3, OTHER or WORLD"),
        _year(),
        Column(name="value", dtype="float", minimum=0, description="reserves, contained content"),
        Column(name="unit", dtype="str", allowed=QUANTITY_UNITS,
               description="must equal the commodity's unit"),
        _qualifier(),
        *_estimated(),
        _source(),
        _note(),
    ],
)

PRICES = TableSchema(
    name="prices",
    description="Annual average or spot prices with their basis.",
    key=("commodity", "year", "basis"),
    columns=[
        _commodity(),
        _year(),
        Column(name="value", dtype="float", minimum=0, description="price"),
        Column(name="unit", dtype="str", allowed=PRICE_UNITS, description="currency per mass"),
        Column(name="basis", dtype="str", description="product, purity, market and averaging"),
        *_estimated(),
        _source(),
        _note(),
    ],
)

IMPORT_RELIANCE = TableSchema(
    name="import_reliance",
    description="Importers' apparent consumption and net import reliance.",
    key=("importer", "commodity", "year", "measure"),
    columns=[
        Column(name="importer", dtype="str", country=True, description="ISO3 of the importer"),
        _commodity(),
        _year(),
        Column(name="measure", dtype="str",
               allowed=("net_import_reliance", "apparent_consumption"),
               description="net import reliance (share of apparent consumption) or consumption"),
        Column(name="value", dtype="float", minimum=0,
               description="share 0-1 for reliance; quantity for consumption"),
        Column(name="qualifier", dtype="str", required=False, allowed=(">", "<", "E"),
               description="'>'/'<': value is a bound; 'E': net exporter (reliance 0)"),
        Column(name="unit", dtype="str", allowed=("share", *QUANTITY_UNITS),
               description="share for reliance, the commodity's unit for consumption"),
        *_estimated(),
        _source(),
        _note(),
    ],
)

IMPORT_SOURCES = TableSchema(
    name="import_sources",
    description="Shares of an importer's imports by supplying country.",
    key=("importer", "commodity", "period", "exporter"),
    share_groups=(("importer", "commodity", "period"), "share"),
    columns=[
        Column(name="importer", dtype="str", country=True, description="ISO3 of the importer"),
        _commodity(),
        Column(name="period", dtype="str", description="year or span, e.g. 2020-2023"),
        Column(name="exporter", dtype="str", country=True,
               description="ISO3 of the supplier, or OTHER"),
        Column(name="share", dtype="float", minimum=0, maximum=1, unit="share",
               description="share of the importer's imports (0-1)"),
        Column(name="basis", dtype="str", allowed=("quantity", "value"),
               description="shares of tonnage or of trade value"),
        *_estimated(),
        _source(),
        _note(),
    ],
)

FLOWS = TableSchema(
    name="flows",
    description="Bilateral trade values by HS6 code (CEPII BACI).",
    key=("exporter", "importer", "hs6", "year"),
    columns=[
        Column(name="exporter", dtype="str", country=True, description="ISO3 exporter"),
        Column(name="importer", dtype="str", country=True, description="ISO3 importer"),
        Column(name="hs6", dtype="str", description="HS 2017 six-digit product code"),
        _commodity(),
        _year(),
        Column(name="value", dtype="float", minimum=0, unit="USD",
               description="trade value, current USD, FOB"),
        _source(),
    ],
)

BOM = TableSchema(
    name="bom",
    description="Bills of materials: input intensity per unit of a derivative product.",
    key=("product", "variant", "input"),
    columns=[
        _commodity("product"),
        Column(name="variant", dtype="str", description="chemistry or grade, e.g. NMC811"),
        _commodity("input"),
        Column(name="value", dtype="float", minimum=0, description="input per unit of product"),
        Column(name="unit", dtype="str", allowed=INTENSITY_UNITS,
               description="kg of input per t (or per kWh) of product"),
        Column(name="content_basis", dtype="str", required=False,
               allowed=("oxide", "metal", "element"),
               description="what the kg count: oxide (rare earths, matching t REO), metal, "
                           "or contained element"),
        *_estimated(),
        _source(),
        _note(),
    ],
)

PARAMETERS = TableSchema(
    name="parameters",
    description="Model parameters: elasticities, recycling, lead times, costs, stockpiles.",
    key=("scope", "parameter"),
    columns=[
        Column(name="scope", dtype="str", description="commodity id or topic the value applies to"),
        Column(name="parameter", dtype="str", description="parameter name"),
        Column(name="value", dtype="float", description="central value"),
        Column(name="low", dtype="float", required=False, description="low end of a range"),
        Column(name="high", dtype="float", required=False, description="high end of a range"),
        Column(name="unit", dtype="str", description="unit of value, low and high"),
        Column(name="status", dtype="str", allowed=("fact", "estimate"),
               description="fact: seen in the cited source; estimate: a prior or a calculation"),
        Column(name="method", dtype="str", required=False,
               description="how an estimate was made; required for estimates"),
        _source(),
        _note(),
    ],
)

GAPS = TableSchema(
    name="gaps",
    description="Values the sources do not give (withheld, not available): recorded, not guessed.",
    key=("table", "commodity", "stage", "country", "year", "reason"),
    columns=[
        Column(name="table", dtype="str", description="table the value would belong to"),
        _commodity(),
        Column(name="stage", dtype="str", required=False, allowed=STAGES,
               description="stage, where it applies"),
        Column(name="country", dtype="str", country=True, description="ISO3, OTHER or WORLD"),
        _year(),
        Column(name="reason", dtype="str", description="why the value is missing"),
        _source(),
    ],
)


STAGE_SHARES = TableSchema(
    name="stage_shares",
    description="Published producer shares for stages without tonnage data (refining, products).",
    key=("commodity", "stage", "year", "country"),
    share_groups=(("commodity", "stage", "year"), "share"),
    columns=[
        _commodity(),
        Column(name="stage", dtype="str", allowed=STAGES, description="supply-chain stage"),
        Column(name="country", dtype="str", country=True, description="ISO3 or OTHER"),
        _year(),
        Column(name="share", dtype="float", minimum=0, maximum=1, unit="share",
               description="share of world output or capacity (0-1)"),
        *_estimated(),
        _source(),
        _note(),
    ],
)

GOVERNANCE = TableSchema(
    name="governance",
    description="World Bank Worldwide Governance Indicators, estimates (about -2.5 to 2.5).",
    key=("country", "year", "indicator"),
    columns=[
        Column(name="country", dtype="str", country=True, description="ISO3"),
        _year(),
        Column(name="indicator", dtype="str", allowed=("VA", "PV", "GE", "RQ", "RL", "CC"),
               description="voice & accountability, political stability, government "
                           "effectiveness, regulatory quality, rule of law, control of corruption"),
        Column(name="value", dtype="float", minimum=-3, maximum=3, unit="WGI estimate",
               description="governance estimate, higher is better"),
        _source(),
    ],
)

CRITICALITY_STUDIES = TableSchema(
    name="criticality_studies",
    description="Published criticality assessments (EU 2023 supply risk and economic importance).",
    key=("study", "commodity"),
    columns=[
        Column(name="study", dtype="str", description="assessment id, e.g. EU_2023"),
        _commodity(),
        Column(name="material", dtype="str", description="material as named by the study"),
        Column(name="supply_risk", dtype="float", minimum=0, description="SR score"),
        Column(name="economic_importance", dtype="float", minimum=0, description="EI score"),
        _source(),
        _note(),
    ],
)

CRITICAL_LISTS = TableSchema(
    name="critical_lists",
    description="Official critical-mineral lists and which covered commodities they include.",
    key=("list", "commodity"),
    columns=[
        Column(name="list", dtype="str", allowed=("EU_2023", "USGS_2022", "USGS_2025"),
               description="list id"),
        _commodity(),
        Column(name="listed_as", dtype="str", description="the list's own wording"),
        _source(),
    ],
)

EXPORT_RESTRICTIONS = TableSchema(
    name="export_restrictions",
    description="Export controls imposed by producing countries (licences, bans, quotas).",
    key=("exporter", "commodity", "measure", "start"),
    columns=[
        Column(name="exporter", dtype="str", country=True, description="ISO3 of the country"),
        _commodity(),
        Column(name="measure", dtype="str",
               allowed=CONTROL_MEASURES,
               description="kind of control"),
        Column(name="start", dtype="date", description="date in force, YYYY-MM-DD"),
        Column(name="end", dtype="date", required=False,
               description="date lifted or suspended until, YYYY-MM-DD; empty if in force"),
        Column(name="destinations", dtype="str",
               description="ALL, or space-separated ISO3 destinations targeted"),
        Column(name="reference", dtype="str", description="legal instrument"),
        *_estimated(),
        _source(),
        _note(),
    ],
)

PROJECTS = TableSchema(
    name="projects",
    description="Announced or operating ex-China projects: candidates for support.",
    key=("project_id",),
    quantity_unit_of="commodity",
    columns=[
        Column(name="project_id", dtype="str", description="short unique id"),
        Column(name="name", dtype="str", description="project name"),
        Column(name="sponsor", dtype="str", description="company or consortium"),
        Column(name="country", dtype="str", country=True, description="ISO3 location"),
        Column(name="stage", dtype="str", allowed=STAGES, description="supply-chain stage"),
        _commodity(),
        Column(name="capacity", dtype="float", minimum=0,
               description="output at full rate per year, in the commodity's unit"),
        Column(name="unit", dtype="str", allowed=QUANTITY_UNITS,
               description="must equal the commodity's unit"),
        Column(name="capacity_basis", dtype="str", required=False,
               description="capacity as the source states it"),
        Column(name="capex_usd", dtype="float", required=False, minimum=0, unit="USD",
               description="capital cost"),
        Column(name="unit_cost_usd_t", dtype="float", required=False, minimum=0,
               unit="USD/t", description="operating cost per t of output"),
        Column(name="first_production_year", dtype="int", required=False, minimum=1990,
               maximum=2100, description="year of first output (planned or actual)"),
        Column(name="status", dtype="str",
               allowed=("operating", "construction", "committed", "feasibility",
                        "announced", "trial"), description="development status"),
        Column(name="public_support", dtype="str", required=False,
               description="known public finance, offtake or price support"),
        Column(name="filing_date", dtype="date", required=False,
               description="date of the company filing or release the row was checked "
                           "against, YYYY-MM-DD; empty where not re-checked"),
        *_estimated(),
        _source(),
        _note(),
    ],
)

EPISODE_OBSERVABLES = ("price_ex_china", "price_china", "exports", "export_quota")
"""Observed quantities of a market episode (compared with the model's paths)."""

EPISODE_UNITS = ("USD/kg", "USD/t", "USD/lb", "USD/mtu WO3", "CNY/mtu Mo", "CNY/kg",
                 "CNY/t", "t", "t/yr", "t REO", "t REO/yr")
"""Units of episode observations: prices as published (currency per mass; mtu = 10 kg of
WO3; for molybdenum concentrate, China's ton-degree: 10 kg of contained Mo) and quantities
(t gross or contained as the basis says, per month or per year)."""

EPISODE_MEASURES = (*CONTROL_MEASURES, "export_ban_then_quota", "licence_then_suspension")
"""Kinds of measure an episode is about: the export-control kinds plus two sequences."""

EPISODE_INDEX = TableSchema(
    name="episode_index",
    description="Observed market episodes (export controls) that the market model is scored on.",
    key=("episode",),
    columns=[
        Column(name="episode", dtype="str", description="episode id, e.g. CN_2010_REE_quota"),
        Column(name="name", dtype="str", description="readable name"),
        Column(name="announced", dtype="date", description="date announced, YYYY-MM-DD"),
        Column(name="in_force", dtype="date", description="date in force, YYYY-MM-DD"),
        Column(name="ended", dtype="date", required=False,
               description="date lifted, replaced or suspended; empty if still in force"),
        Column(name="exporter", dtype="str", country=True,
               description="ISO3 of the country imposing the measure"),
        Column(name="commodities", dtype="str",
               description="semicolon-separated critmin commodity ids covered"),
        Column(name="measure", dtype="str", allowed=EPISODE_MEASURES,
               description="kind of measure"),
        Column(name="destinations", dtype="str",
               description="ALL, or semicolon-separated ISO3 destinations targeted"),
        Column(name="baseline_date", dtype="date",
               description="reference date of the pre-announcement level: the last "
                           "observation before the news, at latest the first trading day "
                           "after a weekend announcement"),
        Column(name="role", dtype="str", allowed=("training", "evidence"),
               description="training: scored by the backtest and used in calibration; "
                           "evidence: observations kept with their sources, neither scored "
                           "nor fitted, because the model cannot yet state the announced "
                           "terms (the note says why); the two reserved episodes are never "
                           "listed"),
        Column(name="scenario", dtype="str",
               description="id of the scenario preset stating the announced policy"),
        Column(name="policy", dtype="str",
               description="announced terms only (what, when, whom), no observed outcome"),
        _source(),
        _note(),
    ],
)

EPISODES = TableSchema(
    name="episodes",
    description="Observations of episode outcomes: prices and export volumes by date.",
    key=("episode", "commodity", "observable", "exporter", "destination", "basis", "date"),
    columns=[
        Column(name="episode", dtype="str", description="episode id",
               references=("episode_index", "episode")),
        _commodity(),
        Column(name="observable", dtype="str", allowed=EPISODE_OBSERVABLES,
               description="what is observed: ex-China or China price, exports, export quota"),
        Column(name="exporter", dtype="str", country=True,
               description="ISO3 of the exporting country"),
        Column(name="destination", dtype="str", country=True,
               description="ISO3 of the destination, or WORLD for all destinations"),
        Column(name="date", dtype="date",
               description="date the value refers to: spot prices on their day, monthly values "
                           "on the 15th, quarterly averages on the 15th of the middle month, "
                           "annual values on 1 July"),
        Column(name="value", dtype="float", minimum=0, description="observed value"),
        Column(name="unit", dtype="str", allowed=EPISODE_UNITS,
               description="unit of value; quantities per month unless the unit says /yr"),
        Column(name="basis", dtype="str",
               description="product, grade, market and averaging (e.g. 'Rotterdam, 99.65 %'); "
                           "one series per episode/commodity/observable/destination/basis"),
        _source(),
        *_estimated(),
        _note(),
    ],
)

TABLES: dict[str, TableSchema] = {
    t.name: t
    for t in (SOURCES, COMMODITIES, PRODUCTION, RESERVES, PRICES, IMPORT_RELIANCE,
              IMPORT_SOURCES, FLOWS, BOM, PARAMETERS, GAPS, STAGE_SHARES, GOVERNANCE,
              CRITICALITY_STUDIES, CRITICAL_LISTS, EXPORT_RESTRICTIONS, PROJECTS,
              EPISODE_INDEX, EPISODES)
}
"""All tables, in load order (referenced tables first)."""


# --- Stages, companionality and stockpiles (tools/build_stages.py) -------------------------

STEPS = ("separation", "metal", "alloy", "magnet")
"""Process steps named as the field names them; each maps to one of STAGES: separation ->
refining, metal and alloy -> metal, magnet -> product."""

PRODUCERS = TableSchema(
    name="producers",
    description="Plants and makers by stage: separation, metal/alloy and magnet (capacity, "
                "output or quota).",
    key=("producer_id", "commodity", "measure", "year"),
    quantity_unit_of="commodity",
    columns=[
        Column(name="producer_id", dtype="str", description="short id of the plant"),
        Column(name="maker", dtype="str", description="operating company"),
        Column(name="facility", dtype="str", description="plant or site"),
        Column(name="country", dtype="str", country=True, description="ISO3 of the plant"),
        Column(name="stage", dtype="str", allowed=STAGES, description="supply-chain stage"),
        Column(name="step", dtype="str", allowed=STEPS, description="process step"),
        _commodity(),
        Column(name="measure", dtype="str", allowed=("capacity", "output", "quota"),
               description="nameplate capacity, actual output, or a state production quota"),
        Column(name="value", dtype="float", required=False, minimum=0,
               description="per year in the commodity's unit; empty where the maker does "
                           "not disclose it (a `gaps` row says so)"),
        Column(name="unit", dtype="str", allowed=QUANTITY_UNITS,
               description="must equal the commodity's unit"),
        _year(),
        Column(name="status", dtype="str",
               allowed=("operating", "commissioning", "construction", "planned", "idle",
                        "closed"), description="status in `year`"),
        Column(name="basis", dtype="str", required=False,
               description="the figure as the source states it"),
        *_estimated(),
        _source(),
        _note(),
    ],
)

BYPRODUCTS = TableSchema(
    name="byproducts",
    description="By-product companionality: the host metals a by-product is recovered from, "
                "its share of supply, content in the feed and recovery rate.",
    key=("byproduct", "host"),
    columns=[
        Column(name="byproduct", dtype="str",
               description="commodity id of the by-product, or the element's name where "
                           "critmin does not cover it (scandium, rhenium, selenium)"),
        _commodity("host"),
        Column(name="host_stage", dtype="str", required=False, allowed=STAGES,
               description="stage of the host's `production` rows that give host output "
                           "(mine content where no smelter series is shipped)"),
        Column(name="host_material", dtype="str",
               description="feed the by-product is recovered from, e.g. Bayer liquor"),
        Column(name="role", dtype="str", allowed=("main", "minor"),
               description="main or minor host of the by-product's primary supply"),
        Column(name="share_of_supply", dtype="float", required=False, minimum=0, maximum=1,
               unit="share", description="share of the by-product's primary output from "
                                        "this host, where published"),
        Column(name="content_ppm", dtype="float", required=False, minimum=0, unit="ppm",
               description="typical content of the by-product in the host ore or feed"),
        Column(name="recovery_rate", dtype="float", required=False, minimum=0, maximum=1,
               unit="share", description="share of the contained by-product that is "
                                        "recovered (0-1); empty where not published"),
        Column(name="recovery_basis", dtype="str", required=False,
               description="what the recovery rate is a share of"),
        _year().model_copy(update={"required": False}),
        *_estimated(),
        _source(),
        _note(),
    ],
)

RECOVERY_CAPACITY = TableSchema(
    name="recovery_capacity",
    description="Installed and idle by-product recovery capacity (ex-China focus), t/yr.",
    key=("byproduct", "country", "plant", "year"),
    columns=[
        _commodity("byproduct"),
        _commodity("host"),
        Column(name="country", dtype="str", country=True, description="ISO3"),
        Column(name="plant", dtype="str",
               description="plant name, or ALL for a country total (OTHER: rest of world); "
                           "plant rows detail, and must not be added to, a total"),
        _year(),
        Column(name="installed", dtype="float", required=False, minimum=0, unit="t/yr",
               description="installed recovery capacity"),
        Column(name="output", dtype="float", required=False, minimum=0, unit="t/yr",
               description="output in `year`"),
        Column(name="idle", dtype="float", required=False, minimum=0, unit="t/yr",
               description="installed capacity not producing in `year`"),
        Column(name="planned", dtype="float", required=False, minimum=0, unit="t/yr",
               description="announced new or restarted capacity, not yet installed"),
        Column(name="status", dtype="str",
               allowed=("operating", "partly_idle", "idle", "closed", "pilot", "planned"),
               description="status in `year`"),
        Column(name="restart_lead_time_months", dtype="float", required=False, minimum=0,
               unit="months", description="published time to restart or build"),
        *_estimated(),
        _source(),
        _note(),
    ],
)

STOCKPILES = TableSchema(
    name="stockpiles",
    description="Public and mandated private stockpiles: targets, holdings and release rules.",
    key=("holder", "country", "scope", "measure", "year"),
    columns=[
        Column(name="holder", dtype="str", description="stockholder, e.g. JOGMEC"),
        Column(name="country", dtype="str", country=True, description="ISO3 of the holder"),
        Column(name="scope", dtype="str",
               description="what is stocked, as the source says (e.g. 34 rare metals)"),
        Column(name="commodity", dtype="str", required=False,
               references=("commodities", "commodity"),
               description="commodity id where the row is about one covered commodity"),
        Column(name="measure", dtype="str",
               allowed=("target_days", "max_target_days", "holding_value", "budget",
                        "acquisition"),
               description="kind of figure"),
        Column(name="value", dtype="float", minimum=0, description="the figure"),
        Column(name="unit", dtype="str", allowed=("days", "USD", "t", "t REO"),
               description="days of domestic consumption, USD, or tonnes"),
        _year(),
        Column(name="release_rule", dtype="str", required=False,
               description="who may release, when, at what price"),
        *_estimated(),
        _source(),
        _note(),
    ],
)

TRADE_VOLUMES = TableSchema(
    name="trade_volumes",
    description="Import volumes by product and partner as published from customs data.",
    key=("importer", "commodity", "product", "exporter", "period"),
    columns=[
        Column(name="importer", dtype="str", country=True, description="ISO3 importer"),
        _commodity(),
        Column(name="product", dtype="str", description="traded product as published"),
        Column(name="exporter", dtype="str", country=True,
               description="ISO3 supplier, or WORLD for all suppliers"),
        Column(name="period", dtype="str", description="year, half (2024-H1) or month"),
        Column(name="value", dtype="float", minimum=0, description="quantity imported"),
        Column(name="unit", dtype="str", allowed=("t",), description="tonnes, gross weight "
                                                                     "of the product"),
        *_estimated(),
        _source(),
        _note(),
    ],
)

MAGNET_GRADES = TableSchema(
    name="magnet_grades",
    description="Heavy rare-earth content of sintered NdFeB magnets by grade and process.",
    key=("grade", "process", "element"),
    columns=[
        Column(name="grade", dtype="str",
               description="coercivity class (N, M, H, SH, UH, EH, AH) or a named product"),
        Column(name="process", dtype="str",
               allowed=("bulk_alloyed", "grain_boundary_diffusion", "hot_deformed"),
               description="how the heavy rare earth is added"),
        Column(name="element", dtype="str", allowed=("dy", "tb", "dy+tb"),
               description="heavy rare earth: dy, tb, or dy+tb where the source gives the sum"),
        Column(name="low", dtype="float", required=False, minimum=0, unit="kg/t",
               description="low end, kg of element (metal) per t of magnet"),
        Column(name="high", dtype="float", required=False, minimum=0, unit="kg/t",
               description="high end, kg of element (metal) per t of magnet"),
        Column(name="max_temp_c", dtype="float", required=False, unit="degC",
               description="maximum working temperature of the grade"),
        *_estimated(),
        _source(),
        _note(),
    ],
)

SEPARATION_FEED = TableSchema(
    name="separation_feed",
    description="Where mined rare-earth concentrate is separated: REO by mining country and "
                "separating country, as the cited publication gives it (t REO).",
    key=("commodity", "mine_country", "separator_country", "year"),
    columns=[
        _commodity(),
        Column(name="mine_country", dtype="str", country=True,
               description="ISO3 of the mine output"),
        Column(name="separator_country", dtype="str", country=True,
               description="ISO3 of the separation plants that take it"),
        _year(),
        Column(name="value", dtype="float", minimum=0, unit="t REO",
               description="REO in the flow"),
        Column(name="unit", dtype="str", allowed=("t REO",), description="t REO"),
        Column(name="basis", dtype="str",
               allowed=("mine output", "concentrate sold", "separated output"),
               description="what the figure measures: the mine's output (all of it goes to "
                           "the separator), concentrate sold, or separated output (a lower "
                           "bound on the feed: separation loses some REO)"),
        *_estimated(),
        _source(),
        _note(),
    ],
)

TABLES.update({t.name: t for t in (PRODUCERS, BYPRODUCTS, RECOVERY_CAPACITY, STOCKPILES,
                                   TRADE_VOLUMES, MAGNET_GRADES, SEPARATION_FEED)})
