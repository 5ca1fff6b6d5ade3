"""One self-contained HTML report of a built warehouse, read from the marts only.

Charts (plotly; plotly.js is inlined, so the file opens offline):

- RFM grid: customers and net revenue per recency x frequency score (customer_rfm)
- segment sizes and revenue shares (segment_summary)
- migration between two as-of dates, RFM segments and lifecycle stages (segment_migration)
- lifecycle funnel and stage sizes (customer_lifecycle)
- top product association rules as a matrix with product names
  (product_association_rules, names from dim_products)
- score distributions with the band thresholds (visitor_scores)
- abandoned carts by stage (abandoned_carts)
- campaign results: uplift with its confidence interval (campaign_results)

Every SQL statement the report runs is in QUERIES and names only marts.<mart>
relations; build() returns the statements it ran. A mart that is missing
(e.g. campaign_results in a warehouse built before it existed) or empty gives
a notice in place of its chart, saying why; nothing is left out silently.

The page checks itself after loading: a script records script errors and,
per chart, whether plotly drew it (an svg with marks), and writes the result
as JSON into <pre id="report-check"> (the headless-Chromium test reads it).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

# Every statement the report runs; each names marts.<mart> relations only
# (tests/python/test_report.py checks it).
QUERIES: dict[str, str] = {
    "rfm_grid": """
        select r_score, f_score, count(*) as customers, sum(monetary) as net_revenue
        from marts.customer_rfm
        group by r_score, f_score
    """,
    "as_of": """
        select max(as_of_date) as as_of_date, count(*) as customers
        from marts.customer_rfm
    """,
    "segments": """
        select segment_name, segment_order, customer_count, customer_share, net_revenue, revenue_share
        from marts.segment_summary
        order by segment_order, segment_name
    """,
    "migration": """
        select dimension, from_date, to_date, from_value, to_value, from_value_order, to_value_order,
            customer_count
        from marts.segment_migration
        order by dimension, from_value_order, from_value, to_value_order, to_value
    """,
    "history_dates": """
        select as_of_date, count(*) as customers
        from marts.customer_segment_history
        group by as_of_date
        order by as_of_date
    """,
    "lifecycle_funnel": """
        select
            count(*) as customers,
            count(case when order_count >= 1 then 1 end) as buyers,
            count(case when order_count >= 2 then 1 end) as repeat_buyers,
            count(case when lifecycle_stage = 'loyal' then 1 end) as loyal
        from marts.customer_lifecycle
    """,
    "lifecycle_stages": """
        select lifecycle_stage, count(*) as customers
        from marts.customer_lifecycle
        group by lifecycle_stage
    """,
    "rules": """
        select
            rules.rule_id,
            rules.antecedent_item_1,
            rules.antecedent_item_2,
            rules.consequent_item,
            first_product.product_name as antecedent_name_1,
            second_product.product_name as antecedent_name_2,
            consequent_product.product_name as consequent_name,
            rules.transactions_with_both,
            rules.support,
            rules.confidence,
            rules.lift
        from marts.product_association_rules as rules
        left join marts.dim_products as first_product
            on rules.antecedent_item_1 = first_product.product_id
        left join marts.dim_products as second_product
            on rules.antecedent_item_2 = second_product.product_id
        left join marts.dim_products as consequent_product
            on rules.consequent_item = consequent_product.product_id
        order by rules.lift desc, rules.confidence desc, rules.rule_id
        limit 15
    """,
    "scores": """
        select score_name, cast(floor(score / 10.0) * 10 as integer) as score_bin, count(*) as persons
        from marts.visitor_scores
        group by score_name, cast(floor(score / 10.0) * 10 as integer)
        order by score_name, score_bin
    """,
    "score_bands": """
        select score_name, score_band, score_band_threshold, max(fired_action) as fired_action,
            count(*) as persons
        from marts.visitor_scores
        group by score_name, score_band, score_band_threshold
        order by score_name, score_band_threshold
    """,
    "carts": """
        select
            abandoned_stage,
            count(*) as carts,
            count(case when is_bought_later then 1 end) as bought_later,
            sum(cart_value) as cart_value
        from marts.abandoned_carts
        group by abandoned_stage
    """,
    "campaigns": """
        select campaign_id, variant, is_control, recipients, converters, conversion_rate,
            revenue_per_recipient, absolute_uplift, absolute_uplift_ci_lower, absolute_uplift_ci_upper,
            relative_uplift, p_value, is_sample_ratio_mismatch
        from marts.campaign_results
        order by campaign_id, variant
    """,
}

CART_STAGES = ["cart", "delivery", "payment", "confirmation"]  # abandoned_carts.abandoned_stage, checkout order
LIFECYCLE_ORDER = ["prospect", "new", "active", "loyal", "reactivated", "at_risk", "churned"]
COLOURS = {"primary": "#2a6f97", "accent": "#e07a5f", "muted": "#9aa5b1", "good": "#3d9970"}


@dataclass
class Chart:
    """One section of the report: a figure, or a notice saying why there is none."""
    key: str
    title: str
    what: str  # what the chart shows, in shop time / shop currency
    figure: object | None = None  # a plotly Figure
    notice: str | None = None


@dataclass
class Report:
    html: str
    charts: list[Chart]
    queries_run: list[str] = field(default_factory=list)


class _Marts:
    """Runs the report's statements on a read-only connection and records them."""

    def __init__(self, duckdb_path: Path):
        self.con = duckdb.connect(str(duckdb_path), read_only=True)
        self.run: list[str] = []

    def frame(self, name: str) -> pd.DataFrame | None:
        """The rows of QUERIES[name]; None when a relation it reads does not exist."""
        sql = QUERIES[name]
        self.run.append(sql)
        try:
            return self.con.execute(sql).df()
        except duckdb.CatalogException:
            return None

    def close(self) -> None:
        self.con.close()


