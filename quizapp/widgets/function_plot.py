"""A card's function drawn in the terminal: the curve, its derivative, and the asked point.

The numbers come from `engine.decks.plot.plot_data`; this only draws them with textual-plotext,
which is imported when a plot is first shown, never at quizapp's start.
"""

from __future__ import annotations

from textual_plotext import PlotextPlot

from engine import PlotData, format_number


class FunctionPlot(PlotextPlot):
    DEFAULT_CSS = """
    FunctionPlot {
        height: 16;
        width: 1fr;
        margin: 1 0 0 0;
    }
    """

    def __init__(self, data: PlotData, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data = data
        plt = self.plt
        plt.plot(data.xs.tolist(), data.ys.tolist(), label=data.label, marker="braille")
        if data.dys is not None:
            plt.plot(data.xs.tolist(), data.dys.tolist(), label="derivative", marker="braille")
        title = data.label
        if data.mark is not None:
            x, y = data.mark
            plt.scatter([x], [y], marker="●", color="red", label="asked")
            title += f"   ● at {data.variable} = {format_number(x)}: {format_number(round(y, 6))}"
        plt.title(title)
        plt.xlabel(data.variable)
