"""Charts as PNG files (matplotlib, Agg backend: no display needed, same output everywhere)."""

from __future__ import annotations

from pathlib import Path

from ledgerpilot.errors import LedgerpilotError


class ChartError(LedgerpilotError):
    """A chart could not be written."""


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def cash_forecast_chart(forecast, path: Path, *, title: str | None = None) -> Path:
    """The expected daily balance with the simulated P10-P90 band, the threshold and the lowest point.

    ``forecast`` is a ``calc.cash.forecast.CashForecast``. Returns the path written.
    """
    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter

    days = [forecast.as_of] + [d.date for d in forecast.days]
    opening = float(forecast.opening_balance)
    expected = [opening] + [float(d.closing) for d in forecast.days]
    p10 = [opening] + [float(d.p10) for d in forecast.days]
    p90 = [opening] + [float(d.p90) for d in forecast.days]

    fig, ax = plt.subplots(figsize=(10, 5), dpi=100)
    try:
        ax.fill_between(days, p10, p90, color="#4c72b0", alpha=0.2, linewidth=0, label="P10-P90")
        ax.plot(days, expected, color="#4c72b0", linewidth=2, label="projection")
        if forecast.threshold is not None:
            ax.axhline(float(forecast.threshold), color="#c44e52", linestyle="--", linewidth=1.2,
                       label=f"threshold {float(forecast.threshold):,.0f} {forecast.currency}")
        lowest = float(forecast.lowest_balance)
        ax.scatter([forecast.lowest_date], [lowest], color="#c44e52", zorder=5, s=40)
        ax.annotate(f"lowest {lowest:,.0f}\n{forecast.lowest_date}", (forecast.lowest_date, lowest),
                    textcoords="offset points", xytext=(8, -24), fontsize=9)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        ax.set_ylabel(forecast.currency)
        ax.set_title(title or f"Cash forecast from {forecast.as_of}, {forecast.weeks} weeks")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize=9)
        fig.autofmt_xdate()
        fig.tight_layout()
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, format="png")
        except OSError as exc:
            raise ChartError(f"cannot write the chart to {path}: {exc}") from exc
    finally:
        plt.close(fig)
    return path