def _missing(mart: str) -> str:
    return f"marts.{mart} is not in this warehouse: build it (dbt build --select {mart}) and write the report again."


def _money(value, currency: str) -> str:
    return f"{float(value):,.2f} {currency}"


def rfm_grid_chart(marts: _Marts, currency: str) -> Chart:
    from plotly.subplots import make_subplots
    import plotly.graph_objects as go

    chart = Chart("rfm_grid", "RFM grid: recency x frequency",
                  f"Customers (left) and their lifetime net revenue in {currency} (right) per recency score "
                  "(5 = bought most recently) and frequency score (5 = the most orders), as of the as-of date "
                  "(shop time). Source: marts.customer_rfm.")
    frame = marts.frame("rfm_grid")
    if frame is None:
        chart.notice = _missing("customer_rfm")
        return chart
    if frame.empty:
        chart.notice = "marts.customer_rfm is empty: no customer has a non-cancelled order."
        return chart
    scores = [1, 2, 3, 4, 5]
    customers = [[0] * 5 for _ in scores]
    revenue = [[0.0] * 5 for _ in scores]
    for row in frame.itertuples():
        customers[int(row.r_score) - 1][int(row.f_score) - 1] = int(row.customers)
        revenue[int(row.r_score) - 1][int(row.f_score) - 1] = float(row.net_revenue)
    labels = [f"F{s}" for s in scores]
    rows = [f"R{s}" for s in scores]
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                           subplot_titles=("Customers", f"Net revenue ({currency})"))
    figure.add_trace(go.Heatmap(z=customers, x=labels, y=rows, colorscale="Blues", colorbar={"x": 0.44},
                                text=customers, texttemplate="%{text}",
                                hovertemplate="%{y} %{x}: %{z} customers<extra></extra>"), row=1, col=1)
    figure.add_trace(go.Heatmap(z=revenue, x=labels, y=rows, colorscale="Oranges",
                                text=[[f"{v:,.0f}" for v in line] for line in revenue], texttemplate="%{text}",
                                hovertemplate=f"%{{y}} %{{x}}: %{{z:,.2f}} {currency}<extra></extra>"),
                     row=1, col=2)
    figure.update_xaxes(title_text="frequency score")
    figure.update_yaxes(title_text="recency score")
    chart.figure = figure
    return chart


def segments_chart(marts: _Marts, currency: str) -> Chart:
    import plotly.graph_objects as go

    chart = Chart("segments", "RFM segments: share of customers and of revenue",
                  f"Each segment's share of the customers with an order and of their lifetime net revenue "
                  f"(in {currency}), as of the as-of date (shop time). Source: marts.segment_summary.")
    frame = marts.frame("segments")
    if frame is None:
        chart.notice = _missing("segment_summary")
        return chart
    if frame.empty or frame["customer_count"].sum() == 0:
        chart.notice = "marts.segment_summary has no customers: no customer has a non-cancelled order."
        return chart
    names = list(frame["segment_name"])[::-1]
    figure = go.Figure()
    figure.add_trace(go.Bar(
        y=names, x=list(frame["customer_share"].fillna(0).astype(float))[::-1], orientation="h",
        name="share of customers", marker_color=COLOURS["primary"],
        customdata=list(frame["customer_count"])[::-1],
        hovertemplate="%{y}: %{x:.1%} of customers (%{customdata:,})<extra></extra>"))
    figure.add_trace(go.Bar(
        y=names, x=list(frame["revenue_share"].fillna(0).astype(float))[::-1], orientation="h",
        name="share of net revenue", marker_color=COLOURS["accent"],
        customdata=[_money(v, currency) for v in frame["net_revenue"]][::-1],
        hovertemplate="%{y}: %{x:.1%} of net revenue (%{customdata})<extra></extra>"))
    figure.update_layout(barmode="group", xaxis={"tickformat": ".0%", "title": "share"},
                         height=max(360, 40 * len(names)))
    chart.figure = figure
    return chart


def migration_chart(marts: _Marts) -> Chart:
    import plotly.graph_objects as go

    chart = Chart("migration", "Migration between two as-of dates",
                  "How the customers present on both dates moved between RFM segments (top) and lifecycle "
                  "stages (bottom); the band widths are customers. Dates are as-of dates in shop time. "
                  "Source: marts.segment_migration (vars migration_from_date / migration_to_date choose the dates).")
    frame = marts.frame("migration")
    if frame is None:
        chart.notice = _missing("segment_migration")
        return chart
    if frame.empty:
        dates = marts.frame("history_dates")
        stored = [] if dates is None else [str(d)[:10] for d in dates["as_of_date"]]
        chart.notice = (f"No migration to show: marts.customer_segment_history holds {len(stored)} as-of date(s)"
                        f"{' (' + ', '.join(stored) + ')' if stored else ''}; a migration needs two. Each build "
                        "stores its as-of date: build again later (or with --vars '{as_of_date: YYYY-MM-DD}').")
        return chart
    first = frame.iloc[0]
    chart.title = f"Migration from {str(first['from_date'])[:10]} to {str(first['to_date'])[:10]}"
    figure = go.Figure()
    panels = [("rfm_segment", [0.55, 1.0]), ("lifecycle_stage", [0.0, 0.45])]
    for dimension, y_domain in panels:
        part = frame[frame["dimension"] == dimension]
        if part.empty:
            continue
        sources = list(dict.fromkeys(part.sort_values(["from_value_order", "from_value"])["from_value"]))
        targets = list(dict.fromkeys(part.sort_values(["to_value_order", "to_value"])["to_value"]))
        labels = [f"{v} ({str(first['from_date'])[:10]})" for v in sources] + \
                 [f"{v} ({str(first['to_date'])[:10]})" for v in targets]
        figure.add_trace(go.Sankey(
            domain={"x": [0, 1], "y": y_domain}, arrangement="snap",
            node={"label": labels, "pad": 8, "thickness": 14, "color": COLOURS["primary"]},
            link={"source": [sources.index(v) for v in part["from_value"]],
                  "target": [len(sources) + targets.index(v) for v in part["to_value"]],
                  "value": [int(v) for v in part["customer_count"]],
                  "color": ["rgba(224,122,95,0.45)" if a != b else "rgba(154,165,177,0.35)"
                            for a, b in zip(part["from_value"], part["to_value"])],
                  "hovertemplate": "%{source.label} -> %{target.label}: %{value:,} customers<extra></extra>"},
        ))
    figure.update_layout(height=900)
    chart.figure = figure
    return chart


def lifecycle_chart(marts: _Marts) -> Chart:
    from plotly.subplots import make_subplots
    import plotly.graph_objects as go

    chart = Chart("lifecycle", "Lifecycle funnel",
                  "Left: of the known customers, how many bought (a non-cancelled order on or before the as-of "
                  "date, shop time), bought again, and are loyal now (lifecycle stage loyal). Right: customers per "
                  "lifecycle stage on the as-of date. Source: marts.customer_lifecycle.")
    funnel = marts.frame("lifecycle_funnel")
    if funnel is None:
        chart.notice = _missing("customer_lifecycle")
        return chart
    stages = marts.frame("lifecycle_stages")
    row = funnel.iloc[0]
    if int(row["customers"]) == 0:
        chart.notice = "marts.customer_lifecycle is empty: the warehouse has no customers."
        return chart
    figure = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45], horizontal_spacing=0.18,
                           subplot_titles=("Funnel", "Customers per stage"))
    figure.add_trace(go.Funnel(
        y=["known customers", "bought at least once", "bought at least twice", "loyal now"],
        x=[int(row["customers"]), int(row["buyers"]), int(row["repeat_buyers"]), int(row["loyal"])],
        textinfo="value+percent initial", marker={"color": COLOURS["primary"]}, showlegend=False),
        row=1, col=1)
    order = {name: i for i, name in enumerate(LIFECYCLE_ORDER)}
    stages = stages.assign(rank=stages["lifecycle_stage"].map(lambda s: order.get(s, len(order))))
    stages = stages.sort_values(["rank", "lifecycle_stage"])
    figure.add_trace(go.Bar(x=list(stages["customers"].astype(int)), y=list(stages["lifecycle_stage"]),
                            orientation="h", marker_color=COLOURS["accent"], showlegend=False,
                            hovertemplate="%{y}: %{x:,} customers<extra></extra>"), row=1, col=2)
    figure.update_yaxes(autorange="reversed", row=1, col=2)
    chart.figure = figure
    return chart


def rules_chart(marts: _Marts) -> Chart:
    import plotly.graph_objects as go

    chart = Chart("rules", "Top association rules (by lift)",
                  "The 15 product rules with the highest lift: a row is what is in the basket (one or two "
                  "products), a column the product also bought; the cell is the lift (how many times more often "
                  "the pair is bought together than by chance), hover for confidence and support. Baskets are "
                  "non-cancelled orders. Source: marts.product_association_rules, names from marts.dim_products.")
    frame = marts.frame("rules")
    if frame is None:
        chart.notice = _missing("product_association_rules or marts.dim_products")
        return chart
    if frame.empty:
        chart.notice = ("marts.product_association_rules is empty: no product pair reached the minimum support "
                        "and confidence (vars of docs/association-rules.md).")
        return chart

    def name(product_id, product_name):
        return f"{product_name} ({product_id})" if isinstance(product_name, str) else str(product_id)

    antecedents, consequents = [], []
    for row in frame.itertuples():
        label = name(row.antecedent_item_1, row.antecedent_name_1)
        if isinstance(row.antecedent_item_2, str):
            label += " + " + name(row.antecedent_item_2, row.antecedent_name_2)
        antecedents.append(label)
        consequents.append(name(row.consequent_item, row.consequent_name))
    rows = list(dict.fromkeys(antecedents))
    cols = list(dict.fromkeys(consequents))
    lift = [[None] * len(cols) for _ in rows]
    hover = [[""] * len(cols) for _ in rows]
    for a, c, row in zip(antecedents, consequents, frame.itertuples()):
        i, j = rows.index(a), cols.index(c)
        lift[i][j] = round(float(row.lift), 2)
        hover[i][j] = (f"{a} -> {c}<br>lift {float(row.lift):.2f}, confidence {float(row.confidence):.1%}, "
                       f"support {float(row.support):.2%} ({int(row.transactions_with_both):,} orders)")
    figure = go.Figure(go.Heatmap(z=lift, x=cols, y=rows, colorscale="YlOrRd", text=hover,
                                  texttemplate="%{z}", hovertemplate="%{text}<extra></extra>",
                                  colorbar={"title": "lift"}, xgap=2, ygap=2))
    figure.update_layout(height=max(420, 34 * len(rows) + 220), xaxis={"tickangle": -35, "title": "also bought"},
                         yaxis={"autorange": "reversed", "title": "in the basket", "automargin": True})
    chart.figure = figure
    return chart


def scores_chart(marts: _Marts) -> Chart:
    from plotly.subplots import make_subplots
    import plotly.graph_objects as go

    chart = Chart("scores", "Score distributions with thresholds",
                  "Persons (customers and anonymous visitors) per score, in bins of 10 points, for each score of "
                  "marts.visitor_scores at the end of the as-of date (shop time); dashed lines are the band "
                  "thresholds (seed score_thresholds) and the band each fires.")
    frame = marts.frame("scores")
    if frame is None:
        chart.notice = _missing("visitor_scores")
        return chart
    if frame.empty:
        chart.notice = "marts.visitor_scores is empty: nobody was scored."
        return chart
    bands = marts.frame("score_bands")
    names = list(dict.fromkeys(frame["score_name"]))
    figure = make_subplots(rows=len(names), cols=1, subplot_titles=[f"score: {n}" for n in names],
                           vertical_spacing=0.16)
    for i, score_name in enumerate(names, start=1):
        part = frame[frame["score_name"] == score_name]
        figure.add_trace(go.Bar(x=list(part["score_bin"] + 5), y=list(part["persons"].astype(int)), width=9,
                                name=score_name, marker_color=COLOURS["primary"], showlegend=False,
                                customdata=list(part["score_bin"]),
                                hovertemplate="score %{customdata}-%{customdata}+9: %{y:,} persons<extra></extra>"),
                         row=i, col=1)
        own = bands[bands["score_name"] == score_name]
        lowest = own["score_band_threshold"].min()
        lines = [band for band in own.itertuples() if band.score_band_threshold != lowest]  # lowest: the floor
        for k, band in enumerate(lines):
            action = band.fired_action if isinstance(band.fired_action, str) else "no action"
            figure.add_vline(x=int(band.score_band_threshold), line_dash="dash", line_color=COLOURS["accent"],
                             annotation_text=f"{band.score_band} >= {int(band.score_band_threshold)} ({action})",
                             annotation_position="top left" if k % 2 == 0 else "top right", row=i, col=1)
        figure.update_yaxes(title_text="persons", row=i, col=1)
        figure.update_xaxes(title_text="score (points)", row=i, col=1)
    figure.update_layout(height=340 * len(names))
    chart.figure = figure
    return chart


def carts_chart(marts: _Marts, currency: str) -> Chart:
    from plotly.subplots import make_subplots
    import plotly.graph_objects as go

    chart = Chart("carts", "Abandoned carts by stage",
                  f"Carts left without an order, by the furthest checkout stage reached, split by whether the "
                  f"person bought later; the line is the value left in them in {currency} (units x current "
                  f"list price). Up to the as-of date (shop time). Source: marts.abandoned_carts.")
    frame = marts.frame("carts")
    if frame is None:
        chart.notice = _missing("abandoned_carts")
        return chart
    if frame.empty:
        chart.notice = "marts.abandoned_carts is empty: no cart was abandoned."
        return chart
    # every checkout stage shown, 0 where no cart was left at it; a stage not in CART_STAGES last
    known = pd.DataFrame({"abandoned_stage": CART_STAGES, "rank": range(len(CART_STAGES))})
    frame = known.merge(frame, on="abandoned_stage", how="outer")
    frame["rank"] = frame["rank"].fillna(len(CART_STAGES))
    frame[["carts", "bought_later", "cart_value"]] = frame[["carts", "bought_later", "cart_value"]].fillna(0)
    frame = frame.sort_values(["rank", "abandoned_stage"])
    stages = list(frame["abandoned_stage"])
    later = frame["bought_later"].astype(int)
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_trace(go.Bar(x=stages, y=list(frame["carts"].astype(int) - later), name="not bought later",
                            marker_color=COLOURS["primary"]), secondary_y=False)
    figure.add_trace(go.Bar(x=stages, y=list(later), name="bought later", marker_color=COLOURS["good"]),
                     secondary_y=False)
    figure.add_trace(go.Scatter(x=stages, y=[float(v) for v in frame["cart_value"]], name=f"value ({currency})",
                                mode="lines+markers", marker_color=COLOURS["accent"],
                                hovertemplate=f"%{{x}}: %{{y:,.2f}} {currency}<extra></extra>"), secondary_y=True)
    figure.update_layout(barmode="stack", xaxis_title="stage left at")
    figure.update_yaxes(title_text="carts", secondary_y=False)
    top = max([float(v) for v in frame["cart_value"]] + [1.0])
    figure.update_yaxes(title_text=f"cart value ({currency})", secondary_y=True, range=[0, top * 1.1])
    chart.figure = figure
    return chart


def _is_true(value) -> bool:
    """True for a true flag; false for false and for a missing one (null / NA / NaN, e.g. the
    sample-ratio-mismatch flag of a campaign without a planned split)."""
    return value is not None and not (value is pd.NA or (isinstance(value, float) and value != value)) and bool(value)


def campaigns_chart(marts: _Marts, currency: str) -> Chart:
    import plotly.graph_objects as go

    chart = Chart("campaigns", "Campaign results: uplift with its interval",
                  f"Per campaign and variant: the conversion rate's difference from the control group, in "
                  f"percentage points, with its confidence interval (the bar); an interval that crosses 0 is no "
                  f"proven effect. Red marks a sample ratio mismatch (the split is not the planned one: do not "
                  f"trust that result). Hover for recipients, conversion rates and revenue per recipient in "
                  f"{currency}. Source: marts.campaign_results.")
    frame = marts.frame("campaigns")
    if frame is None:
        chart.notice = _missing("campaign_results")
        return chart
    variants = frame[~frame["is_control"].astype(bool)] if not frame.empty else frame
    if not variants.empty:  # an arm without a control group to compare with has no uplift: not drawn
        variants = variants[variants["absolute_uplift"].notna() & variants["absolute_uplift_ci_lower"].notna()]
    if variants.empty:
        chart.notice = "marts.campaign_results has no variant beside a control group."
        return chart
    controls = {row.campaign_id: row for row in frame[frame["is_control"].astype(bool)].itertuples()}
    labels, uplift, upper, lower, colours, hover = [], [], [], [], [], []
    for row in variants.itertuples():
        control = controls.get(row.campaign_id)
        labels.append(f"{row.campaign_id} / {row.variant}")
        value = float(row.absolute_uplift) * 100
        uplift.append(value)
        upper.append(float(row.absolute_uplift_ci_upper) * 100 - value)
        lower.append(value - float(row.absolute_uplift_ci_lower) * 100)
        colours.append("#c0392b" if _is_true(row.is_sample_ratio_mismatch) else COLOURS["primary"])
        text = (f"{row.variant}: {int(row.recipients):,} recipients, conversion {float(row.conversion_rate):.2%}, "
                f"{_money(row.revenue_per_recipient, currency)} per recipient")
        if control is not None:
            text += (f"<br>control: {int(control.recipients):,} recipients, conversion "
                     f"{float(control.conversion_rate):.2%}, {_money(control.revenue_per_recipient, currency)} "
                     "per recipient")
        text += (f"<br>uplift {value:+.2f} pp [{float(row.absolute_uplift_ci_lower) * 100:+.2f}, "
                 f"{float(row.absolute_uplift_ci_upper) * 100:+.2f}], p = {float(row.p_value):.3g}")
        if _is_true(row.is_sample_ratio_mismatch):
            text += "<br>sample ratio mismatch"
        hover.append(text)
    figure = go.Figure(go.Scatter(
        x=uplift, y=labels, mode="markers", marker={"size": 11, "color": colours},
        error_x={"type": "data", "symmetric": False, "array": upper, "arrayminus": lower, "thickness": 2},
        text=hover, hovertemplate="%{text}<extra></extra>"))
    figure.add_vline(x=0, line_color=COLOURS["muted"])
    figure.update_layout(xaxis_title="uplift of the conversion rate over control (percentage points)",
                         yaxis={"autorange": "reversed", "automargin": True},
                         height=max(320, 44 * len(labels) + 160))
    chart.figure = figure
    return chart


CHECK_HEAD = """
<script>
window.__reportErrors = [];
window.addEventListener('error', function (e) { window.__reportErrors.push(String(e.message || e)); });
window.addEventListener('unhandledrejection', function (e) {
  window.__reportErrors.push('unhandled rejection: ' + String(e.reason)); });
</script>
"""

# After loading, per chart section: did plotly draw every trace? A trace
# counts as drawn when its group holds a mark: a bar, funnel or scatter trace
# (g.trace) a path with a shape, a heatmap (g.hm) its rendered image, a
# Sankey diagram (g.sankey) a link. Every canvas in the page must have a
# painted pixel; script errors are recorded from the start (CHECK_HEAD). The
# result is JSON in <pre id="report-check" data-status="done">.
CHECK_TAIL = """
<script>
function reportCheck() {
  function hasShape(group) {
    return Array.prototype.some.call(group.querySelectorAll('path'), function (p) {
      return (p.getAttribute('d') || '').length > 6; });
  }
  var charts = Array.prototype.map.call(document.querySelectorAll('section.chart'), function (section) {
    var plot = section.querySelector('.js-plotly-plot');
    var notice = section.querySelector('.notice');
    var result = {key: section.id, drawn: false, traces: 0, drawn_traces: 0,
                  notice: notice ? notice.textContent : null};
    if (plot) {
      var svg = plot.querySelector('svg.main-svg');
      var drawn = 0;
      Array.prototype.forEach.call(plot.querySelectorAll('g.trace'), function (g) { if (hasShape(g)) { drawn++; } });
      Array.prototype.forEach.call(plot.querySelectorAll('g.hm image'), function (img) {
        var href = img.getAttribute('href') || img.getAttribute('xlink:href') || '';
        if (href.length > 100) { drawn++; } });
      Array.prototype.forEach.call(plot.querySelectorAll('g.sankey'), function (g) {
        if (g.querySelector('.sankey-link') && hasShape(g)) { drawn++; } });
      result.traces = (plot._fullData || []).filter(function (t) { return t.visible !== false; }).length;
      result.drawn_traces = drawn;
      result.drawn = !!svg && result.traces > 0 && drawn >= result.traces;
    }
    return result;
  });
  var blank = [];
  Array.prototype.forEach.call(document.querySelectorAll('canvas'), function (canvas, i) {
    try {
      if (!canvas.width || !canvas.height) { blank.push(i); return; }
      var data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (var k = 3; k < data.length; k += 4) { if (data[k] !== 0) { return; } }
      blank.push(i);
    } catch (err) { /* a WebGL canvas: not read here */ }
  });
  var out = document.getElementById('report-check');
  out.textContent = JSON.stringify({charts: charts, blank_canvases: blank, errors: window.__reportErrors,
                                    plotly: typeof Plotly !== 'undefined'});
  out.setAttribute('data-status', 'done');
}
window.addEventListener('load', function () { setTimeout(reportCheck, 500); });
</script>
"""

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1f2933;
       background: #f5f7fa; }
header { background: #1f4e79; color: white; padding: 24px 40px; }
header h1 { margin: 0 0 6px 0; font-size: 26px; }
header p { margin: 2px 0; opacity: 0.9; }
nav { padding: 10px 40px; background: white; border-bottom: 1px solid #d9e2ec; }
nav a { margin-right: 14px; color: #1f4e79; text-decoration: none; font-size: 14px; }
main { padding: 10px 40px 40px 40px; }
section.chart { background: white; border-radius: 6px; margin: 18px 0; padding: 16px 20px;
                box-shadow: 0 1px 3px rgba(0,0,0,0.08); }
section.chart h2 { margin: 0 0 4px 0; font-size: 19px; }
p.what { margin: 0 0 8px 0; color: #52606d; font-size: 14px; }
p.notice { background: #fff8e1; border-left: 4px solid #f0b429; padding: 10px 14px; }
pre#report-check { display: none; }
"""


def project_defaults() -> dict:
    """The vars shop_currency and shop_timezone as dbt_project.yml declares them."""
    import yaml

    from ecomseg import REPO_ROOT

    path = REPO_ROOT / "dbt_project.yml"
    try:
        values = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("vars") or {}
    except FileNotFoundError:
        values = {}
    return {"shop_currency": values.get("shop_currency") or "PLN", "shop_timezone": values.get("shop_timezone") or "UTC"}


def build(duckdb_path: Path | str, currency: str | None = None, timezone: str | None = None,
          generated_at: dt.datetime | None = None) -> Report:
    """The report of the warehouse file as HTML (Report.html), its charts and the
    SQL it ran. currency / timezone: what the marts' amounts and dates are in
    (the build's vars shop_currency / shop_timezone; default: dbt_project.yml's).
    Raises duckdb.Error when the file cannot be opened."""
    import plotly
    import plotly.io as pio

    defaults = project_defaults()
    currency = currency or defaults["shop_currency"]
    timezone = timezone or defaults["shop_timezone"]
    generated_at = generated_at or dt.datetime.now(dt.timezone.utc)
    marts = _Marts(Path(duckdb_path))
    try:
        as_of = marts.frame("as_of")
        charts = [
            rfm_grid_chart(marts, currency),
            segments_chart(marts, currency),
            migration_chart(marts),
            lifecycle_chart(marts),
            rules_chart(marts),
            scores_chart(marts),
            carts_chart(marts, currency),
            campaigns_chart(marts, currency),
        ]
    finally:
        marts.close()
    as_of_text = "unknown (marts.customer_rfm missing or empty)"
    if as_of is not None and not as_of.empty and pd.notna(as_of.iloc[0]["as_of_date"]):
        as_of_text = str(as_of.iloc[0]["as_of_date"])[:10]

    sections = []
    for chart in charts:
        body = f'<p class="notice">{html.escape(chart.notice)}</p>' if chart.figure is None else ""
        if chart.figure is not None:
            chart.figure.update_layout(template="plotly_white", margin={"t": 50, "l": 60, "r": 30, "b": 60},
                                       font={"size": 12})
            body = pio.to_html(chart.figure, full_html=False, include_plotlyjs=False, div_id=f"plot-{chart.key}",
                               config={"displaylogo": False, "responsive": True})
        sections.append(
            f'<section class="chart" id="{chart.key}"><h2>{html.escape(chart.title)}</h2>'
            f'<p class="what">{html.escape(chart.what)}</p>{body}</section>')
    nav = " ".join(f'<a href="#{c.key}">{html.escape(c.title)}</a>' for c in charts)
    from plotly.offline import get_plotlyjs

    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Shop report as of {html.escape(as_of_text)}</title>
<style>{STYLE}</style>
{CHECK_HEAD}
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<header>
<h1>Customers, segments and campaigns</h1>
<p>As of {html.escape(as_of_text)} (the as-of date of the customer marts, a day in shop time, {html.escape(timezone)}).
Amounts in {html.escape(currency)}, the shop currency.</p>
<p>Warehouse {html.escape(str(duckdb_path))}; written {generated_at.strftime('%Y-%m-%d %H:%M')} UTC
from the marts only, with plotly {html.escape(plotly.__version__)}.</p>
</header>
<nav>{nav}</nav>
<main>
{''.join(sections)}
</main>
<pre id="report-check" data-status="pending"></pre>
{CHECK_TAIL}
</body>
</html>
"""
    return Report(html=page, charts=charts, queries_run=list(marts.run))


def write(duckdb_path: Path | str, out: Path | str, **options) -> Report:
    """build() and write the HTML to out (its folder created); returns the Report."""
    report = build(duckdb_path, **options)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.html, encoding="utf-8")
    return report


def summary(report: Report) -> str:
    """One line per chart: drawn, or the notice in its place."""
    lines = []
    for chart in report.charts:
        lines.append(f"  {chart.key:<10} {'chart' if chart.figure is not None else 'notice: ' + chart.notice}")
    return "\n".join(lines)


__all__ = ["QUERIES", "Chart", "Report", "build", "write", "summary", "project_defaults"]
